/**
 * Vitest global setup: one real Temporal dev server and one real redis-server for the
 * whole run, and the workflow bundle built once. A missing peer fails the run loudly.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startRedisServer } from './redis-server';
import { workflowTaskFailures } from './task-failures';
import { workflowBundleOptions } from '../../services/worker/bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    redisUrl: string;
    workflowBundlePath: string;
  }
}

interface TestTemporal {
  readonly address: string;
  readonly client: Client;
  teardown(): Promise<void>;
}

/**
 * The run's Temporal: a dev server of its own, or, with SLIPWAY_TEST_TEMPORAL_ADDRESS, a server
 * already running (the PostgreSQL-backed one of `npm run test:temporal-postgres`).
 */
async function startTestTemporal(): Promise<TestTemporal> {
  const external = process.env.SLIPWAY_TEST_TEMPORAL_ADDRESS;
  if (external) {
    const connection = await Connection.connect({ address: external });
    return { address: external, client: new Client({ connection }), teardown: () => connection.close() };
  }
  const temporalCli = process.env.TEMPORAL_CLI;
  if (!temporalCli) {
    throw new Error('TEMPORAL_CLI is not set. Run the suite through `npm test`, which installs the Temporal CLI and sets it.');
  }
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCli }, ip: '127.0.0.1', ui: false, log: { format: 'pretty', level: 'error' } },
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [temporalResult, redisResult, bundleResult] = await Promise.allSettled([
    startTestTemporal(),
    startRedisServer(),
    bundleWorkflowCode({ ...workflowBundleOptions(), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }),
  ]);
  if (temporalResult.status === 'rejected' || redisResult.status === 'rejected' || bundleResult.status === 'rejected') {
    await Promise.allSettled([
      temporalResult.status === 'fulfilled' ? temporalResult.value.teardown() : undefined,
      redisResult.status === 'fulfilled' ? redisResult.value.stop() : undefined,
    ]);
    const failure = [temporalResult, redisResult, bundleResult].find((result) => result.status === 'rejected');
    throw failure?.status === 'rejected' ? failure.reason : new Error('a test peer failed to start');
  }
  const temporal = temporalResult.value;
  const redis = redisResult.value;
  const bundle = bundleResult.value;
  const bundleDir = await mkdtemp(join(tmpdir(), 'slipway-bundle-'));
  const workflowBundlePath = join(bundleDir, 'workflows.js');
  await writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporal.address);
  project.provide('redisUrl', redis.url);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    const wedged = await workflowTaskFailures(temporal.client).finally(() => Promise.allSettled([temporal.teardown(), redis.stop()]));
    if (wedged.length > 0) {
      // vitest reports an error thrown here but keeps its exit code: set ours, so CI fails.
      process.exitCode = 1;
      throw new Error(`workflow code failed a workflow task (an entity wedged) in ${wedged.length} place(s):\n${wedged.join('\n')}`);
    }
  };
}
