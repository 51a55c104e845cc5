/** The REST API process. Settings come from the environment (services/common/config.ts). */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../common/config';
import { connectRedis, connectTemporal, redisConnectionSettings, temporalConnectionSettings } from '../common/connections';
import { createLogger } from '../common/logger';
import { createProjection } from '../common/projection';
import { loadApiToken } from './auth';
import { getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { getMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { createProjectionReconciler } from './projection-reconciler';
import { CLUSTER_DEPLOYMENT_WORKFLOW } from './routes/cluster-deployments';
import { MACHINE_DEPLOYMENT_WORKFLOW } from './routes/machine-deployments';
import { buildApiServer } from './server';
import { getHostedCluster } from '../../workflows/hosted-cluster/definitions';
import { getNodePool } from '../../workflows/node-pool/definitions';
import { homeFiles } from '../common/config';
import { kubeConfigFrom, kubernetesSecretStore } from '../worker/kubernetes-secrets';
import { fileSecretStore } from '../worker/secrets';
import { HOSTED_CLUSTER_WORKFLOW } from './routes/hosted-clusters';
import { NODE_POOL_ENTITY } from './routes/node-pools';

const config = loadConfig();
const logger = createLogger('api', config.logLevel);
const token = await loadApiToken(config);
const connection = await connectTemporal(temporalConnectionSettings(config.temporalAddress), (options) => Connection.connect(options));
const temporal = new Client({ connection, namespace: config.temporalNamespace });
const redis = await connectRedis(redisConnectionSettings(config.redisUrl), { maxRetriesPerRequest: 2 }, (error) => logger.warn({ err: error.message }, 'redis unavailable'));
redis.on('error', (error) => logger.warn({ err: error.message }, 'redis unavailable'));
const projection = createProjection(redis, { prefix: config.redisPrefix });

const NODE_POOL_WORKFLOW = { kind: NODE_POOL_ENTITY.kind, workflowType: NODE_POOL_ENTITY.workflowType };
for (const { kind, workflowType } of [CLUSTER_DEPLOYMENT_WORKFLOW, MACHINE_DEPLOYMENT_WORKFLOW, HOSTED_CLUSTER_WORKFLOW, NODE_POOL_WORKFLOW]) {
  const rebuilt = await projection.rebuildFromVisibility(temporal, { workflowType, taskQueue: config.taskQueue }, kind);
  if (rebuilt > 0) logger.info({ kind, objects: rebuilt }, 'rebuilt the list projection from Temporal visibility');
}

// The same store the worker reads: the dev stack's files, or with a kubeconfig the management cluster's Secrets first.
const fileSecrets = fileSecretStore(homeFiles.secrets(config.home));
const secrets = process.env.SLIPWAY_KUBECONFIG ? kubernetesSecretStore(kubeConfigFrom(process.env.SLIPWAY_KUBECONFIG), fileSecrets) : fileSecrets;
const app = await buildApiServer({ temporal, redis, projection, config, token, logger, secrets, controlPlanePlacement: config.controlPlanePlacement });
const reconciler = createProjectionReconciler({
  temporal,
  projection,
  taskQueue: config.taskQueue,
  kinds: [
    { ...CLUSTER_DEPLOYMENT_WORKFLOW, getObject: getClusterDeployment },
    { ...MACHINE_DEPLOYMENT_WORKFLOW, getObject: getMachineDeployment },
    { ...HOSTED_CLUSTER_WORKFLOW, getObject: getHostedCluster },
    { ...NODE_POOL_WORKFLOW, getObject: getNodePool },
  ],
  logger,
  intervalMs: config.projectionReconcileSeconds * 1000,
});
reconciler.start();
const stop = async () => {
  reconciler.stop();
  await app.close();
  redis.disconnect();
  await connection.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
await app.listen({ host: config.apiHost, port: config.apiPort });
logger.info({ url: `http://${config.apiHost}:${config.apiPort}` }, 'Slipway API listening');
