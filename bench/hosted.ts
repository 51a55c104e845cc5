/**
 * bench:hosted (the control-plane pieces): what a hosted cluster's local control plane costs.
 * For each of N hosted clusters it makes the PKI, asks the dev stack's supervisor for the control
 * plane and times the ask until etcd and kube-apiserver both answer, then reads the resident
 * memory of the two processes. Beside it, in the same run, it starts the same etcd and
 * kube-apiserver binaries bare (test/support/kube-apiserver.ts: self-signed certificates, a
 * token file) and measures the same. Both etcds run with --unsafe-no-fsync. Control planes are started one after another, as a
 * workflow per cluster would on a quiet stack.
 * Once all are up it measures, over --idle-seconds, what they cost together while nothing
 * happens (CPU and RSS of every etcd and kube-apiserver), to say how many this machine holds.
 * Usage: npm run bench:hosted -- [--control-planes 3] [--idle-seconds 30]
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
import { usageOfTrees } from './process-usage';

const { values } = parseArgs({ options: { 'control-planes': { type: 'string', default: '3' }, 'idle-seconds': { type: 'string', default: '30' } } });
const count = Number(values['control-planes']);
const idleSeconds = Number(values['idle-seconds']);
const POLL_MS = 100;
const STARTUP_LIMIT_MS = 180_000;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const rssOf = (pids: readonly number[]) => [...usageOfTrees(pids).values()].reduce((sum, usage) => sum + usage.rssBytes, 0);
const median = (list: readonly number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;

async function bareStart(): Promise<{ readonly startMs: number; readonly rssBytes: number }> {
  const started = Date.now();
  const bare = await startKubeApiServer();
  const startMs = Date.now() - started;
  const rssBytes = rssOf(bare.pids);
  await bare.stop();
  return { startMs, rssBytes };
}

async function main(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'slipway-bench-hosted-'));
  const token = randomBytes(16).toString('hex');
  // Without fsync, as the bare etcd of test/support/kube-apiserver.ts runs: the same etcd flags on both sides.
  const supervisor = await startSupervisor({ home, token, etcdUnsafeNoFsync: true, logFile: join(home, 'supervisor.log') });
  const client = createSupervisorClient({ url: supervisor.url, token });
  const activities = createControlPlaneActivities({ secrets: fileSecretStore(join(home, 'secrets')), supervisor: client });
  try {
    const bare = await bareStart();
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

    process.stdout.write('\nhosted control planes (etcd 3.6.16 + kube-apiserver 1.34.2), one after another\n\n');
    process.stdout.write('| run | PKI | start to both answering | RSS (etcd + kube-apiserver) |\n|---|---|---|---|\n');
    process.stdout.write(`| bare binaries (self-signed, token file) | - | ${seconds(bare.startMs)} | ${mib(bare.rssBytes)} |\n`);
    for (const row of rows) process.stdout.write(`| Slipway ${row.name} | ${seconds(row.pkiMs)} | ${seconds(row.startMs)} | ${mib(row.rssBytes)} |\n`);
    process.stdout.write(`\n${count} control planes at rest for ${idleSeconds} s: ${((idleCpuSeconds / idleSeconds) * 100).toFixed(1)}% of one core and ${mib(heldRss)} in total (goal: this machine holds 20)\n`);
    process.stdout.write(`\nmedian Slipway start ${seconds(median(rows.map((row) => row.startMs)))} against bare ${seconds(bare.startMs)}; median RSS ${mib(median(rows.map((row) => row.rssBytes)))} against ${mib(bare.rssBytes)}; the supervisor itself ${mib(ownRss)}\n`);
  } finally {
    for (const report of await client.list().catch(() => [])) await client.remove(report.key).catch(() => undefined);
    await supervisor.stop();
    await rm(home, { recursive: true, force: true });
  }
}

await main();
