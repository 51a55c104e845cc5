/**
 * bench:sweep: how fast does an orphan sweep scan and decide, and does its memory stay flat as the
 * cloud grows? For each count it fills a fresh simulated cloud with that many tagged resources
 * (most of them orphans of dead clusters, some of live ones, some another plane's), starts the
 * cloud, and runs the real scan activity over it (page by page through the adapter, the pure
 * decision per resource) in an activity context, sampling the heap. It prints the scan rate and
 * the peak heap growth per count. Usage: npm run bench:sweep -- [--counts 10000,100000]
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
  for (let index = 0; index < count; index += 1) {
    // Clusters of 10 resources; every tenth cluster live, every twentieth another plane's.
    const cluster = Math.floor(index / 10);
    const infraId = `c${cluster}-${randomBytes(3).toString('hex')}`.slice(0, 12);
    if (cluster % 10 === 0) live.push(infraId);
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
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    const started = performance.now();
    const input: SweepScanInput = {
      target: { platform: 'simulated', region: 'local-1' },
      managementId: MANAGEMENT_ID,
      infraIds: live.map((id) => [id, 'ClusterDeployment bench/live'] as const),
      owners: [],
      minAgeMs: HOUR,
      runStartedAtMs: Date.now(),
      maxDeletions: 100,
    };
    const result: SweepScanResult = await new MockActivityEnvironment().run(activities.scanCloudForSweep, input);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    if (result.scanned !== count) throw new Error(`scanned ${result.scanned} of ${count}`);
    return { count, seconds, peakHeapGrowthMb: (peak - baseline) / 1024 / 1024, candidates: result.toMark.length + result.toDelete.length };
  } finally {
    await cloud.stop();
    await rm(home, { recursive: true, force: true });
  }
}

const rows: Figures[] = [];
for (const count of counts) rows.push(await measure(count));
console.log('resources  seconds  scanned+decided/s  peak heap growth MB  candidates kept');
for (const row of rows) {
  console.log(`${String(row.count).padStart(9)}  ${row.seconds.toFixed(2).padStart(7)}  ${Math.round(row.count / row.seconds).toString().padStart(17)}  ${row.peakHeapGrowthMb.toFixed(1).padStart(19)}  ${String(row.candidates).padStart(15)}`);
}
