/**
 * The ClusterDeployment entity: its state and every transition of it, as methods. The
 * workflow function (workflow.ts) only wires Updates, Queries and Signals to it and runs its
 * main loop. Provisioning goes in order (infrastructure, first control-plane machine, the
 * rest of the control plane, workers); a failed attempt stops its sibling creates and is torn
 * down before the next; teardown never gives up; missing credentials are a waiting state.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  startChild,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import type { MachineRole } from '../../providers/types';
import { planDeprovision, type DeprovisionStep } from '../planners/deletion-order';
import { controlPlaneMachineName, infraIdFor } from '../planners/names';
import type { MachineIdentity, ProjectionActivities, ProviderTarget } from '../entity/activities-api';
import { CLOUD_ACTIVITY_RETRY, PROJECTION_ACTIVITY } from '../entity/defaults';
import { entityLabel, entityWorkflowId } from '../entity/ids';
import { describeFailure, isCancellation, isCredentialsFailure } from '../entity/failures';
import { noteCredentials } from '../entity/conditions';
import { persistently, type StepFailure } from '../entity/persist';
import { MemoWriter, StatusPublisher, lifecycleKey } from '../entity/publisher';
import { DerivedObject, markDeletionRequested } from '../entity/status';
import { PublicationSequence, projectToCache } from '../entity/projection-sink';
import { workflowFinished } from '../entity/metrics';
import { MACHINE_DEPLOYMENT_KIND, MACHINE_DEPLOYMENT_WORKFLOW_TYPE, ownerDeleteSignal, ownerSpecSignal, type PoolReport } from '../machine-deployment/definitions';
import type { ClusterActivities } from './activities-api';
import { CLUSTER_DEPLOYMENT_KIND, type ClusterDeploymentInput, type MemberNotice } from './definitions';
import { desiredPoolDeployments, ownedSpecOf, type DesiredPool } from './pools';
import {
  DEFAULT_CONTROL_PLANE_REPLICAS,
  DEFAULT_IMAGE,
  DEFAULT_INSTALL_ATTEMPTS_LIMIT,
  DEFAULT_INSTANCE_TYPE,
  deriveStatus,
  memoObject,
  platformOf,
  poolReportSettled,
  type ClusterState,
  type MachineRecord,
} from './state';

// Cloud API calls are a few HTTP requests each; a short start-to-close bounds how long a
// call lost with a dead worker stays invisible before it is retried elsewhere.
const cloud = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '15m',
  retry: CLOUD_ACTIVITY_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const boot = proxyActivities<Pick<ClusterActivities, 'awaitMachineRunning' | 'deleteMachine'>>({
  startToCloseTimeout: '20m',
  // Heartbeats carry cancellation, and the SDK throttles them to 80% of this timeout.
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '30m',
  retry: CLOUD_ACTIVITY_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const projection = proxyActivities<ProjectionActivities>(PROJECTION_ACTIVITY);

/** How often a pool whose name another MachineDeployment holds is tried again. */
const POOL_CONFLICT_RECHECK_MS = 60_000;

export function initialClusterState(input: ClusterDeploymentInput): ClusterState {
  const { object } = input;
  return {
    object,
    // Clusters started before infra IDs grew their suffix keep the one they have.
    infraId: infraIdFor(object.spec.clusterName, object.metadata.uid ?? workflowInfo().workflowId),
    stage: 'Pending',
    attempts: [],
    nextSerial: 0,
    machines: {},
    pools: {},
    members: {},
    deletionRequested: false,
    deleted: false,
  };
}

export class ClusterDeploymentEntity {
  readonly state: ClusterState;
  readonly workflowId = workflowInfo().workflowId;
  readonly namespace: string;
  readonly label: string;
  /** Spec changed since the workers were last reconciled. */
  specChanged = false;
  /** The running install or reconcile, cancelled by a delete request. */
  private work: CancellationScope | undefined;
  /** Status is derived once per publish (or Update reply), not on every mutation. */
  private readonly derived: DerivedObject<ClusterDeployment>;
  /** Control-plane machines whose create or boot is still running. */
  private readonly creating = new Set<string>();
  /** Started children of this run, so a teardown can wait for each to close before a retry starts it again. */
  private readonly children = new Map<string, { result(): Promise<unknown> }>();
  readonly publisher: StatusPublisher;
  private readonly memo = new MemoWriter((memo) => upsertMemo({ object: memo }));
  readonly publications = new PublicationSequence();

  constructor(readonly input: ClusterDeploymentInput) {
    this.state = (input.carried as ClusterState | undefined) ?? initialClusterState(input);
    this.state.members ??= {};
    this.namespace = this.state.object.metadata.namespace ?? 'default';
    this.label = entityLabel(CLUSTER_DEPLOYMENT_KIND, this.namespace, this.state.object.metadata.name);
    this.derived = new DerivedObject({ get: () => this.state.object, set: (object) => (this.state.object = object) }, () => ({ ...this.state.object, status: deriveStatus(this.state, new Date().toISOString()) }));
    this.publisher = new StatusPublisher(async () => {
      this.settledObject();
      this.memo.write(memoObject(this.state.object), lifecycleKey(this.state.object));
      if (this.state.deleted) await projection.projectObject({ kind: CLUSTER_DEPLOYMENT_KIND, object: this.state.object, deleted: true });
      else projectToCache(CLUSTER_DEPLOYMENT_KIND, this.state.object, this.publications.next());
    });
  }

  get uid(): string {
    return this.state.object.metadata.uid ?? this.workflowId;
  }

  refresh(): void {
    this.derived.invalidate();
    this.publisher.markDirty();
  }

  /** The object with its status up to date; a Query must not change state, so it uses snapshotObject. */
  settledObject(): ClusterDeployment {
    return this.derived.settled();
  }

  snapshotObject(): ClusterDeployment {
    return this.derived.snapshot();
  }

  // --- changes from outside -------------------------------------------------------------
  applyPatch(next: ClusterDeployment): ClusterDeployment {
    // A patch that changes nothing (a controller's Update-with-Start sends one) is no spec change.
    if (JSON.stringify(next) === JSON.stringify(this.state.object)) return this.settledObject();
    this.state.object = next;
    this.specChanged = true;
    this.refresh();
    return this.settledObject();
  }

  /** Control-plane scaling is not supported: refuse a change of its replica count. */
  checkPatch(current: ClusterDeployment, next: ClusterDeployment): void {
    const before = current.spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
    const after = next.spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
    if (before !== after) {
      const errors = [{ path: 'spec.controlPlane.replicas', message: `is immutable (currently ${before}); control-plane scaling is not supported yet: delete and recreate the cluster to change it` }];
      throw ApplicationFailure.create({ type: 'InvalidPatch', message: errors[0]!.message, details: [errors], nonRetryable: true });
    }
  }

  /** While deleting, the one change accepted is setting spec.preserveOnDelete: it abandons the teardown. */
  static abandonsTeardown(current: ClusterDeployment, next: ClusterDeployment): boolean {
    const { preserveOnDelete: before, ...restBefore } = current.spec;
    const { preserveOnDelete: after, ...restAfter } = next.spec;
    return after === true && before !== true && JSON.stringify(restBefore) === JSON.stringify(restAfter);
  }

  requestDeletion(requestedAt: string): ClusterDeployment {
    if (markDeletionRequested(this.state, requestedAt)) {
      this.work?.cancel();
      this.refresh();
    }
    return this.settledObject();
  }

  takePoolReport(report: PoolReport): void {
    const pool = this.state.pools[report.pool];
    if (pool && pool.machineDeployment === report.machineDeployment) {
      pool.report = report;
      this.refresh();
    }
  }

  takeMemberNotice(notice: MemberNotice): void {
    if (notice.gone) delete this.state.members[notice.workflowId];
    else if (!this.state.deleted) this.state.members[notice.workflowId] = { kind: notice.kind, name: notice.name, uid: notice.uid, workflowId: notice.workflowId };
    this.refresh();
  }

  // --- where the machines go --------------------------------------------------------
  target(): ProviderTarget {
    const platform = platformOf(this.state.object.spec);
    return {
      platform: platform.platform,
      region: platform.region,
      ...(platform.credentialsSecretName ? { credentialsRef: { namespace: this.namespace, name: platform.credentialsSecretName } } : {}),
    };
  }

  private identity(machine: MachineRecord): MachineIdentity {
    return { target: this.target(), infraId: this.state.infraId, workflowId: this.workflowId, uid: this.uid, machineName: machine.name, attempt: machine.attempt };
  }

  private releaseImage(): string {
    return this.state.object.spec.provisioning?.releaseImage ?? DEFAULT_IMAGE;
  }

  // --- waiting states -----------------------------------------------------------------
  private recordFailure(failure: StepFailure, during: string): void {
    noteCredentials(this.state, failure);
    this.state.lastError = `${during}: ${failure.message} (attempt ${failure.attempts}; retrying in ${Math.round(failure.retryInMs / 1000)} s)`;
    this.refresh();
  }

  private credentialsAccepted(): void {
    if (noteCredentials(this.state, undefined)) this.refresh();
  }

  /** Runs a provisioning step; a missing or refused credential makes it wait and retry, anything else fails it. */
  private async withCredentials<T>(during: string, step: () => Promise<T>): Promise<T> {
    const result = await persistently(step, {
      retryIf: isCredentialsFailure,
      onFailure: (failure) => this.recordFailure(failure, during),
      onRecovered: () => this.credentialsAccepted(),
    });
    // persistently gives undefined only when abandoned, and nothing abandons this.
    return result as T;
  }

  // --- machine steps ----------------------------------------------------------------
  private addMachine(role: MachineRole, pool: string, name: string): MachineRecord {
    const machine: MachineRecord = { name, role, pool, serial: this.state.nextSerial++, attempt: this.state.attempts.length, phase: 'Provisioning', since: new Date().toISOString() };
    this.state.machines[name] = machine;
    this.refresh();
    return machine;
  }

  private setPhase(machine: MachineRecord, phase: MachineRecord['phase'], message?: string): void {
    machine.phase = phase;
    machine.since = new Date().toISOString();
    if (message === undefined) delete machine.message;
    else machine.message = message;
    this.refresh();
  }

  private async provisionMachine(machine: MachineRecord, instanceType: string): Promise<void> {
    this.creating.add(machine.name);
    try {
      await this.createAndBoot(machine, instanceType);
    } finally {
      this.creating.delete(machine.name);
    }
  }

  private async createAndBoot(machine: MachineRecord, instanceType: string): Promise<void> {
    const created = await this.withCredentials(`create machine ${machine.name}`, () =>
      cloud.createMachine({ ...this.identity(machine), managementId: this.input.managementId, role: machine.role, pool: machine.pool, instanceType, image: this.releaseImage() }),
    );
    machine.providerId = created.providerId;
    this.refresh();
    try {
      await boot.awaitMachineRunning(this.identity(machine));
      this.setPhase(machine, 'Running');
    } catch (error) {
      if (!isCancellation(error)) this.setPhase(machine, 'Failed', describeFailure(error));
      throw error;
    }
  }

  private async deleteMachines(names: readonly string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const machine = this.state.machines[name];
        if (!machine) return;
        this.setPhase(machine, 'Deleting');
        await boot.deleteMachine(this.identity(machine));
        delete this.state.machines[name];
        this.refresh();
      }),
    );
  }

  // --- worker pools: one owned MachineDeployment each ------------------------------
  private async startPool(desired: DesiredPool): Promise<void> {
    const workflowIdOfPool = entityWorkflowId(MACHINE_DEPLOYMENT_KIND, this.namespace, desired.object.metadata.name);
    const sentSpec = JSON.stringify(ownedSpecOf(desired.object));
    this.state.pools[desired.pool] = { machineDeployment: desired.object.metadata.name, workflowId: workflowIdOfPool, sentSpec, revision: desired.revision };
    this.refresh();
    try {
      // Not cancellable: a delete request must not cancel the pool's workflow; the teardown deletes it.
      const child = await CancellationScope.nonCancellable(() =>
        startChild(MACHINE_DEPLOYMENT_WORKFLOW_TYPE, {
          workflowId: workflowIdOfPool,
          args: [
            {
              object: desired.object,
              managementId: this.input.managementId,
              placement: { target: this.target(), infraId: this.state.infraId, defaultImage: this.releaseImage(), attempt: this.state.attempts.length },
              owner: { kind: CLUSTER_DEPLOYMENT_KIND, name: this.state.object.metadata.name, uid: this.uid, workflowId: this.workflowId, pool: desired.pool, reports: 'readiness' },
              ...(this.input.poolObserveIntervalSeconds !== undefined ? { observeIntervalSeconds: this.input.poolObserveIntervalSeconds } : {}),
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          memo: { object: desired.object },
        }),
      );
      this.children.set(desired.pool, child);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // Someone else's MachineDeployment holds the name: say so, and never touch it.
      this.state.pools[desired.pool] = {
        machineDeployment: desired.object.metadata.name,
        workflowId: workflowIdOfPool,
        sentSpec,
        revision: desired.revision,
        conflict: `MachineDeployment ${this.namespace}/${desired.object.metadata.name} already exists and is not this cluster's worker pool "${desired.pool}". Delete or rename that MachineDeployment, or rename the pool in spec.compute; the cluster tries again every minute.`,
      };
      this.refresh();
    }
  }

  private async updatePool(desired: DesiredPool): Promise<void> {
    const pool = this.state.pools[desired.pool];
    if (!pool || pool.conflict) return this.startPool(desired);
    const spec = ownedSpecOf(desired.object);
    const sentSpec = JSON.stringify(spec);
    if (sentSpec === pool.sentSpec) return;
    pool.sentSpec = sentSpec;
    pool.revision = desired.revision;
    this.refresh();
    await getExternalWorkflowHandle(pool.workflowId).signal(ownerSpecSignal, { ...spec, ownerUid: this.uid });
  }

  /** Deletes a pool's MachineDeployment and waits until its machines are gone and it has closed. */
  private async deletePool(name: string): Promise<void> {
    const pool = this.state.pools[name];
    if (!pool) return;
    if (!pool.conflict && !pool.report?.deleted) {
      await getExternalWorkflowHandle(pool.workflowId).signal(ownerDeleteSignal, { requestedAt: new Date().toISOString(), ownerUid: this.uid });
      await condition(() => pool.report?.deleted === true || this.abandoned());
      if (this.abandoned()) await getExternalWorkflowHandle(pool.workflowId).signal(ownerDeleteSignal, { requestedAt: new Date().toISOString(), ownerUid: this.uid, preserveResources: true });
    }
    await this.children.get(name)?.result().catch(() => undefined);
    this.children.delete(name);
    delete this.state.pools[name];
    this.refresh();
  }

  /** Brings every worker pool to its desired spec and waits until each reports it holds; re-reads the spec while it moves. */
  async reconcileWorkers(): Promise<void> {
    for (;;) {
      this.specChanged = false;
      const desired = desiredPoolDeployments(this.state.object, this.uid, new Date().toISOString());
      const wanted = new Set(desired.map((pool) => pool.pool));
      await Promise.all(Object.keys(this.state.pools).filter((name) => !wanted.has(name)).map((name) => this.deletePool(name)));
      for (const pool of desired) await this.updatePool(pool);
      const settled = () => desired.every((pool) => poolReportSettled(this.state.pools[pool.pool]?.report, { replicas: pool.object.spec.replicas, revision: pool.revision }));
      const conflicted = desired.some((pool) => this.state.pools[pool.pool]?.conflict !== undefined);
      if (conflicted) {
        if (!(await condition(() => this.specChanged, POOL_CONFLICT_RECHECK_MS))) continue;
      } else {
        await condition(() => this.specChanged || settled());
      }
      if (!this.specChanged) return;
    }
  }

  // --- standalone MachineDeployments that joined this cluster ------------------------
  /** Deletes every member and waits for each to say it is gone (or to be found closed). */
  private async deleteMembers(): Promise<void> {
    for (const member of Object.values(this.state.members)) {
      try {
        await getExternalWorkflowHandle(member.workflowId).signal(ownerDeleteSignal, { requestedAt: new Date().toISOString(), ownerUid: this.uid });
      } catch {
        // Closed or never there: nothing of it is left to delete.
        delete this.state.members[member.workflowId];
        this.refresh();
      }
    }
    await condition(() => Object.keys(this.state.members).length === 0 || this.abandoned());
  }

  // --- install ------------------------------------------------------------------------
  private async provisionOnce(): Promise<void> {
    const spec = this.state.object.spec;
    this.state.stage = 'Infrastructure';
    this.refresh();
    const infra = await this.withCredentials('create cluster infrastructure', () =>
      cloud.ensureClusterInfra({ target: this.target(), infraId: this.state.infraId, clusterName: spec.clusterName, baseDomain: spec.baseDomain, managementId: this.input.managementId }),
    );
    this.state.apiURL = infra.apiURL;
    this.state.stage = 'ControlPlane';
    this.refresh();

    const controlPlaneType = spec.controlPlane?.platform?.instanceType ?? DEFAULT_INSTANCE_TYPE[platformOf(spec).platform].controlPlane;
    const replicas = spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
    const names = Array.from({ length: replicas }, (_, index) => controlPlaneMachineName(index));
    const [first, ...rest] = names.map((name) => this.state.machines[name] ?? this.addMachine('control-plane', 'master', name));
    if (first && first.phase !== 'Running') await this.provisionMachine(first, controlPlaneType);
    await Promise.all(rest.filter((machine) => machine.phase !== 'Running').map((machine) => this.provisionMachine(machine, controlPlaneType)));

    this.state.stage = 'Workers';
    this.refresh();
    await this.reconcileWorkers();
  }

  /**
   * Runs one attempt so that a delete request cancels it, and so that a failure stops every
   * sibling create and waits for it before anything is torn down: a machine can then never
   * land after the attempt's teardown. Returns false if deletion cancelled it.
   */
  private async runAttempt(fn: () => Promise<void>): Promise<boolean> {
    if (this.state.deletionRequested) return false;
    const work = new CancellationScope();
    this.work = work;
    try {
      await work.run(fn);
      return true;
    } catch (error) {
      // Creates and boots wait for their activity to acknowledge the cancel, so none is left running.
      work.cancel();
      await condition(() => this.creating.size === 0);
      if (isCancellation(error) && this.state.deletionRequested) return false;
      throw error;
    } finally {
      this.work = undefined;
    }
  }

  async reconcileSpecChange(): Promise<void> {
    try {
      await this.runAttempt(async () => {
        await this.reconcileWorkers();
        this.refresh();
      });
    } catch (error) {
      this.state.lastError = `reconcile worker pools: ${describeFailure(error)}`;
      this.refresh();
    }
  }

  async install(): Promise<void> {
    const limit = this.state.object.spec.installAttemptsLimit ?? DEFAULT_INSTALL_ATTEMPTS_LIMIT;
    while (this.state.attempts.length < limit && !this.state.deletionRequested) {
      const attempt = { attempt: this.state.attempts.length + 1, startedAt: new Date().toISOString(), outcome: 'InProgress' as const };
      this.state.attempts.push(attempt);
      this.refresh();
      try {
        if (!(await this.runAttempt(() => this.provisionOnce()))) {
          Object.assign(attempt, { outcome: 'Cancelled', finishedAt: new Date().toISOString(), message: 'Deletion was requested.' });
          this.refresh();
          return;
        }
        Object.assign(attempt, { outcome: 'Succeeded', finishedAt: new Date().toISOString() });
        this.state.stage = 'Provisioned';
        this.state.installedTimestamp = new Date().toISOString();
        delete this.state.lastError;
        this.refresh();
        return;
      } catch (error) {
        this.state.lastError = describeFailure(error);
        Object.assign(attempt, { outcome: 'Failed', finishedAt: new Date().toISOString(), message: this.state.lastError });
        this.state.stage = 'CleaningUpAttempt';
        this.refresh();
        await this.tearDown({ members: false });
      }
    }
    if (!this.state.deletionRequested) {
      this.state.stage = 'ProvisionFailed';
      this.refresh();
      workflowFinished(CLUSTER_DEPLOYMENT_KIND, 'provision_failed');
    }
  }

  // --- teardown -----------------------------------------------------------------------
  private teardownSteps(): DeprovisionStep[] {
    const machines = Object.values(this.state.machines).map((machine) => ({ name: machine.name, role: machine.role }));
    return planDeprovision(machines, Object.keys(this.state.pools));
  }

  private async runTeardownStep(step: DeprovisionStep): Promise<void> {
    const target = this.target();
    switch (step.kind) {
      case 'deletePools':
        await Promise.all(step.pools.map((pool) => this.deletePool(pool)));
        return;
      case 'deleteMachines':
        await this.deleteMachines(step.names);
        return;
      case 'sweepMachines':
        await cloud.sweepCluster({ target, infraId: this.state.infraId, managementId: this.input.managementId, machinesOnly: true });
        return;
      case 'deleteInfrastructure':
        await cloud.deleteClusterInfra({ target, infraId: this.state.infraId, managementId: this.input.managementId });
        delete this.state.apiURL;
        this.refresh();
        return;
      case 'sweep':
        await cloud.sweepCluster({ target, infraId: this.state.infraId, managementId: this.input.managementId });
        return;
    }
  }

  /** True once the user asked to keep the cloud resources (spec.preserveOnDelete during deletion). */
  private abandoned(): boolean {
    return this.state.deletionRequested && this.state.object.spec.preserveOnDelete === true;
  }

  /**
   * Deletes everything an attempt (or, with members, the whole cluster) made, in deprovision
   * order. Never gives up: each step is retried with capped back-off, its progress and last
   * error in status, until it succeeds or the teardown is abandoned (preserveOnDelete).
   */
  async tearDown(options: { readonly members: boolean }): Promise<void> {
    if (options.members && Object.keys(this.state.members).length > 0) await this.deleteMembers();
    for (const step of this.teardownSteps()) {
      if (this.abandoned()) return;
      this.state.teardown = { step: step.kind, attempts: 0 };
      this.refresh();
      await persistently(() => this.runTeardownStep(step), {
        onFailure: (failure) => {
          noteCredentials(this.state, failure);
          this.state.teardown = { step: step.kind, attempts: failure.attempts, lastError: failure.message, retryInMs: failure.retryInMs };
          this.refresh();
        },
        onRecovered: () => this.credentialsAccepted(),
        abandon: () => this.abandoned(),
      });
    }
    delete this.state.teardown;
    this.refresh();
  }

  /** Deletes the cluster and all it owns, then finishes. */
  async deprovision(): Promise<void> {
    this.state.stage = 'Deprovisioning';
    this.refresh();
    if (!this.state.object.spec.preserveOnDelete) await this.tearDown({ members: true });
    // A MachineDeployment that joined while the teardown ran is deleted before the cluster closes.
    while (Object.keys(this.state.members).length > 0 && !this.abandoned()) await this.deleteMembers();
    this.state.stage = this.state.object.spec.preserveOnDelete ? 'Abandoned' : 'Deleted';
    this.state.deleted = true;
    this.refresh();
  }
}

export { CLUSTER_DEPLOYMENT_KIND };
