/**
 * Times REST requests from a process of its own, for bench:fleet. The benchmark's own process
 * holds a watch of every cluster and the bookkeeping of the run; taken from there, its garbage
 * collections landed in the samples (a --trace-gc run lined its mark-compacts up with every
 * burst of slow GETs). A small process with nothing else on its heap times only the server.
 *
 * A GET is answered from the Redis projection when its copy holds every acknowledged write,
 * and by a Temporal Query of the object's workflow otherwise; each GET is paired with the same
 * Query sent straight to Temporal, alternating, as the baseline: what reading the entity itself
 * takes, on this machine, at this moment.
 *
 * Input (JSON in argv[2]): { apis, token, temporalAddress, collection, names, gets, lists, warmUp }.
 * Output (JSON on stdout): { getMs: number[], queryMs: number[], listMs: number[] }.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { getClusterDeployment } from '../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../workflows/entity/ids';

interface SamplerInput {
  readonly apis: readonly string[];
  readonly token: string;
  readonly temporalAddress: string;
  readonly collection: string;
  /** The ClusterDeployments in namespace default that a GET picks from at random. */
  readonly names: readonly string[];
  readonly gets: number;
  readonly lists: number;
  /** Requests of each kind made first and not counted: they warm code paths and connections. */
  readonly warmUp: number;
}

const { positionals } = parseArgs({ allowPositionals: true });
const input = JSON.parse(positionals[0] ?? '{}') as SamplerInput;
const headers = { authorization: `Bearer ${input.token}`, accept: 'application/json' };
const apiFor = (index: number) => input.apis[index % input.apis.length]!;
const temporal = new Client({ connection: await Connection.connect({ address: input.temporalAddress }) });

async function timed(request: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await request();
  return performance.now() - started;
}

async function fetchBody(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.arrayBuffer();
}

const randomName = () => input.names[Math.floor(Math.random() * input.names.length)]!;
const get = (index: number) => fetchBody(`${apiFor(index)}${input.collection}/${randomName()}`);
const list = (index: number) => fetchBody(`${apiFor(index)}${input.collection}?limit=500`);
const query = () => temporal.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', randomName())).query(getClusterDeployment);

for (let index = 0; index < input.warmUp; index += 1) {
  await get(index);
  await query();
  await list(index);
}
const getMs: number[] = [];
const queryMs: number[] = [];
for (let index = 0; index < input.gets; index += 1) {
  getMs.push(await timed(() => get(index)));
  queryMs.push(await timed(query));
}
const listMs: number[] = [];
for (let index = 0; index < input.lists; index += 1) listMs.push(await timed(() => list(index)));
await temporal.connection.close();
process.stdout.write(JSON.stringify({ getMs, queryMs, listMs }));
// The SDK's native runtime keeps the event loop alive after its connection has closed.
process.exit(0);
