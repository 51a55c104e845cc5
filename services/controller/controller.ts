/**
 * The controller: installs the CRDs, then every replica watches each reconciled kind
 * (reconciled-kinds.ts) and enqueues its objects' keys, while only the holder of the Lease
 * runs the reconcile worker.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@temporalio/client';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { KINDS } from '../../crds/schemas/index';
import { entityWorkflowId } from '../../workflows/entity/ids';
import type { SlipwayConfig } from '../common/config';
import { messagesOf } from '../common/connections';
import { EntityReconciler } from './entity-reconciler';
import { installProtectedDeletePolicy } from './admission-policy';
import { installCrds } from './crds';
import { EventRecorder } from './events';
import { ResourceInformer } from './informer';
import { CustomResourceClient } from './kube-objects';
import { LeaderElector } from './leader-election';
import { reconciledKinds } from './reconciled-kinds';
import { lockDurationFor, startReconcileWorker, WorkQueue, type ReconcileOutcome } from './work-queue';

export interface ControllerTimings {
  readonly leaseDurationMs: number;
  readonly leaseRetryPeriodMs: number;
  readonly resyncMs: number;
  readonly pollIntervalMs: number;
  readonly perObjectDelayMs: number;
  /** How long a reconcile job's lock lasts unrenewed; by default lockDurationFor(leaseDurationMs). */
  readonly lockDurationMs: number | undefined;
  readonly maxReconcilesPerSecond: number;
  readonly concurrency: number;
}

export const DEFAULT_CONTROLLER_TIMINGS: ControllerTimings = {
  leaseDurationMs: 15_000,
  leaseRetryPeriodMs: 2_000,
  resyncMs: 30_000,
  pollIntervalMs: 2_000,
  perObjectDelayMs: 500,
  lockDurationMs: undefined,
  maxReconcilesPerSecond: 20,
  concurrency: 4,
};

export interface ControllerOptions {
  readonly kubeConfig: KubeConfig;
  readonly temporal: Client;
  readonly config: Pick<SlipwayConfig, 'taskQueue' | 'managementId' | 'redisUrl' | 'redisPrefix'> & Partial<Pick<SlipwayConfig, 'controlPlanePlacement' | 'nodePoolScaleUpAfterSeconds' | 'nodePoolScaleDownAfterSeconds' | 'apiReadTimeoutSeconds'>>;
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

function splitKey(key: string): { readonly kind: string; readonly namespace: string; readonly name: string } {
  const [kind = '', namespace = '', name = ''] = key.split('/');
  return { kind, namespace, name };
}


export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { kubeConfig, logger } = options;
  const timings = { ...DEFAULT_CONTROLLER_TIMINGS, ...options.timings };
  const identity = options.identity ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const installed = await installCrds(kubeConfig);
  await installProtectedDeletePolicy(kubeConfig);
  logger.info({ crds: installed.map((crd) => crd.name) }, 'CRDs and the protected-delete admission policy installed');

  const events = new EventRecorder(kubeConfig, identity);
  const queueOptions = {
    redisUrl: options.config.redisUrl,
    prefix: `${options.config.redisPrefix}:controller`,
    perObjectDelayMs: timings.perObjectDelayMs,
    maxReconcilesPerSecond: timings.maxReconcilesPerSecond,
    concurrency: timings.concurrency,
    lockDurationMs: timings.lockDurationMs ?? lockDurationFor(timings.leaseDurationMs),
  };
  const queue = new WorkQueue(queueOptions);
  const reconcilers = new Map<string, { reconcile(namespace: string, name: string): Promise<ReconcileOutcome> }>();
  const informers: ResourceInformer[] = [];
  for (const entity of reconciledKinds(options.config.controlPlanePlacement ?? 'local')) {
    const { plural } = KINDS[entity.kind];
    const resources = new CustomResourceClient(kubeConfig, plural);
    reconcilers.set(entity.kind, new EntityReconciler({ entity, temporal: options.temporal, resources, events, config: options.config, pollIntervalMs: timings.pollIntervalMs }));
    informers.push(
      new ResourceInformer(kubeConfig, resources, {
        resyncMs: timings.resyncMs,
        restartAfterErrorMs: timings.leaseRetryPeriodMs,
        enqueue: (namespace, name) => {
          const key = entityWorkflowId(entity.kind, namespace, name);
          queue.enqueue(key).catch((error: unknown) => logger.warn({ key, err: String(error) }, 'could not enqueue'));
        },
        onError: (error) => logger.warn({ err: String(error) }, `watch of ${plural} failed; restarting it`),
      }),
    );
  }
  const reconcile = async (key: string): Promise<ReconcileOutcome> => {
    const { kind, namespace, name } = splitKey(key);
    const reconciler = reconcilers.get(kind);
    // A key of a kind this version does not reconcile (queued by a newer or older replica) is dropped.
    if (!reconciler) return {};
    return reconciler.reconcile(namespace, name);
  };

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
        reconcile,
        (key, error) => logger.warn({ key, err: messagesOf(error).join(': ') }, 'reconcile failed; it will be retried'),
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

  for (const informer of informers) await informer.start();
  elector.start();
  return {
    identity,
    isLeader: () => elector.isLeader,
    async stop() {
      for (const informer of informers) await informer.stop();
      await elector.stop();
      await worker?.close();
      await queue.close();
    },
  };
}
