/**
 * The worker process: runs Slipway's workflows and activities against the Temporal
 * server in TEMPORAL_ADDRESS. Settings come from the environment (services/common/config.ts).
 */
import { createServer } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { homeFiles, loadConfig } from '../common/config';
import { connectRedis, connectTemporal, redisConnectionSettings, temporalConnectionSettings } from '../common/connections';
import { createLogger } from '../common/logger';
import { metricsRegistry, workflowsFinished } from '../common/metrics';
import { createProjection } from '../common/projection';
import { createRedisRateLimiter } from '../../providers/rate-limit';
import { redisSweepMarks } from './sweep-marks';
import { createSlipwayActivities } from './activities';
import { createAdapterResolver } from './adapters';
import { createSlipwayWorker } from './create-worker';
import { createProjectionWriter } from './projection-writer';
import { kubeConfigFrom, kubernetesSecretStore } from './kubernetes-secrets';
import { fileSecretStore } from './secrets';
import { createSupervisorClient } from '../supervisor/client';

const config = loadConfig();
const logger = createLogger('worker', config.logLevel);

// Route the SDK's own logs (workflow and activity loggers carry workflowId) through pino.
Runtime.install({
  logger: new DefaultLogger(config.logLevel.toUpperCase() as LogLevel, (entry) => {
    const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    logger[level]({ ...entry.meta }, entry.message);
  }),
});

const temporalSettings = temporalConnectionSettings(config.temporalAddress);
const connection = await connectTemporal(temporalSettings, (options) => NativeConnection.connect(options));
// The cloud observer's activities read their workflow by Query and start it by signal-with-start.
const clientConnection = await connectTemporal(temporalSettings, (options) => Connection.connect(options));
const temporal = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
const redis = await connectRedis(redisConnectionSettings(config.redisUrl), { maxRetriesPerRequest: 2 }, (error) => logger.warn({ err: error.message }, 'redis unavailable; the projection will catch up when it returns'));
redis.on('error', (error) => logger.warn({ err: error.message }, 'redis unavailable; the projection will catch up when it returns'));
const projection = createProjection(redis, { prefix: config.redisPrefix });
// With a management cluster (CR mode), secret references are its Secrets in the object's
// namespace; the file store in SLIPWAY_HOME still answers for those it does not hold.
const fileSecrets = fileSecretStore(homeFiles.secrets(config.home));
const managementCluster = process.env.SLIPWAY_KUBECONFIG ? kubeConfigFrom(process.env.SLIPWAY_KUBECONFIG) : undefined;
const secrets = managementCluster ? kubernetesSecretStore(managementCluster, fileSecrets) : fileSecrets;
// Hosted clusters' local control planes run under the dev stack's supervisor, when there is one.
const supervisor = config.supervisorUrl && process.env.SLIPWAY_SUPERVISOR_TOKEN ? createSupervisorClient({ url: config.supervisorUrl, token: process.env.SLIPWAY_SUPERVISOR_TOKEN }) : undefined;
const projectionWriter = createProjectionWriter(projection, logger);

const worker = await createSlipwayWorker({
  connection,
  workflowThreads: config.workflowThreads,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  // Tests hand a bundle built once; otherwise the worker bundles the workflows at start.
  ...(process.env.SLIPWAY_WORKFLOW_BUNDLE ? { workflowBundlePath: process.env.SLIPWAY_WORKFLOW_BUNDLE } : {}),
  activities: createSlipwayActivities({
    adapters: createAdapterResolver({
      secrets,
      simCloudUrl: config.simCloudUrl,
      simulatedApiKey: process.env.SLIPWAY_SIMCLOUD_API_KEY,
      env: process.env,
      rateLimiter: createRedisRateLimiter({ redis, keyPrefix: `${config.redisPrefix}:ratelimit` }),
    }),
    // A hosted cluster's PKI is Slipway's own, so it stays in the file store even in CR mode.
    controlPlanes: { secrets: fileSecrets, ...(supervisor ? { supervisor } : {}), ...(managementCluster ? { managementCluster } : {}) },
    projection,
    temporal,
    taskQueue: config.taskQueue,
    sweepMarks: redisSweepMarks(redis, config.redisPrefix),
  }),
  projectionWriter,
  onWorkflowFinished: (kind, outcome, workflowId) => {
    workflowsFinished.inc({ kind, outcome });
    logger.info({ workflowId, kind, outcome }, 'workflow finished');
  },
});

const metricsPort = process.env.SLIPWAY_WORKER_METRICS_PORT;
const metricsServer = metricsPort
  ? createServer((request, response) => {
      if (request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      void metricsRegistry.metrics().then((body) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body));
    }).listen(Number(metricsPort), config.apiHost)
  : undefined;

const stop = () => {
  logger.info('shutting down the worker');
  worker.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

logger.info({ temporal: config.temporalAddress, taskQueue: config.taskQueue, simCloud: config.simCloudUrl }, 'worker running');
try {
  await worker.run();
} finally {
  // Status changes of the last workflow tasks are still on their way to Redis.
  await Promise.race([projectionWriter.idle(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  metricsServer?.close();
  redis.disconnect();
  await connection.close();
  await clientConnection.close();
}
