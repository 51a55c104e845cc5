/**
 * The HostedCluster entity: its state and every transition of it. The workflow function
 * (workflow.ts) wires Updates, the Query and the NodePool Signal to it and runs its main loop.
 * Rolling out goes PKI, cloud infrastructure (not on the simulated platform), then the control
 * plane until it is available at the release asked for; a settled control plane is looked at on
 * long jittered timers. Deletion goes NodePools, control plane, infrastructure, sweep, and
 * never gives up. No activity failure escapes: it becomes a condition and is retried.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { HostedCluster } from '../../crds/schemas/hosted-cluster';
import type { ClusterActivities } from '../cluster-deployment/activities-api';
import type { ProjectionActivities, ProviderTarget } from '../entity/activities-api';
import { noteCredentials } from '../entity/conditions';
import { CLOUD_ACTIVITY_RETRY, PROJECTION_ACTIVITY } from '../entity/defaults';
import { isCancellation } from '../entity/failures';
import { entityLabel } from '../entity/ids';
import { persistently, type StepFailure } from '../entity/persist';
import { PublicationSequence, projectToCache } from '../entity/projection-sink';
import { MemoWriter, StatusPublisher, lifecycleKey } from '../entity/publisher';
import { DerivedObject, markDeletionRequested } from '../entity/status';
import { jitteredMs } from '../entity/timers';
import { planHostedTeardown, type HostedTeardownStep } from '../planners/hosted/teardown';
import { readReleaseImage, runsKubernetesVersion } from '../planners/hosted/release';
import { beginRelease, completeRelease } from '../planners/hosted/version-history';
import { infraIdFor } from '../planners/names';
import { nodePoolOwnerDeleteSignal } from '../node-pool/definitions';
import type { ControlPlaneActivities, ControlPlanePlacement, HostedClusterRef } from './control-plane-api';
import { HOSTED_CLUSTER_KIND, type HostedClusterInput, type NodePoolNotice } from './definitions';
import { deriveHostedClusterStatus, hostedPlatformOf, memoObject, needsInfrastructure, type HostedClusterState } from './state';

const CONTROL_PLANE_ACTIVITY = {
  // Making the PKI's keys, or a teardown that stops processes one after the other with a grace period each: longer than a cloud call.
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '10m',
  retry: CLOUD_ACTIVITY_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;
// Key generation blocks the worker's event loop, so ensureHostedPki cannot heartbeat...
const pki = proxyActivities<Pick<ControlPlaneActivities, 'ensureHostedPki'>>(CONTROL_PLANE_ACTIVITY);
// ...while these calls heartbeat as they wait: a worker killed during one costs seconds, not the start-to-close timeout.
const controlPlane = proxyActivities<Pick<ControlPlaneActivities, 'ensureControlPlane' | 'describeControlPlane' | 'deleteControlPlane'>>({ ...CONTROL_PLANE_ACTIVITY, heartbeatTimeout: '10s' });
const cloud = proxyActivities<Pick<ClusterActivities, 'ensureClusterInfra' | 'deleteClusterInfra' | 'sweepCluster'>>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '15m',
  retry: CLOUD_ACTIVITY_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const projection = proxyActivities<ProjectionActivities>(PROJECTION_ACTIVITY);

/** A settled control plane is described this often, jittered: one short activity per cluster every few minutes. */
const DEFAULT_OBSERVE_SECONDS = 300;
/** While the control plane comes up, ensureControlPlane is asked again after this, doubling... */
const STARTUP_RECHECK_MS = 2_000;
/** ...up to this. */
const STARTUP_RECHECK_MAX_MS = 60_000;

export function initialHostedClusterState(input: HostedClusterInput): HostedClusterState {
  const { object } = input;
  return {
    object,
    infraId: object.spec.infraID ?? infraIdFor(object.metadata.name, object.metadata.uid ?? workflowInfo().workflowId),
    infrastructure: needsInfrastructure(object.spec) ? 'pending' : 'not-needed',
    everAvailable: false,
    history: [],
    nodePools: {},
    deletionRequested: false,
    deleted: false,
  };
}

export class HostedClusterEntity {
  readonly state: HostedClusterState;
  readonly workflowId = workflowInfo().workflowId;
  readonly namespace: string;
  readonly label: string;
  readonly placement: ControlPlanePlacement;
  /** The control plane should be brought to the spec: at start, after a spec change, after it was found down. */
  needsRollout = true;
  /** Spec changed since the last rollout began. */
  specChanged = false;
  private work: CancellationScope | undefined;
  private readonly derived: DerivedObject<HostedCluster>;
  readonly publisher: StatusPublisher;
  private readonly memo = new MemoWriter((memo) => upsertMemo({ object: memo }));
  readonly publications = new PublicationSequence();

  constructor(readonly input: HostedClusterInput) {
    this.state = (input.carried as HostedClusterState | undefined) ?? initialHostedClusterState(input);
    this.namespace = this.state.object.metadata.namespace ?? 'default';
    this.label = entityLabel(HOSTED_CLUSTER_KIND, this.namespace, this.state.object.metadata.name);
    this.placement = input.placement ?? 'local';
    this.derived = new DerivedObject({ get: () => this.state.object, set: (object) => (this.state.object = object) }, () => ({ ...this.state.object, status: deriveHostedClusterStatus(this.state, new Date().toISOString()) }));
    this.publisher = new StatusPublisher(async () => {
      this.settledObject();
      this.memo.write(memoObject(this.state.object), lifecycleKey(this.state.object, 'Available'));
      if (this.state.deleted) await projection.projectObject({ kind: HOSTED_CLUSTER_KIND, object: this.state.object, deleted: true });
      else projectToCache(HOSTED_CLUSTER_KIND, this.state.object, this.publications.next());
    });
  }

  get ref(): HostedClusterRef {
    return { namespace: this.namespace, name: this.state.object.metadata.name, uid: this.state.object.metadata.uid ?? this.workflowId };
  }

  refresh(): void {
    this.derived.invalidate();
    this.publisher.markDirty();
  }

  settledObject(): HostedCluster {
    return this.derived.settled();
  }

  /** For the Query, which must not change state. */
  snapshotObject(): HostedCluster {
    return this.derived.snapshot();
  }

  // --- changes from outside -------------------------------------------------------------
  applyPatch(next: HostedCluster): HostedCluster {
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(this.state.object.spec);
    this.state.object = next;
    if (specChanged) {
      this.specChanged = true;
      this.needsRollout = true;
    }
    this.refresh();
    return this.settledObject();
  }

  /** The platform, infra ID and base domain make the cluster's cloud resources and names: fixed at creation, as HyperShift has them. */
  checkPatch(current: HostedCluster, next: HostedCluster): void {
    const fixed: readonly [string, unknown, unknown][] = [
      ['spec.platform', current.spec.platform, next.spec.platform],
      ['spec.infraID', current.spec.infraID, next.spec.infraID],
      ['spec.dns.baseDomain', current.spec.dns.baseDomain, next.spec.dns.baseDomain],
    ];
    const errors = fixed
      .filter(([, before, after]) => JSON.stringify(before) !== JSON.stringify(after))
      .map(([path]) => ({ path, message: 'is immutable: the cluster\'s cloud resources and names derive from it; create a new HostedCluster to change it' }));
    if (errors.length > 0) throw ApplicationFailure.create({ type: 'InvalidPatch', message: errors.map((error) => `${error.path}: ${error.message}`).join('; '), details: [errors], nonRetryable: true });
  }

  requestDeletion(requestedAt: string): HostedCluster {
    if (markDeletionRequested(this.state, requestedAt)) {
      this.work?.cancel();
      this.refresh();
    }
    return this.settledObject();
  }

  takeNodePoolNotice(notice: NodePoolNotice): void {
    if (notice.gone) delete this.state.nodePools[notice.workflowId];
    else if (!this.state.deleted) this.state.nodePools[notice.workflowId] = { kind: 'NodePool', name: notice.name, uid: notice.uid, workflowId: notice.workflowId };
    this.refresh();
  }

  // --- where things go -------------------------------------------------------------------
  target(): ProviderTarget {
    const platform = hostedPlatformOf(this.state.object.spec);
    return {
      platform: platform.platform,
      region: platform.region,
      ...(platform.credentialsSecretName ? { credentialsRef: { namespace: this.namespace, name: platform.credentialsSecretName } } : {}),
    };
  }

  // --- steps that retry until they succeed, saying why in status ----------------------------
  private recordFailure(failure: StepFailure, during: string): void {
    noteCredentials(this.state, failure);
    this.state.lastError = `${during} failed ${failure.attempts} time(s), most recently: ${failure.message}. Retrying in ${Math.round(failure.retryInMs / 1000)} s by itself.`;
    this.refresh();
  }

  private async step<T>(during: string, run: () => Promise<T>): Promise<T> {
    const result = await persistently(run, {
      onFailure: (failure) => this.recordFailure(failure, during),
      onRecovered: () => {
        noteCredentials(this.state, undefined);
        delete this.state.lastError;
        this.refresh();
      },
    });
    // Nothing abandons these steps, so persistently resolves only with a result.
    return result as T;
  }

  // --- rollout -----------------------------------------------------------------------------
  /** Brings the control plane to the spec's release; returns early on a spec change, and a delete cancels it. */
  async rollOut(): Promise<void> {
    const work = new CancellationScope();
    this.work = work;
    try {
      await work.run(() => this.rollOutOnce());
    } catch (error) {
      if (!(isCancellation(error) && this.state.deletionRequested)) throw error;
    } finally {
      this.work = undefined;
    }
  }

  private async rollOutOnce(): Promise<void> {
    this.specChanged = false;
    const { spec } = this.state.object;
    const release = readReleaseImage(spec.release.image);
    this.refresh();
    // ValidReleaseImage=False says what to fix; nothing else can start until the spec changes.
    if (!release.ok) {
      this.needsRollout = false;
      return;
    }
    this.state.history = beginRelease(this.state.history, { image: spec.release.image, version: release.version }, new Date().toISOString());
    this.state.secrets ??= await this.step('Creating the PKI and admin kubeconfig', () => pki.ensureHostedPki({ ref: this.ref }));
    this.refresh();
    if (this.state.infrastructure === 'pending') {
      const infra = await this.step('Creating the cloud infrastructure', () =>
        cloud.ensureClusterInfra({ target: this.target(), infraId: this.state.infraId, clusterName: this.state.object.metadata.name, baseDomain: spec.dns.baseDomain, managementId: this.input.managementId }),
      );
      this.state.infrastructure = 'ready';
      this.state.infrastructureURL = infra.apiURL;
      this.refresh();
    }
    const secrets = this.state.secrets;
    for (let attempt = 0; ; attempt += 1) {
      const status = await this.step('Starting the control plane', () =>
        controlPlane.ensureControlPlane({ ref: this.ref, placement: this.placement, kubernetesVersion: release.kubernetesVersion, secrets }),
      );
      this.state.controlPlane = status;
      this.refresh();
      // A control plane that does not report its version yet is taken at its word.
      const atRelease = status.version === undefined || runsKubernetesVersion(status.version, release.kubernetesVersion);
      if (status.etcd.available && status.kubeAPIServer.available && atRelease) break;
      if (await condition(() => this.specChanged, Math.min(STARTUP_RECHECK_MAX_MS, STARTUP_RECHECK_MS * 2 ** attempt))) return;
    }
    this.state.history = completeRelease(this.state.history, spec.release.image, new Date().toISOString());
    this.state.everAvailable = true;
    this.needsRollout = this.specChanged;
    this.refresh();
  }

  /** How long a settled control plane waits before it is looked at: the interval, jittered so clusters spread out. */
  observeDelayMs(): number {
    return jitteredMs((this.input.observeIntervalSeconds ?? DEFAULT_OBSERVE_SECONDS) * 1000);
  }

  /** One look at the running control plane; a component found down is brought back by a rollout. */
  async observe(): Promise<void> {
    try {
      const status = await controlPlane.describeControlPlane({ ref: this.ref, placement: this.placement });
      const before = JSON.stringify(this.state.controlPlane);
      this.state.controlPlane = status;
      if (this.state.lastError) delete this.state.lastError;
      if (JSON.stringify(status) !== before) this.refresh();
      if (!status.etcd.available || !status.kubeAPIServer.available) this.needsRollout = true;
    } catch (error) {
      if (isCancellation(error)) throw error;
      this.state.lastError = `Describing the control plane failed: ${error instanceof Error ? error.message : String(error)}. Slipway looks again at the next interval.`;
      this.refresh();
    }
  }

  // --- teardown ------------------------------------------------------------------------------
  private async deleteNodePools(): Promise<void> {
    for (const pool of Object.values(this.state.nodePools)) {
      try {
        await getExternalWorkflowHandle(pool.workflowId).signal(nodePoolOwnerDeleteSignal, { requestedAt: new Date().toISOString(), ownerUid: this.ref.uid });
      } catch {
        // Closed or never there: nothing of it is left to delete.
        delete this.state.nodePools[pool.workflowId];
        this.refresh();
      }
    }
    await condition(() => Object.keys(this.state.nodePools).length === 0);
  }

  private async runTeardownStep(step: HostedTeardownStep): Promise<void> {
    const target = this.target();
    switch (step) {
      case 'deleteNodePools':
        return this.deleteNodePools();
      case 'deleteControlPlane':
        await controlPlane.deleteControlPlane({ ref: this.ref, placement: this.placement });
        delete this.state.controlPlane;
        this.refresh();
        return;
      case 'deleteInfrastructure':
        await cloud.deleteClusterInfra({ target, infraId: this.state.infraId, managementId: this.input.managementId });
        this.state.infrastructure = 'pending';
        this.refresh();
        return;
      case 'sweep':
        await cloud.sweepCluster({ target, infraId: this.state.infraId, managementId: this.input.managementId });
        return;
    }
  }

  /** Deletes the NodePools, control plane and infrastructure, in that order, never giving up; then marks the entity deleted. */
  async deprovision(): Promise<void> {
    const steps = planHostedTeardown({ nodePools: Object.keys(this.state.nodePools).length, infrastructure: needsInfrastructure(this.state.object.spec) });
    for (const step of steps) {
      this.state.teardown = { step, attempts: 0 };
      this.refresh();
      await persistently(() => this.runTeardownStep(step), {
        onFailure: (failure) => {
          noteCredentials(this.state, failure);
          this.state.teardown = { step, attempts: failure.attempts, lastError: failure.message, retryInMs: failure.retryInMs };
          this.refresh();
        },
        onRecovered: () => {
          if (noteCredentials(this.state, undefined)) this.refresh();
        },
      });
    }
    // A NodePool that joined while the teardown ran is deleted before the cluster closes.
    while (Object.keys(this.state.nodePools).length > 0) await this.deleteNodePools();
    delete this.state.teardown;
    this.state.deleted = true;
    this.refresh();
  }
}
