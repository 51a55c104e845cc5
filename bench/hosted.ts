/**
 * bench:hosted: what a hosted cluster's local control plane costs, in two parts, each beside the
 * same etcd and kube-apiserver binaries started bare once in the same run
 * (test/support/kube-apiserver.ts: self-signed certificates, a token file). Every etcd runs with
 * --unsafe-no-fsync, on both sides.
 *
 * The control-plane pieces: for each of N hosted clusters it makes the PKI, asks a supervisor of
 * its own for the control plane and times the ask until etcd and kube-apiserver both answer, then
 * reads the resident memory of the two processes. Control planes are started one after another,
 * as a workflow per cluster would on a quiet stack. Once all are up it measures, over
 * --idle-seconds, what they cost together while nothing happens (CPU and RSS of every etcd and
 * kube-apiserver), to say how many this machine holds; then it removes them.
 *
 * The whole stack (bench/hosted-stack.ts): it starts `npm run dev`'s stack (Temporal dev server,
 * Redis, the simulated cloud booting a machine in --boot-ms, the supervisor, a worker, the REST
 * API) and takes K hosted clusters through it over REST, one after another: POST of a
 * HostedCluster (local control plane) until Available, against the bare start (goal: within
 * 1.5x); POST of a NodePool of 3 until Ready, against the ideal of one boot wave; DELETE of the
 * cluster until it answers 404 and its etcd and kube-apiserver have exited. Each cluster's
 * figures, then the medians.
 * Usage: npm run bench:hosted -- [--control-planes 3] [--idle-seconds 30] [--clusters 3] [--boot-ms 1000] [--delete-ms 300]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSupervisor } from '../services/supervisor/launch';
import { createSupervisorClient } from '../services/supervisor/client';
import { createControlPlaneActivities } from '../services/worker/control-plane-activities';
import { controlPlaneKey } from '../services/worker/hosted-names';
import { fileSecretStore } from '../services/worker/secrets';
import { startKubeApiServer } from '../test/support/kube-apiserver';
import { startBenchDevStack, timeHostedClusterThroughStack, type HostedClusterTimings } from './hosted-stack';
import { usageOfTrees } from './process-usage';

const { values } = parseArgs({
  options: {
    'control-planes': { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '30' },
    clusters: { type: 'string', default: '3' },
    'boot-ms': { type: 'string', default: '1000' },
    'delete-ms': { type: 'string', default: '300' },
  },
});
const count = Number(values['control-planes']);
const idleSeconds = Number(values['idle-seconds']);
const clustersThroughStack = Number(values.clusters);
const bootMs = Number(values['boot-ms']);
const deleteMs = Number(values['delete-ms']);
const POLL_MS = 100;
const STARTUP_LIMIT_MS = 180_000;
const NODE_POOL_REPLICAS = 3;
/** Short, so that a Node registers well within the boot wave it is measured against (a real kubelet registers as it starts). */
const KUBELET_HEARTBEAT_MS = 250;
const AVAILABLE_GOAL_RATIO = 1.5;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (measured: number, reference: number) => `${(measured / reference).toFixed(2)}x`;
const rssOf = (pids: readonly number[]) => [...usageOfTrees(pids).values()].reduce((sum, usage) => sum + usage.rssBytes, 0);
const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;

const BARE_STARTS = 3;

/** The median of BARE_STARTS bare starts, one after another: one start alone moves by half a second between runs. */
async function bareStart(): Promise<{ readonly startMs: number; readonly rssBytes: number }> {
  const starts: { startMs: number; rssBytes: number }[] = [];
  for (let run = 0; run < BARE_STARTS; run += 1) {
    const started = Date.now();
    const bare = await startKubeApiServer();
    starts.push({ startMs: Date.now() - started, rssBytes: rssOf(bare.pids) });
    await bare.stop();
  }
  return { startMs: median(starts.map((start) => start.startMs)), rssBytes: median(starts.map((start) => start.rssBytes)) };
}

type BareStart = Awaited<ReturnType<typeof bareStart>>;

async function measureControlPlanePieces(bare: BareStart): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'slipway-bench-hosted-'));
  const token = randomBytes(16).toString('hex');
  // Without fsync, as the bare etcd of test/support/kube-apiserver.ts runs: the same etcd flags on both sides.
  const supervisor = await startSupervisor({ home, token, etcdUnsafeNoFsync: true, logFile: join(home, 'supervisor.log') });
  const client = createSupervisorClient({ url: supervisor.url, token });
  const activities = createControlPlaneActivities({ secrets: fileSecretStore(join(home, 'secrets')), supervisor: client });
  try {
    const rows: { readonly name: string; readonly pkiMs: number; readonly startMs: number; readonly rssBytes: number; readonly pids: readonly number[] }[] = [];
    for (let index = 0; index < count; index += 1) {
      const ref = { namespace: 'bench', name: `hosted-${index}`, uid: randomBytes(8).toString('hex') };
      const pkiStarted = Date.now();
      const secrets = await activities.ensureHostedPki({ ref });
      const pkiMs = Date.now() - pkiStarted;
      const started = Date.now();
      let status = await activities.ensureControlPlane({ ref, placement: 'local', kubernetesVersion: '1.34.2', secrets });
      while (!(status.etcd.available && status.kubeAPIServer.available)) {
        if (Date.now() - started > STARTUP_LIMIT_MS) throw new Error(`control plane ${ref.name} did not start within ${STARTUP_LIMIT_MS / 1000} s: ${status.kubeAPIServer.message ?? status.etcd.message}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        status = await activities.describeControlPlane({ ref, placement: 'local' });
      }
      const startMs = Date.now() - started;
      const report = await client.describe(controlPlaneKey(ref));
      const pids = [report?.etcd.pid, report?.kubeAPIServer.pid].filter((pid): pid is number => pid !== undefined);
      rows.push({ name: ref.name, pkiMs, startMs, rssBytes: rssOf(pids), pids });
    }
    // All of them at rest together: what holding `count` control planes costs this machine.
    const allPids = rows.flatMap((row) => row.pids);
    const before = usageOfTrees(allPids);
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const after = usageOfTrees(allPids);
    const idleCpuSeconds = allPids.reduce((sum, pid) => sum + ((after.get(pid)?.cpuSeconds ?? 0) - (before.get(pid)?.cpuSeconds ?? 0)), 0);
    const heldRss = allPids.reduce((sum, pid) => sum + (after.get(pid)?.rssBytes ?? 0), 0);
    const supervisorRss = supervisor.pid !== undefined ? (usageOfTrees([supervisor.pid]).get(supervisor.pid)?.rssBytes ?? 0) : 0;
    const ownRss = supervisorRss - rows.reduce((sum, row) => sum + row.rssBytes, 0);

    process.stdout.write('\nhosted control planes (etcd 3.6.16 + kube-apiserver 1.34.2) through the supervisor directly, one after another\n\n');
    process.stdout.write('| run | PKI | start to both answering | RSS (etcd + kube-apiserver) |\n|---|---|---|---|\n');
    process.stdout.write(`| bare binaries (self-signed, token file; median of ${BARE_STARTS}) | - | ${seconds(bare.startMs)} | ${mib(bare.rssBytes)} |\n`);
    for (const row of rows) process.stdout.write(`| Slipway ${row.name} | ${seconds(row.pkiMs)} | ${seconds(row.startMs)} | ${mib(row.rssBytes)} |\n`);
    process.stdout.write(`\n${count} control planes at rest for ${idleSeconds} s: ${((idleCpuSeconds / idleSeconds) * 100).toFixed(1)}% of one core and ${mib(heldRss)} in total (goal: this machine holds 20)\n`);
    process.stdout.write(`\nmedian Slipway start ${seconds(median(rows.map((row) => row.startMs)))} against bare ${seconds(bare.startMs)}; median RSS ${mib(median(rows.map((row) => row.rssBytes)))} against ${mib(bare.rssBytes)}; the supervisor itself ${mib(ownRss)}\n`);
  } finally {
    for (const report of await client.list().catch(() => [])) await client.remove(report.key).catch(() => undefined);
    await supervisor.stop();
    await rm(home, { recursive: true, force: true });
  }
}

async function measureThroughStack(bare: BareStart): Promise<void> {
  const stack = await startBenchDevStack({ bootMs, deleteMs, kubeletHeartbeatMs: KUBELET_HEARTBEAT_MS });
  const run = randomBytes(2).toString('hex');
  const rows: (HostedClusterTimings & { readonly name: string })[] = [];
  try {
    for (let index = 0; index < clustersThroughStack; index += 1) {
      const names = { cluster: `bhc-${run}-${index}`, pool: `bnp-${run}-${index}` };
      rows.push({ name: names.cluster, ...(await timeHostedClusterThroughStack(stack, names, NODE_POOL_REPLICAS)) });
    }
  } catch (error) {
    await stack.stop({ keepHome: true });
    process.stderr.write(`\nthe whole-stack run failed; the stack's home, with the log of every part, is kept in ${stack.home}\n`);
    throw error;
  }
  await stack.stop();

  const row = (label: string, timings: HostedClusterTimings) =>
    `| ${label} | ${seconds(timings.availableMs)} | ${ratio(timings.availableMs, bare.startMs)} | ${seconds(timings.poolReadyMs)} | ${ratio(timings.poolReadyMs, bootMs)} | ${seconds(timings.goneMs)} | ${seconds(timings.processesStoppedMs)} |\n`;
  const medians: HostedClusterTimings = {
    availableMs: median(rows.map((entry) => entry.availableMs)),
    poolReadyMs: median(rows.map((entry) => entry.poolReadyMs)),
    goneMs: median(rows.map((entry) => entry.goneMs)),
    processesStoppedMs: median(rows.map((entry) => entry.processesStoppedMs)),
  };
  process.stdout.write(
    `\nhosted clusters through the whole stack (npm run dev: Temporal dev server, Redis, worker, REST API, supervisor, simulated cloud booting a machine in ${seconds(bootMs)} and deleting it in ${seconds(deleteMs)}, kubelets heartbeating every ${KUBELET_HEARTBEAT_MS} ms), one after another, over REST\n\n`,
  );
  process.stdout.write(`| run | POST HostedCluster to Available | against bare start | POST NodePool of ${NODE_POOL_REPLICAS} to Ready | against one boot wave | DELETE HostedCluster to 404 | DELETE to etcd and kube-apiserver exited |\n|---|---|---|---|---|---|---|\n`);
  process.stdout.write(`| bare binaries (self-signed, token file; median of ${BARE_STARTS}) | ${seconds(bare.startMs)} | 1.00x | ideal ${seconds(bootMs)} (one boot wave) | 1.00x | - | - |\n`);
  for (const entry of rows) process.stdout.write(row(`Slipway ${entry.name}`, entry));
  if (rows.length > 1) process.stdout.write(row(`median of ${rows.length}`, medians));
  process.stdout.write(
    `\nmedian POST to Available ${seconds(medians.availableMs)} against bare ${seconds(bare.startMs)}: ${ratio(medians.availableMs, bare.startMs)} (goal: within ${AVAILABLE_GOAL_RATIO}x); NodePool of ${NODE_POOL_REPLICAS} POST to Ready ${seconds(medians.poolReadyMs)} against one boot wave ${seconds(bootMs)}: ${ratio(medians.poolReadyMs, bootMs)}; DELETE to 404 ${seconds(medians.goneMs)}, to processes exited ${seconds(medians.processesStoppedMs)}\n`,
  );
}

async function main(): Promise<void> {
  const bare = await bareStart();
  await measureControlPlanePieces(bare);
  if (clustersThroughStack > 0) await measureThroughStack(bare);
}

await main();
