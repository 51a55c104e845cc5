/**
 * Times REST requests from a process of its own, for bench:fleet. The benchmark's own process
 * holds a watch of every cluster and the bookkeeping of the run; taken from there, its garbage
 * collections landed in the samples (a --trace-gc run lined its mark-compacts up with every
 * burst of slow GETs). A small process with nothing else on its heap times only the server.
 *
 * Input (JSON in argv[2]): { apis, token, collection, names, gets, lists, warmUp }.
 * Output (JSON on stdout): { getMs: number[], listMs: number[] }.
 */
import { parseArgs } from 'node:util';

interface SamplerInput {
  readonly apis: readonly string[];
  readonly token: string;
  readonly collection: string;
  /** The objects a GET picks from at random. */
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

async function timedRequest(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

const randomName = () => input.names[Math.floor(Math.random() * input.names.length)]!;
const getUrl = (index: number) => `${apiFor(index)}${input.collection}/${randomName()}`;
const listUrl = (index: number) => `${apiFor(index)}${input.collection}?limit=500`;

for (let index = 0; index < input.warmUp; index += 1) {
  await timedRequest(getUrl(index));
  await timedRequest(listUrl(index));
}
const getMs: number[] = [];
for (let index = 0; index < input.gets; index += 1) getMs.push(await timedRequest(getUrl(index)));
const listMs: number[] = [];
for (let index = 0; index < input.lists; index += 1) listMs.push(await timedRequest(listUrl(index)));
process.stdout.write(JSON.stringify({ getMs, listMs }));
