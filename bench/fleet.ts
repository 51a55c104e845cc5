/**
 * bench:fleet: what a fleet costs on this machine. It starts the real stack as separate
 * processes (Temporal, Redis, the simulated cloud with zero boot latency, K workers, K REST
 * APIs), applies N ClusterDeployments through REST, `concurrency` at a time, and waits until
 * all are Ready. Then it prints, beside the goals: time to Ready and its curve, idle CPU and
 * RSS per process over 60 s, cloud calls per minute while idle, and REST GET, LIST (limit 500)
 * and watch latency (a PATCH until its MODIFIED event) p50/p99.
 *
 * Usage: npm run bench:fleet -- --clusters N [--control-plane C] [--workers W]
 *          [--temporal dev|postgres] [--worker-processes K] [--api-processes K] [--concurrency 20]
 *          [--settle-seconds 15] [--idle-seconds 60]
 * The cloud observer lists a quiet account less and less often, up to once per 300 s after about
 * 7.5 minutes (workflows/planners/observer-pace.ts): `--settle-seconds 480 --idle-seconds 300`
 * measures that steady state rather than the first minute after Ready.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startSimulatedCloud } from '../providers/simulated/launch';
import { ApiClient } from '../services/cli/api-client';
import { workflowBundleOptions } from '../services/worker/bundle';
import { freePort, startProcess, waitFor, type Supervised } from '../infra/processes';
import { startTemporalOnPostgres } from '../infra/temporal-postgres';
import { startRedisServer } from '../test/support/redis-server';
import { clusterObject } from '../test/support/clusters';
import { usageOfTrees } from './process-usage';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '100' },
    'control-plane': { type: 'string', default: '3' },
    workers: { type: 'string', default: '7' },
    temporal: { type: 'string', default: 'dev' },
    'worker-processes': { type: 'string', default: '1' },
    'api-processes': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '20' },
    'idle-seconds': { type: 'string', default: '60' },
    'settle-seconds': { type: 'string', default: '15' },
  },
});
const clusters = Number(values.clusters);
const controlPlane = Number(values['control-plane']);
const workers = Number(values.workers);
const workerProcesses = Number(values['worker-processes']);
const apiProcesses = Number(values['api-processes']);
const concurrency = Number(values.concurrency);
const idleSeconds = Number(values['idle-seconds']);
const settleSeconds = Number(values['settle-seconds']);
if (values.temporal !== 'dev' && values.temporal !== 'postgres') throw new Error(`--temporal must be dev or postgres, not ${values.temporal}`);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COLLECTION = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';
const execFileAsync = promisify(execFile);
const GOALS = { readySeconds: 600, idleCorePercent: 5, getP99Ms: 20, listP99Ms: 50 };

const home = await mkdtemp(join(tmpdir(), 'slipway-fleet-'));
const processes: { name: string; pid: () => Promise<number[]> }[] = [];
const supervised: Supervised[] = [];
const stops: (() => Promise<void>)[] = [];

/** A promise with its resolve and reject at hand (Promise.withResolvers, which this project's TypeScript lib lacks). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Requests of each kind (GET, LIST) made before the samples, and not counted. */
const REST_WARM_UP = 5;

function percentile(samples: readonly number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

interface RestSamples {
  readonly getMs: number[];
  /** The same objects' Query, sent straight to Temporal between GETs: the baseline of a GET. */
  readonly queryMs: number[];
  readonly listMs: number[];
}

/** How the APIs answered GETs so far (slipway_object_reads_total): the projection's copy, or the workflow's Query. */
async function getSources(apis: readonly string[], headers: Record<string, string>): Promise<string> {
  const totals = new Map<string, number>();
  for (const api of apis) {
    const text = await (await fetch(`${api}/metrics`, { headers })).text();
    for (const match of text.matchAll(/^slipway_object_reads_total\{[^}]*source="(\w+)"[^}]*\} (\d+)/gm)) {
      totals.set(match[1]!, (totals.get(match[1]!) ?? 0) + Number(match[2]));
    }
  }
  return ['projection', 'workflow'].map((source) => `${source} ${totals.get(source) ?? 0}`).join(', ');
}

async function sampleRest(input: Record<string, unknown>): Promise<RestSamples> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./rest-sampler.ts', import.meta.url)), JSON.stringify(input)], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as RestSamples;
}

async function startTemporal(): Promise<string> {
  if (values.temporal === 'postgres') {
    const temporal = await startTemporalOnPostgres();
    processes.push({ name: 'temporal server + postgres', pid: () => temporal.processIds() });
    stops.push(() => temporal.stop());
    return temporal.address;
  }
  const cli = process.env.TEMPORAL_CLI;
  if (!cli) throw new Error('TEMPORAL_CLI is not set: run this through `npm run bench:fleet`.');
  const port = await freePort();
  const server = startProcess('temporal', cli, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(home, 'temporal.db'), '--namespace', 'default', '--log-level', 'warn'], {
    env: process.env,
    logFile: join(home, 'temporal.log'),
  });
  supervised.push(server);
  processes.push({ name: 'temporal dev server', pid: async () => [server.child.pid ?? 0] });
  const address = `127.0.0.1:${port}`;
  await waitFor('the Temporal dev server', async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  }, 60_000);
  return address;
}

async function startStack(): Promise<{ apis: string[]; token: string; cloud: { url: string; apiKey: string | undefined }; temporalAddress: string }> {
  const temporalAddress = await startTemporal();
  const redis = await startRedisServer();
  processes.push({ name: 'redis', pid: async () => [redis.pid ?? 0] });
  stops.push(() => redis.stop());
  const cloud = await startSimulatedCloud({ statePath: join(home, 'simcloud.db'), bootMs: 0, deleteMs: 0, logFile: join(home, 'simcloud.log') });
  processes.push({ name: 'simulated cloud', pid: async () => [cloud.pid ?? 0] });
  stops.push(() => cloud.stop());

  const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } });
  const bundlePath = join(home, 'workflows.js');
  await writeFile(bundlePath, bundle.code);
  const token = randomBytes(24).toString('hex');
  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    SLIPWAY_HOME: home,
    TEMPORAL_ADDRESS: temporalAddress,
    REDIS_URL: redis.url,
    SLIPWAY_SIMCLOUD_URL: cloud.url,
    SLIPWAY_SIMCLOUD_API_KEY: cloud.apiKey ?? '',
    SLIPWAY_API_TOKEN: token,
    SLIPWAY_WORKFLOW_BUNDLE: bundlePath,
    SLIPWAY_LOG_LEVEL: 'warn',
  };
  for (let index = 0; index < workerProcesses; index += 1) {
    const worker = startProcess(`worker-${index}`, process.execPath, ['--import', 'tsx', join(ROOT, 'services/worker/main.ts')], {
      env: { ...serviceEnv, SLIPWAY_WORKER_METRICS_PORT: String(await freePort()) },
      logFile: join(home, `worker-${index}.log`),
      cwd: ROOT,
    });
    supervised.push(worker);
    processes.push({ name: `worker ${index + 1}`, pid: async () => [worker.child.pid ?? 0] });
  }
  const apis: string[] = [];
  for (let index = 0; index < apiProcesses; index += 1) {
    const port = await freePort();
    const api = startProcess(`api-${index}`, process.execPath, ['--import', 'tsx', join(ROOT, 'services/api/main.ts')], {
      env: { ...serviceEnv, SLIPWAY_API_PORT: String(port), SLIPWAY_API_HOST: '127.0.0.1' },
      logFile: join(home, `api-${index}.log`),
      cwd: ROOT,
    });
    supervised.push(api);
    processes.push({ name: `api ${index + 1}`, pid: async () => [api.child.pid ?? 0] });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`the REST API ${index + 1}`, async () => (await fetch(`${url}/readyz`)).ok, 120_000, () => (api.child.exitCode === null ? undefined : `api ${index + 1} exited; see ${api.logFile}`));
    apis.push(url);
  }
  return { apis, token, cloud: { url: cloud.url, apiKey: cloud.apiKey }, temporalAddress };
}

async function cloudRequests(cloud: { url: string; apiKey: string | undefined }): Promise<number> {
  const response = await fetch(`${cloud.url}/admin/stats`, { headers: cloud.apiKey ? { authorization: `Bearer ${cloud.apiKey}` } : {} });
  return ((await response.json()) as { requests: number }).requests;
}

function isReady(object: Record<string, unknown>): boolean {
  const conditions = (object.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

async function main(): Promise<void> {
  console.log(`bench:fleet: ${clusters} clusters of ${controlPlane}+${workers} on Temporal ${values.temporal}, ${workerProcesses} worker and ${apiProcesses} API process(es), ${concurrency} applies at a time, zero boot latency`);
  const stack = await startStack();
  const headers = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json', accept: 'application/json' };
  const apiFor = (index: number) => stack.apis[index % stack.apis.length]!;

  // Follow readiness through a REST watch, as a client would.
  const readyAt = new Map<string, number>();
  const watchAbort = new AbortController();
  const allReady = deferred();
  const watcher = new ApiClient({ baseUrl: apiFor(0), token: stack.token });
  const watching = (async () => {
    for await (const event of watcher.watch('ClusterDeployment', 'default', { resourceVersion: '0', signal: watchAbort.signal })) {
      const name = (event.object.metadata as { name: string }).name;
      if (!readyAt.has(name) && isReady(event.object)) {
        readyAt.set(name, performance.now());
        if (readyAt.size === clusters) allReady.resolve();
      }
    }
  })().catch((error: unknown) => allReady.reject(error));

  const started = performance.now();
  const appliedAt = new Map<string, number>();
  let next = 0;
  const applyOne = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= clusters) return;
      const object = clusterObject(`fleet-${index}`, { controlPlane: { replicas: controlPlane }, compute: [{ name: 'worker', replicas: workers }] });
      const { uid: _uid, generation: _generation, creationTimestamp: _created, ...metadata } = object.metadata;
      appliedAt.set(object.metadata.name, performance.now());
      const response = await fetch(`${apiFor(index)}${COLLECTION}`, { method: 'POST', headers, body: JSON.stringify({ ...object, metadata }) });
      if (response.status !== 201) throw new Error(`POST fleet-${index} answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, applyOne));
  const appliedSeconds = (performance.now() - started) / 1000;
  await allReady.promise;
  const readySeconds = (performance.now() - started) / 1000;
  console.log(`\napplied ${clusters} in ${appliedSeconds.toFixed(1)} s; all Ready after ${readySeconds.toFixed(1)} s (goal: 1,000 clusters of 3+7 in under ${GOALS.readySeconds} s)`);
  const times = [...readyAt.values()].map((at) => (at - started) / 1000).sort((a, b) => a - b);
  const bucketSeconds = readySeconds > 300 ? 60 : readySeconds > 60 ? 15 : 5;
  console.log(`curve: clusters Ready per ${bucketSeconds} s (a flat curve means each Ready cluster costs the next nothing)`);
  for (let from = 0; from < readySeconds; from += bucketSeconds) {
    const count = times.filter((time) => time >= from && time < from + bucketSeconds).length;
    console.log(`  ${String(from).padStart(5)}-${String(from + bucketSeconds).padEnd(5)} s ${String(count).padStart(6)}  ${'#'.repeat(Math.round((count / clusters) * 200))}`);
  }
  // Each cluster's own time from its POST to Ready, in the order they were applied: if every
  // Ready cluster made the next slower, the last applied would take longer than the first.
  const latencies = [...appliedAt.entries()].sort((a, b) => a[1] - b[1]).map(([name, at]) => ((readyAt.get(name) ?? at) - at) / 1000);
  const tenth = Math.max(1, Math.floor(latencies.length / 10));
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const firstApplied = mean(latencies.slice(0, tenth));
  const lastApplied = mean(latencies.slice(-tenth));
  console.log(`  POST to Ready per cluster: p50 ${percentile(latencies, 0.5).toFixed(1)} s, p99 ${percentile(latencies, 0.99).toFixed(1)} s; first 10% applied ${firstApplied.toFixed(1)} s, last 10% ${lastApplied.toFixed(1)} s (ratio ${(lastApplied / firstApplied).toFixed(2)}; 1.0 is flat)`);

  // Idle: let the last writes settle (and, given the time, the observers' pace), then measure a quiet fleet.
  await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000));
  const roots = new Map<string, number[]>();
  for (const entry of processes) roots.set(entry.name, await entry.pid());
  const allRoots = [...roots.values()].flat();
  const before = usageOfTrees(allRoots);
  const callsBefore = await cloudRequests(stack.cloud);
  await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
  const after = usageOfTrees(allRoots);
  const callsAfter = await cloudRequests(stack.cloud);
  console.log(`\nidle for ${idleSeconds} s, ${settleSeconds} s after the last Ready (goal: under ${GOALS.idleCorePercent}% of one core in total)`);
  let totalPercent = 0;
  let totalRss = 0;
  for (const [name, pids] of roots) {
    const cpu = pids.reduce((sum, pid) => sum + ((after.get(pid)?.cpuSeconds ?? 0) - (before.get(pid)?.cpuSeconds ?? 0)), 0);
    const rss = pids.reduce((sum, pid) => sum + (after.get(pid)?.rssBytes ?? 0), 0);
    const percent = (cpu / idleSeconds) * 100;
    totalPercent += percent;
    totalRss += rss;
    console.log(`  ${name.padEnd(28)} ${percent.toFixed(1).padStart(6)}% of a core   RSS ${(rss / 2 ** 20).toFixed(0).padStart(6)} MiB`);
  }
  console.log(`  ${'total'.padEnd(28)} ${totalPercent.toFixed(1).padStart(6)}% of a core   RSS ${(totalRss / 2 ** 20).toFixed(0).padStart(6)} MiB`);
  console.log(`  cloud calls while idle: ${(((callsAfter - callsBefore) / idleSeconds) * 60).toFixed(1)} per minute`);

  // REST while idle, timed by a process of its own (bench/rest-sampler.ts says why).
  const { getMs: getSamples, queryMs: querySamples, listMs: listSamples } = await sampleRest({
    apis: stack.apis,
    token: stack.token,
    temporalAddress: stack.temporalAddress,
    collection: COLLECTION,
    names: Array.from({ length: clusters }, (_, index) => `fleet-${index}`),
    // 2,000, so that p99 is the 20th slowest and not a matter of two or three unlucky samples.
    gets: 2000,
    // 200, so that p99 is not simply the slowest one.
    lists: 200,
    warmUp: REST_WARM_UP,
  });
  const watchSamples: number[] = [];
  const touched = new Map<string, { resolve: () => void }>();
  const touchAbort = new AbortController();
  const touchWatch = (async () => {
    for await (const event of watcher.watch('ClusterDeployment', 'default', { labelSelector: 'bench-touch', signal: touchAbort.signal })) {
      const labels = (event.object.metadata as { labels?: Record<string, string> }).labels ?? {};
      touched.get(`${(event.object.metadata as { name: string }).name}/${labels['bench-touch']}`)?.resolve();
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (let index = 0; index < 50; index += 1) {
    const name = `fleet-${Math.floor(Math.random() * clusters)}`;
    const seen = deferred();
    touched.set(`${name}/${index}`, seen);
    watchSamples.push(await timed(async () => {
      const response = await fetch(`${apiFor(index)}${COLLECTION}/${name}`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { 'bench-touch': String(index) } } }) });
      if (!response.ok) throw new Error(`PATCH ${name} answered ${response.status}: ${await response.text()}`);
      await seen.promise;
    }));
  }
  touchAbort.abort();
  await touchWatch.catch(() => undefined);
  const line = (label: string, samples: number[], goal?: number) =>
    console.log(`  ${label.padEnd(28)} p50 ${percentile(samples, 0.5).toFixed(1).padStart(6)} ms   p99 ${percentile(samples, 0.99).toFixed(1).padStart(6)} ms${goal ? `   (goal: p99 under ${goal} ms)` : ''}`);
  console.log(`\nREST while idle (after ${REST_WARM_UP} uncounted requests of each kind)`);
  line(`GET (${getSamples.length})`, getSamples, GOALS.getP99Ms);
  line(`  baseline: Temporal Query`, querySamples);
  console.log(`  ${'  GET / Query'.padEnd(28)} p50 ${(percentile(getSamples, 0.5) / percentile(querySamples, 0.5)).toFixed(2).padStart(6)} x    p99 ${(percentile(getSamples, 0.99) / percentile(querySamples, 0.99)).toFixed(2).padStart(6)} x`);
  console.log(`  ${'  GETs answered from'.padEnd(28)} ${await getSources(stack.apis, headers)}`);
  line(`LIST limit=500 (${listSamples.length})`, listSamples, GOALS.listP99Ms);
  line(`PATCH to watch event (${watchSamples.length})`, watchSamples);

  watchAbort.abort();
  await watching;
  const temporal = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
  const count = await temporal.workflow.count('ExecutionStatus = "Running"');
  console.log(`\n${count.count} workflows running at the end (clusters, pools and cloud observers)`);
  await temporal.connection.close();
}

try {
  await main();
} finally {
  for (const child of supervised.reverse()) await child.stop();
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await rm(home, { recursive: true, force: true });
}
// The SDK's native runtime keeps the event loop alive after every connection has closed.
process.exit(0);
