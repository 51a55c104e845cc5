/**
 * The controller process: reconciles Slipway's custom resources on the management cluster
 * named by the kubeconfig in SLIPWAY_KUBECONFIG, through the same entity workflows REST
 * drives. Other settings come from the environment (services/common/config.ts), plus:
 * SLIPWAY_CONTROLLER_LEASE_NAMESPACE (kube-system), SLIPWAY_CONTROLLER_LEASE_SECONDS (15),
 * SLIPWAY_CONTROLLER_RESYNC_SECONDS (30), SLIPWAY_CONTROLLER_POLL_MS (2000).
 */
import { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../common/config';
import { connectTemporal, temporalConnectionSettings } from '../common/connections';
import { createLogger } from '../common/logger';
import { DEFAULT_CONTROLLER_TIMINGS, startController } from './controller';

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} is not a positive number; set it to one, or unset it.`);
  return value;
}

const config = loadConfig();
const logger = createLogger('controller', config.logLevel);
const kubeconfigPath = process.env.SLIPWAY_KUBECONFIG;
if (!kubeconfigPath) {
  throw new Error('SLIPWAY_KUBECONFIG is not set: point it at the kubeconfig file of the management cluster the controller should reconcile.');
}
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);

const connection = await connectTemporal(temporalConnectionSettings(config.temporalAddress), (options) => Connection.connect(options));
const temporal = new Client({ connection, namespace: config.temporalNamespace });
const controller = await startController({
  kubeConfig,
  temporal,
  config,
  logger,
  leaseNamespace: process.env.SLIPWAY_CONTROLLER_LEASE_NAMESPACE || 'kube-system',
  timings: {
    leaseDurationMs: positiveNumber('SLIPWAY_CONTROLLER_LEASE_SECONDS', DEFAULT_CONTROLLER_TIMINGS.leaseDurationMs / 1000) * 1000,
    resyncMs: positiveNumber('SLIPWAY_CONTROLLER_RESYNC_SECONDS', DEFAULT_CONTROLLER_TIMINGS.resyncMs / 1000) * 1000,
    pollIntervalMs: positiveNumber('SLIPWAY_CONTROLLER_POLL_MS', DEFAULT_CONTROLLER_TIMINGS.pollIntervalMs),
  },
});
logger.info({ identity: controller.identity, cluster: kubeConfig.getCurrentCluster()?.server }, 'Slipway controller started');

const stop = async () => {
  await controller.stop();
  await connection.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
