/**
 * The controller: installs the CRDs, then every replica watches ClusterDeployments and
 * enqueues their keys, while only the holder of the Lease runs the reconcile worker.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { CLUSTER_DEPLOYMENT_KIND } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import type { SlipwayConfig } from '../common/config';
import { ClusterDeploymentReconciler } from './cluster-deployment-reconciler';
import { installProtectedDeletePolicy } from './admission-policy';
import { installCrds } from './crds';
import { EventRecorder } from './events';
import { ResourceInformer } from './informer';
import { CustomResourceClient } from './kube-objects';
import { LeaderElector } from './leader-election';
import { startReconcileWorker, WorkQueue } from './work-queue';

export interface ControllerTimings {
  readonly leaseDurationMs: number;
  readonly leaseRetryPeriodMs: number;
  readonly resyncMs: number;
  readonly pollIntervalMs: number;
  readonly perObjectDelayMs: number;
  readonly lockDurationMs: number;
  readonly maxReconcilesPerSecond: number;
  readonly concurrency: number;
}

export const DEFAULT_CONTROLLER_TIMINGS: ControllerTimings = {
  leaseDurationMs: 15_000,
  leaseRetryPeriodMs: 2_000,
  resyncMs: 30_000,
  pollIntervalMs: 2_000,
  perObjectDelayMs: 500,
  lockDurationMs: 30_000,
  maxReconcilesPerSecond: 20,
  concurrency: 4,
};

export interface ControllerOptions {
  readonly kubeConfig: KubeConfig;
  readonly temporal: Client;
  readonly config: Pick<SlipwayConfig, 'taskQueue' | 'managementId' | 'redisUrl' | 'redisPrefix'>;
  readonly logger: Logger;
  readonly leaseNamespace: string;
  readonly identity?: string;
  readonly timings?: Partial<ControllerTimings>;
}

export interface RunningController {
  readonly identity: string;
  isLeader(): boolean;
  stop(): Promise<void>;
}

const LEASE_NAME = 'slipway-controller';

function splitKey(key: string): { readonly namespace: string; readonly name: string } {
  const [, namespace = '', name = ''] = key.split('/');
  return { namespace, name };
}

export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { kubeConfig, logger } = options;
  const timings = { ...DEFAULT_CONTROLLER_TIMINGS, ...options.timings };
  const identity = options.identity ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const installed = await installCrds(kubeConfig);
  await installProtectedDeletePolicy(kubeConfig);
  logger.info({ crds: installed.map((crd) => crd.name) }, 'CRDs and the protected-delete admission policy installed');

  const resources = new CustomResourceClient(kubeConfig, 'clusterdeployments');
  const reconciler = new ClusterDeploymentReconciler({
    temporal: options.temporal,
    resources,
    events: new EventRecorder(kubeConfig, identity),
    config: options.config,
    pollIntervalMs: timings.pollIntervalMs,
  });
  const queueOptions = {
    redisUrl: options.config.redisUrl,
    prefix: `${options.config.redisPrefix}:controller`,
    perObjectDelayMs: timings.perObjectDelayMs,
    maxReconcilesPerSecond: timings.maxReconcilesPerSecond,
    concurrency: timings.concurrency,
    lockDurationMs: timings.lockDurationMs,
  };
  const queue = new WorkQueue(queueOptions);
  const informer = new ResourceInformer(kubeConfig, resources, {
    resyncMs: timings.resyncMs,
    restartAfterErrorMs: timings.leaseRetryPeriodMs,
    enqueue: (namespace, name) => {
      const key = entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, name);
      queue.enqueue(key).catch((error: unknown) => logger.warn({ key, err: String(error) }, 'could not enqueue'));
    },
    onError: (error) => logger.warn({ err: String(error) }, 'watch of clusterdeployments failed; restarting it'),
  });

  let worker: Worker | undefined;
  const elector = new LeaderElector(kubeConfig, {
    namespace: options.leaseNamespace,
    name: LEASE_NAME,
    identity,
    leaseDurationMs: timings.leaseDurationMs,
    retryPeriodMs: timings.leaseRetryPeriodMs,
    onStartedLeading: () => {
      logger.info({ identity }, 'leading: reconciling');
      worker = startReconcileWorker(
        queue,
        queueOptions,
        async (key) => {
          const { namespace, name } = splitKey(key);
          return reconciler.reconcile(namespace, name);
        },
        (key, error) => logger.warn({ key, err: error instanceof Error ? error.message : String(error) }, 'reconcile failed; it will be retried'),
      );
    },
    onStoppedLeading: async () => {
      logger.warn({ identity }, 'lost the lease: no longer reconciling');
      const stopping = worker;
      worker = undefined;
      await stopping?.close();
    },
    onError: (error) => logger.warn({ err: String(error) }, 'leader election: the Lease could not be read or written'),
  });

  await informer.start();
  elector.start();
  return {
    identity,
    isLeader: () => elector.isLeader,
    async stop() {
      await informer.stop();
      await elector.stop();
      await worker?.close();
      await queue.close();
    },
  };
}
