/**
 * bench:sweep: how fast does an orphan sweep scan and decide, and does its memory stay flat as the
 * cloud grows? For each count it fills a fresh simulated cloud with that many tagged resources
 * (most of them orphans of dead clusters, some of live ones, some another plane's), starts the
 * cloud, and runs the real scan activity over it (page by page through the adapter, the pure
 * decision per resource) in an activity context, sampling the live heap (after a forced GC, so
 * garbage does not count). Beside it, in the same process and over the same cloud, it times the
 * baseline: a bare page-by-page list through the adapter that decides nothing. It prints both
 * rates, their ratio and the peak live-heap growth per count.
 * Usage: npm run bench:sweep -- [--counts 10000,100000]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSimulatedAdapter } from '../providers/simulated/adapter';
import { startSimulatedCloud } from '../providers/simulated/launch';
import { CloudStore } from '../providers/simulated/store';
import { ownershipTags } from '../providers/tags';
import { createSweepActivities } from '../services/worker/sweep-activities';
import { redisSweepMarks } from '../services/worker/sweep-marks';
import { createProjection } from '../services/common/projection';
import { Redis } from 'ioredis';
import type { SweepScanInput, SweepScanResult } from '../workflows/sweep/activities-api';

const { values } = parseArgs({ options: { counts: { type: 'string', default: '10000,100000' } } });
const counts = values.counts.split(',').map(Number);
const MANAGEMENT_ID = 'bench-plane';
const HOUR = 3_600_000;

function fill(statePath: string, count: number): string[] {
  const store = new CloudStore(statePath);
  const createdAt = Date.now() - 3 * HOUR;
  const live: string[] = [];
  let infraId = '';
  for (let index = 0; index < count; index += 1) {
    // Clusters of 10 resources; every tenth cluster live, every twentieth another plane's.
    const cluster = Math.floor(index / 10);
    if (index % 10 === 0) {
      infraId = `c${cluster}-${randomBytes(3).toString('hex')}`;
      if (cluster % 10 === 0) live.push(infraId);
    }
    const managementId = cluster % 20 === 5 ? 'another-plane' : MANAGEMENT_ID;
    const tags = ownershipTags({ managementId, infraId, machineName: `m-${index}`, role: 'worker', createdAt: new Date(createdAt).toISOString() });
    store.insert({ kind: 'machine', id: `m-${index}-${randomBytes(4).toString('hex')}`, name: `m-${index}`, tags, data: {}, createdAt, token: null, willFail: false });
  }
  store.close();
  return live;
}

interface Figures {
  readonly count: number;
  readonly seconds: number;
  readonly bareSeconds: number;
  readonly peakHeapGrowthMb: number;
  readonly candidates: number;
}

async function measure(count: number): Promise<Figures> {
  const home = await mkdtemp(join(tmpdir(), 'slipway-bench-sweep-'));
  const statePath = join(home, 'simcloud.db');
  const live = fill(statePath, count);
  const cloud = await startSimulatedCloud({ statePath, bootMs: 0, deleteMs: 0 });
  const adapter = createSimulatedAdapter({ baseUrl: cloud.url, apiKey: cloud.apiKey, pageSize: 500 });
  // The scan never reads Temporal; the inventory is given to it.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  // The simulated cloud tags every resource itself, so the mark store is never read either.
  const idle = new Redis({ lazyConnect: true });
  const activities = createSweepActivities({ adapters: async () => adapter, temporal, taskQueue: 'bench', projection: createProjection(idle, { prefix: 'bench' }), marks: redisSweepMarks(idle, 'bench') });
  try {
    const bareStarted = performance.now();
    let listed = 0;
    for await (const _resource of adapter.listResources({})) listed += 1;
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    if (listed !== count) throw new Error(`listed ${listed} of ${count}`);

    const gc = global.gc;
    if (!gc) throw new Error('run through `npm run bench:sweep`, which starts node with --expose-gc');
    const input: SweepScanInput = {
      target: { platform: 'simulated', region: 'local-1' },
      managementId: MANAGEMENT_ID,
      infraIds: live.map((id) => [id, 'ClusterDeployment bench/live'] as const),
      owners: [],
      minAgeMs: HOUR,
      runStartedAtMs: Date.now(),
      maxDeletions: 100,
    };
    const scan = (): Promise<SweepScanResult> => new MockActivityEnvironment().run(activities.scanCloudForSweep, input) as Promise<SweepScanResult>;
    // First timed as is, then again for memory: the forced collections would slow the timed run.
    const started = performance.now();
    const result: SweepScanResult = await scan();
    const seconds = (performance.now() - started) / 1000;
    if (result.scanned !== count) throw new Error(`scanned ${result.scanned} of ${count}`);
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 50);
    await scan();
    clearInterval(sampler);
    return { count, seconds, bareSeconds, peakHeapGrowthMb: (peak - baseline) / 1024 / 1024, candidates: result.toMark.length + result.toDelete.length };
  } finally {
    await cloud.stop();
    await rm(home, { recursive: true, force: true });
  }
}

const rows: Figures[] = [];
for (const count of counts) rows.push(await measure(count));
console.log('resources  sweep s  scanned+decided/s  bare list s  listed/s  ratio  peak live heap growth MB  candidates kept');
for (const row of rows) {
  const ratio = row.seconds / row.bareSeconds;
  console.log(
    `${String(row.count).padStart(9)}  ${row.seconds.toFixed(2).padStart(7)}  ${Math.round(row.count / row.seconds).toString().padStart(17)}  ${row.bareSeconds.toFixed(2).padStart(11)}  ${Math.round(row.count / row.bareSeconds).toString().padStart(8)}  ${ratio.toFixed(2).padStart(5)}  ${row.peakHeapGrowthMb.toFixed(1).padStart(24)}  ${String(row.candidates).padStart(15)}`,
  );
}
