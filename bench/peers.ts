/**
 * What every benchmark runs on: one Temporal dev server, one redis-server, the simulated
 * cloud, one in-process worker with Slipway's workflows (bench/workflows.ts) on task queue
 * "bench", and one with only the bare baselines (bench/bare-workflow.ts) on "bench-bare": a
 * bare Temporal application's bundle holds its own workflow alone, and with Slipway's beside it
 * every bare workflow paid for evaluating Slipway's modules as well.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString, DefaultLogger } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { startSimulatedCloud } from '../providers/simulated/launch';
import { loadConfig } from '../services/common/config';
import { createProjection, type Projection } from '../services/common/projection';
import { createProjectionWriter, type ProjectionWriter } from '../services/worker/projection-writer';
import { slipwaySinks } from '../services/worker/create-worker';
import { redisSweepMarks } from '../services/worker/sweep-marks';
import { createSlipwayActivities } from '../services/worker/activities';
import { createAdapterResolver } from '../services/worker/adapters';
import { fileSecretStore } from '../services/worker/secrets';
import { startRedisServer } from '../test/support/redis-server';
import { workflowBundleOptions } from '../services/worker/bundle';

export const BENCH_TASK_QUEUE = 'bench';
export const BARE_TASK_QUEUE = 'bench-bare';

/** The worker's projection traffic so far: status changes workflows handed to the writer, and the Redis writes it made of them. */
export interface ProjectionTraffic {
  changes: number;
  writes: number;
}

export interface BenchPeers {
  readonly client: Client;
  readonly projection: Projection;
  readonly projectionTraffic: Readonly<ProjectionTraffic>;
  readonly simCloud: { readonly url: string; readonly apiKey: string | undefined };
  stop(): Promise<void>;
}

// A process installs the SDK's runtime once and bundles each workflow file once, however many
// stacks it starts one after another (bench:overhead gives every measured run a fresh one).
let runtimeInstalled = false;
const bundles = new Map<string, ReturnType<typeof bundleWorkflowCode>>();
function bundleOnce(workflowsPath: string, options: Omit<Parameters<typeof bundleWorkflowCode>[0], 'logger'> = { workflowsPath }): ReturnType<typeof bundleWorkflowCode> {
  const bundle = bundles.get(workflowsPath) ?? bundleWorkflowCode({ ...options, logger: new DefaultLogger('WARN') });
  bundles.set(workflowsPath, bundle);
  return bundle;
}

export async function startBenchPeers(cloud: { bootMs: number; deleteMs: number }, pollIntervalMs = 20): Promise<BenchPeers> {
  // Both workers run as many workflow threads as Slipway's worker does by default, so a
  // baseline is never measured with fewer threads than Slipway (SLIPWAY_WORKFLOW_THREADS).
  const { workflowThreads } = loadConfig(process.env);
  const temporalCli = process.env.TEMPORAL_CLI;
  if (!temporalCli) throw new Error('TEMPORAL_CLI is not set; run benchmarks through their npm scripts (npm run bench:...).');
  if (!runtimeInstalled) Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  runtimeInstalled = true;

  const home = await mkdtemp(join(tmpdir(), 'slipway-bench-'));
  const temporal = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCli }, ip: '127.0.0.1', ui: false } });
  const redisServer = await startRedisServer();
  const simCloud = await startSimulatedCloud({ statePath: join(home, 'simcloud.db'), ...cloud });
  const redis = new Redis(redisServer.url);
  const projection = createProjection(redis, { prefix: 'bench' });
  const client = new Client({ connection: temporal.connection });
  const slipwayWorkflows = fileURLToPath(new URL('./workflows.ts', import.meta.url));
  const bareWorkflows = fileURLToPath(new URL('./bare-workflow.ts', import.meta.url));
  const bundle = await bundleOnce(slipwayWorkflows, workflowBundleOptions(slipwayWorkflows));
  const connection = await NativeConnection.connect({ address: temporal.address });
  const secrets = fileSecretStore(join(home, 'secrets'));
  const activities = createSlipwayActivities({
    adapters: createAdapterResolver({ secrets, simCloudUrl: simCloud.url, simulatedApiKey: simCloud.apiKey }),
    controlPlanes: { secrets },
    projection,
    temporal: client,
    taskQueue: BENCH_TASK_QUEUE,
    sweepMarks: redisSweepMarks(redis, 'bench'),
    pollIntervalMs,
  });
  const projectionTraffic: ProjectionTraffic = { changes: 0, writes: 0 };
  const writer = createProjectionWriter({
    ...projection,
    put: (...args) => {
      projectionTraffic.writes += 1;
      return projection.put(...args);
    },
  });
  const projectionWriter: ProjectionWriter = {
    put: (...args) => {
      projectionTraffic.changes += 1;
      writer.put(...args);
    },
    idle: () => writer.idle(),
  };
  const worker = await Worker.create({
    connection,
    taskQueue: BENCH_TASK_QUEUE,
    workflowBundle: bundle,
    sinks: slipwaySinks({ projectionWriter }),
    activities,
    workflowThreadPoolSize: workflowThreads,
  });
  const bareWorker = await Worker.create({
    connection,
    taskQueue: BARE_TASK_QUEUE,
    workflowBundle: await bundleOnce(bareWorkflows),
    // The baselines run Slipway's own cloud activities, or no-ops (bench/bare-workflow.ts).
    activities: { async noop() {}, ensureClusterInfra: activities.ensureClusterInfra, createMachine: activities.createMachine, awaitMachineRunning: activities.awaitMachineRunning },
    workflowThreadPoolSize: workflowThreads,
  });
  const running = Promise.all([worker.run(), bareWorker.run()]);

  return {
    client,
    projection,
    projectionTraffic,
    simCloud: { url: simCloud.url, apiKey: simCloud.apiKey },
    async stop() {
      // Slipway's entities never finish: end them, so the worker has nothing left to drain.
      for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        await client.workflow.getHandle(execution.workflowId).terminate('benchmark finished').catch(() => undefined);
      }
      worker.shutdown();
      bareWorker.shutdown();
      await running;
      await connection.close();
      redis.disconnect();
      await simCloud.stop();
      await redisServer.stop();
      await temporal.teardown();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function timeIt(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}
