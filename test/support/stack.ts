/**
 * A Slipway stack for tests, on the run's shared Temporal server and Redis: a simulated
 * cloud process, a worker with the real workflows on a task queue of its own, and
 * optionally the REST API on a free port. Everything is real; nothing is mocked.
 *
 * Each stack has a Temporal namespace of its own. Workflow IDs are entity names, and test
 * files run side by side on one server: in a shared namespace, a file's `demo` met another
 * file's `demo` left behind with no worker to answer for it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { waitFor } from '../../infra/processes';
import type { KubeConfig } from '@kubernetes/client-node';
import { startSupervisor, type RunningSupervisor } from '../../services/supervisor/launch';
import { createSupervisorClient, type SupervisorClient } from '../../services/supervisor/client';
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
   * Start the dev stack's supervisor (services/supervisor) for hosted clusters' local control
   * planes, as `npm run dev` does. Off by default: each control plane it runs is an etcd and a
   * kube-apiserver process, which only hosted-cluster suites need.
   */
  readonly supervisor?: boolean;
  /** A management cluster for kubernetes placement of hosted control planes (e.g. test/support/kube-apiserver.ts). */
  readonly managementCluster?: KubeConfig;
}

export interface TestStack {
  readonly id: string;
  /** The stack's own Temporal namespace: its client, worker and workerEnv use it. */
  readonly namespace: string;
  readonly taskQueue: string;
  readonly managementId: string;
  readonly redisPrefix: string;
  readonly home: string;
  readonly client: Client;
  readonly redis: Redis;
  readonly simCloud: { readonly url: string; readonly apiKey: string | undefined; readonly adapter: ProviderAdapter; kill(): void };
  /** Environment for a worker process (services/worker/main.ts) joining this stack. */
  readonly workerEnv: NodeJS.ProcessEnv;
  /** With options.supervisor: the running supervisor and a client of its control API. */
  readonly supervisor?: TestStackSupervisor;
  stop(): Promise<void>;
}

export interface TestStackSupervisor {
  /** The process running now (another one after start()). */
  readonly process: RunningSupervisor;
  readonly client: SupervisorClient;
  readonly token: string;
  /** SIGKILL: its etcd and kube-apiserver processes keep running, as after a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port, home and token, as the dev stack would; it ends what the killed one left and starts every recorded control plane. */
  start(): Promise<void>;
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

/**
 * Registers a namespace and waits until the frontend serves it: the dev server at once, a
 * full server (the PostgreSQL-backed run) once its namespace cache has refreshed.
 */
async function registerNamespace(connection: Connection, namespace: string): Promise<void> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await waitFor(`Temporal's frontend serving the test namespace ${namespace}`, async () => Boolean(await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 })), 60_000);
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
  const namespace = `slipway-test-${id}`;
  await registerNamespace(connection, namespace);
  const client = new Client({ connection, namespace });
  const redis = new Redis(redisUrl);
  const projection = createProjection(redis, { prefix: redisPrefix });
  const secrets = fileSecretStore(join(home, 'secrets'));
  const supervisorToken = randomUUID();
  const launchSupervisor = (port?: number) => startSupervisor({ home, token: supervisorToken, etcdUnsafeNoFsync: true, logFile: join(home, 'supervisor.log'), ...(port ? { port } : {}) });
  let supervisor = options.supervisor ? await launchSupervisor() : undefined;
  const supervisorClient = supervisor ? createSupervisorClient({ url: supervisor.url, token: supervisorToken }) : undefined;

  let worker: SlipwayWorker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (options.inProcessWorker ?? true) {
    nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    worker = await createSlipwayWorker({
      connection: nativeConnection,
      projectionWriter: createProjectionWriter(projection),
      namespace,
      taskQueue,
      workflowBundlePath: inject('workflowBundlePath'),
      activities: createSlipwayActivities({
        adapters: createAdapterResolver({
          secrets,
          simCloudUrl: simCloud.url,
          simulatedApiKey: simCloud.apiKey,
          // No rate limiter in-process: these workers poll the simulated cloud every 50 ms; the worker
          // process (services/worker/main.ts) runs with it, and test/e2e/aws-cluster.test.ts covers that.
          env: { ...process.env, ...options.adapterEnv },
        }),
        controlPlanes: { secrets, ...(supervisorClient ? { supervisor: supervisorClient } : {}), ...(options.managementCluster ? { managementCluster: options.managementCluster } : {}) },
        projection,
        temporal: client,
        taskQueue,
        sweepMarks: redisSweepMarks(redis, redisPrefix),
        pollIntervalMs: options.pollIntervalMs ?? 50,
      }),
    });
    workerRun = worker.run();
  }

  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    SLIPWAY_HOME: home,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    REDIS_URL: redisUrl,
    SLIPWAY_REDIS_PREFIX: redisPrefix,
    SLIPWAY_TASK_QUEUE: taskQueue,
    SLIPWAY_SIMCLOUD_URL: simCloud.url,
    SLIPWAY_SIMCLOUD_API_KEY: simCloud.apiKey ?? '',
    SLIPWAY_MANAGEMENT_ID: managementId,
    SLIPWAY_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    SLIPWAY_LOG_LEVEL: 'warn',
    ...(supervisor ? { SLIPWAY_SUPERVISOR_URL: supervisor.url, SLIPWAY_SUPERVISOR_TOKEN: supervisorToken } : {}),
    ...options.adapterEnv,
  };

  return {
    id,
    namespace,
    taskQueue,
    managementId,
    redisPrefix,
    home,
    client,
    redis,
    simCloud: { url: simCloud.url, apiKey: simCloud.apiKey, adapter, kill: () => simCloud.kill() },
    workerEnv,
    ...(supervisor && supervisorClient
      ? {
          supervisor: {
            get process() {
              return supervisor!;
            },
            client: supervisorClient,
            token: supervisorToken,
            kill: () => supervisor!.kill(),
            async start() {
              supervisor = await launchSupervisor(Number(new URL(supervisor!.url).port));
            },
          },
        }
      : {}),
    async stop() {
      worker?.shutdown();
      await workerRun?.catch(() => undefined);
      await nativeConnection?.close();
      await connection.close();
      redis.disconnect();
      await simCloud.stop();
      if (supervisor && supervisorClient) {
        // Deleting frees each control plane's processes and ports; a plain stop would keep them for a restart.
        for (const report of await supervisorClient.list().catch(() => [])) await supervisorClient.remove(report.key).catch(() => undefined);
        await supervisor.stop();
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
