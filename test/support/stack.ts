/**
 * A Slipway stack for tests, on the run's shared Temporal server and Redis: a simulated
 * cloud process, a worker with the real workflows on a task queue of its own, and
 * optionally the REST API on a free port. Everything is real; nothing is mocked.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { startSimulatedCloud, type SimulatedCloudOptions } from '../../providers/simulated/launch';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import type { ProviderAdapter } from '../../providers/types';
import { createProjection } from '../../services/common/projection';
import { createSlipwayActivities } from '../../services/worker/activities';
import { createAdapterResolver } from '../../services/worker/adapters';
import { createSlipwayWorker, type SlipwayWorker } from '../../services/worker/create-worker';
import { createProjectionWriter } from '../../services/worker/projection-writer';
import { fileSecretStore } from '../../services/worker/secrets';
import { redisSweepMarks } from '../../services/worker/sweep-marks';

export interface TestStackOptions {
  readonly simCloud?: Partial<SimulatedCloudOptions>;
  /** Run the worker in this process (default). False: the caller runs worker processes itself. */
  readonly inProcessWorker?: boolean;
  readonly pollIntervalMs?: number;
  /** Extra worker environment for adapters, e.g. SLIPWAY_AWS_ENDPOINT pointing at moto. */
  readonly adapterEnv?: Readonly<Record<string, string>>;
  /**
   * Activities registered beside Slipway's own, given the stack's home: stand-ins for ones this
   * branch calls but does not implement yet (the hosted control plane's).
   */
  readonly extraActivities?: (home: string) => object;
}

export interface TestStack {
  readonly id: string;
  readonly taskQueue: string;
  readonly managementId: string;
  readonly redisPrefix: string;
  readonly home: string;
  readonly client: Client;
  readonly redis: Redis;
  readonly simCloud: { readonly url: string; readonly apiKey: string | undefined; readonly adapter: ProviderAdapter; kill(): void };
  /** Environment for a worker process (services/worker/main.ts) joining this stack. */
  readonly workerEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

let runtimeInstalled = false;
/** The SDK logs every worker state change at INFO; tests want only warnings. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another helper in this process; its settings stand.
  }
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  quietRuntime();
  const id = randomUUID().slice(0, 8);
  const home = await mkdtemp(join(tmpdir(), `slipway-stack-${id}-`));
  const taskQueue = `slipway-test-${id}`;
  const managementId = `test-${id}`;
  const redisPrefix = `slipway-test-${id}`;
  const temporalAddress = inject('temporalAddress');
  const redisUrl = inject('redisUrl');

  const simCloud = await startSimulatedCloud({ statePath: join(home, 'simcloud.db'), bootMs: 0, deleteMs: 0, ...options.simCloud });
  const adapter = createSimulatedAdapter({ baseUrl: simCloud.url, apiKey: simCloud.apiKey, requestTimeoutMs: 10_000 });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const redis = new Redis(redisUrl);
  const projection = createProjection(redis, { prefix: redisPrefix });

  let worker: SlipwayWorker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (options.inProcessWorker ?? true) {
    nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    worker = await createSlipwayWorker({
      connection: nativeConnection,
      projectionWriter: createProjectionWriter(projection),
      namespace: 'default',
      taskQueue,
      workflowBundlePath: inject('workflowBundlePath'),
      activities: {
        ...createSlipwayActivities({
          adapters: createAdapterResolver({
            secrets: fileSecretStore(join(home, 'secrets')),
            simCloudUrl: simCloud.url,
            simulatedApiKey: simCloud.apiKey,
            // No rate limiter in-process: these workers poll the simulated cloud every 50 ms; the worker
            // process (services/worker/main.ts) runs with it, and test/e2e/aws-cluster.test.ts covers that.
            env: { ...process.env, ...options.adapterEnv },
          }),
          projection,
          temporal: client,
          taskQueue,
          sweepMarks: redisSweepMarks(redis, redisPrefix),
          pollIntervalMs: options.pollIntervalMs ?? 50,
        }),
        ...options.extraActivities?.(home),
      },
    });
    workerRun = worker.run();
  }

  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    SLIPWAY_HOME: home,
    TEMPORAL_ADDRESS: temporalAddress,
    REDIS_URL: redisUrl,
    SLIPWAY_REDIS_PREFIX: redisPrefix,
    SLIPWAY_TASK_QUEUE: taskQueue,
    SLIPWAY_SIMCLOUD_URL: simCloud.url,
    SLIPWAY_SIMCLOUD_API_KEY: simCloud.apiKey ?? '',
    SLIPWAY_MANAGEMENT_ID: managementId,
    SLIPWAY_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    SLIPWAY_LOG_LEVEL: 'warn',
    ...options.adapterEnv,
  };

  return {
    id,
    taskQueue,
    managementId,
    redisPrefix,
    home,
    client,
    redis,
    simCloud: { url: simCloud.url, apiKey: simCloud.apiKey, adapter, kill: () => simCloud.kill() },
    workerEnv,
    async stop() {
      worker?.shutdown();
      await workerRun?.catch(() => undefined);
      await nativeConnection?.close();
      await connection.close();
      redis.disconnect();
      await simCloud.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
