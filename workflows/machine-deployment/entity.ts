/**
 * The MachineDeployment entity: its MachineSets (one per template revision), their machines,
 * and every transition of them, as methods. It asks the pure rollout planner what to do next,
 * applies the actions, folds in what the cloud observer reports, replaces unhealthy machines under
 * the health check, and deletes every machine on delete. No activity failure escapes: a
 * refused create becomes a failed machine, a failed delete is retried for as long as it
 * takes, and a missing credential is a waiting state.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import { planRemediation, planRollout, previewRollout, templateRevision } from '../planners/rollout/index';
import type { RolloutAction, RolloutPlan } from '../planners/rollout/types';
import { machineNameFor, ownerMarker } from '../planners/names';
import { DEFAULT_QUIET_POLL_MAX_SECONDS } from '../planners/observer-pace';
import type { MachineActivities, MachineIdentity, ProjectionActivities } from '../entity/activities-api';
import { CLOUD_ACTIVITY_RETRY, PROJECTION_ACTIVITY } from '../entity/defaults';
import { fromOwner, type OwnerDeleteRequest } from '../entity/definitions';
import { entityLabel } from '../entity/ids';
import { describeFailure, isCredentialsFailure } from '../entity/failures';
import { noteCredentials } from '../entity/conditions';
import { withChange } from '../entity/handlers';
import { persistently, type StepFailure } from '../entity/persist';
import { MemoWriter, StatusPublisher, lifecycleKey } from '../entity/publisher';
import { PublicationSequence, projectToCache } from '../entity/projection-sink';
import { memberSignal } from '../cluster-deployment/definitions';
import type { MachineObservation } from './activities-api';
import { observationFingerprint } from './activities-api';
import type { CloudObserverActivities } from '../cloud-observer/activities-api';
import { cloudObserverWorkflowId, unsubscribeSignal, type CloudObserverInput, type MachinesObserved, type Subscription } from '../cloud-observer/definitions';
import { MACHINE_DEPLOYMENT_KIND, poolReportSignal, type MachineDeploymentInput, type OwnerMachinesRequest, type OwnedSpecRequest, type PlanRequest, type RolloutPreview } from './definitions';
import { healthInput } from './health';
import {
  deriveStatus,
  machinePhase,
  machineReady,
  memoObject,
  plannedMachineSets,
  plannedMachines,
  poolReportKey,
  poolReportOf,
  rolloutSpecOf,
  unreportedPoolKey,
  type MachineDeploymentState,
  type MachineRecord,
} from './state';

const DEFAULT_OBSERVE_SECONDS = 30;
const DEFAULT_BOOT_SECONDS = 120;
const DEFAULT_DRAIN_SECONDS = 60;
/** A refused create is retried by a replacement after this, doubling per consecutive failure. */
const CREATE_RETRY_BASE_MS = 5_000;
const CREATE_RETRY_MAX_MS = 300_000;

// A create is a few cloud API calls; a short start-to-close bounds how long one lost with a
// dead worker stays invisible before another worker retries it (and finds the machine by name).
const cloud = proxyActivities<Pick<MachineActivities, 'createMachine'>>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '5m',
  retry: CLOUD_ACTIVITY_RETRY,
});
const teardown = proxyActivities<Pick<MachineActivities, 'deleteMachine'>>({
  startToCloseTimeout: '20m',
  heartbeatTimeout: '10s',
  retry: CLOUD_ACTIVITY_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const projection = proxyActivities<ProjectionActivities>(PROJECTION_ACTIVITY);
const observerCalls = proxyActivities<Pick<CloudObserverActivities, 'subscribeToObserver'>>({ startToCloseTimeout: '15s', scheduleToCloseTimeout: '5m', retry: CLOUD_ACTIVITY_RETRY });

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function initialMachineDeploymentState(input: MachineDeploymentInput): MachineDeploymentState {
  return {
    object: input.object,
    machineSets: {},
    machines: {},
    nextMachineIndex: 0,
    nextRevisionNumber: 1,
    lastObservation: {},
    createFailures: 0,
    deletionRequested: false,
    deleted: false,
  };
}

export class MachineDeploymentEntity {
  readonly state: MachineDeploymentState;
  readonly workflowId = workflowInfo().workflowId;
  readonly namespace: string;
  readonly name: string;
  readonly label: string;
  /** Something changed since the main loop last planned. */
  changed = true;
  /** Creates and deletes still running. */
  inFlight = 0;
  /** No observation is taken once the entity is finished. */
  finished = false;
  /** Creates still running, by machine name: a delete must wait for its create, or the machine could appear after it. */
  private readonly creating = new Map<string, Promise<void>>();
  /** The key (state.ts, poolReportKey) of what the owner was last told, or has in mind before the first report. */
  private lastReport: string;
  readonly publisher: StatusPublisher;
  private readonly memo = new MemoWriter((memo) => upsertMemo({ object: memo }));
  readonly publications = new PublicationSequence();

  constructor(readonly input: MachineDeploymentInput) {
    this.state = (input.carried as MachineDeploymentState | undefined) ?? initialMachineDeploymentState(input);
    this.namespace = this.state.object.metadata.namespace ?? 'default';
    this.name = this.state.object.metadata.name;
    this.label = entityLabel(MACHINE_DEPLOYMENT_KIND, this.namespace, this.name);
    this.publisher = new StatusPublisher(() => this.publishOnce());
    this.lastReport = input.owner?.reports === 'readiness' ? unreportedPoolKey(this.state.object, this.revision()) : '';
  }

  private revision(): string {
    return templateRevision(this.state.object.spec.template);
  }

  refresh(): void {
    this.changed = true;
    this.publisher.markDirty();
  }

  private currentPlan(): RolloutPlan {
    return planRollout({ spec: rolloutSpecOf(this.state.object, this.revision()), machineSets: plannedMachineSets(this.state), machines: plannedMachines(this.state), now: Date.now() });
  }

  withStatus(): MachineDeployment {
    return { ...this.state.object, status: deriveStatus(this.state, this.currentPlan().counts, this.revision(), new Date().toISOString()) };
  }

  // --- publishing ---------------------------------------------------------------------
  /** Writes status where readers find it: the memo, the owner's report and the projection. */
  private async publishOnce(): Promise<void> {
    this.state.object = this.withStatus();
    this.memo.write(memoObject(this.state.object), lifecycleKey(this.state.object));
    await this.reportToOwner();
    if (this.state.deleted) await projection.projectObject({ kind: MACHINE_DEPLOYMENT_KIND, object: this.state.object, deleted: true });
    else projectToCache(MACHINE_DEPLOYMENT_KIND, this.state.object, this.publications.next());
  }

  private async reportToOwner(): Promise<void> {
    const owner = this.input.owner;
    if (!owner) return;
    const report = poolReportOf(this.state, owner.pool, this.revision());
    const text = poolReportKey(report, owner.reports);
    if (text === this.lastReport) return;
    try {
      await getExternalWorkflowHandle(owner.workflowId).signal(poolReportSignal, report);
      this.lastReport = text;
    } catch {
      // The owner has closed: nobody is left to read the report.
    }
  }


  // --- membership of a standalone MachineDeployment in its cluster -------------------
  /** Joins the cluster it is placed on; a cluster already gone means this MachineDeployment goes too. */
  async joinCluster(): Promise<void> {
    const cluster = this.input.placement.cluster;
    if (!cluster || this.state.joined) return;
    try {
      await getExternalWorkflowHandle(cluster.workflowId).signal(memberSignal, { kind: MACHINE_DEPLOYMENT_KIND, name: this.name, uid: this.uid, workflowId: this.workflowId, gone: false });
      this.state.joined = true;
    } catch {
      this.requestDeletion(new Date().toISOString());
    }
  }

  async leaveCluster(): Promise<void> {
    const cluster = this.input.placement.cluster;
    if (!cluster) return;
    await getExternalWorkflowHandle(cluster.workflowId)
      .signal(memberSignal, { kind: MACHINE_DEPLOYMENT_KIND, name: this.name, uid: this.uid, workflowId: this.workflowId, gone: true })
      .catch(() => undefined);
  }

  get uid(): string {
    return this.state.object.metadata.uid ?? this.workflowId;
  }

  // --- changes from outside -------------------------------------------------------------
  preview(request: PlanRequest, validate: (patch: NonNullable<PlanRequest['patch']>) => MachineDeployment): RolloutPreview {
    const object = request.patch ? validate(request.patch) : this.state.object;
    const preview = previewRollout({
      spec: rolloutSpecOf(object, templateRevision(object.spec.template)),
      machineSets: plannedMachineSets(this.state),
      machines: plannedMachines(this.state),
      bootSeconds: request.bootSeconds ?? DEFAULT_BOOT_SECONDS,
      drainSeconds: request.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
      namePrefix: `${this.name}-`,
    });
    return { waves: preview.waves, idealWaves: preview.idealWaves, expectedSeconds: preview.expectedSeconds, maxSurge: preview.budget.maxSurge, maxUnavailable: preview.budget.maxUnavailable };
  }

  refuseWhileDeleting(): void {
    if (this.state.deletionRequested) {
      throw ApplicationFailure.create({
        type: 'BeingDeleted',
        message: `${this.label} is being deleted and can no longer be changed. Wait for the deletion to finish, then create it again.`,
        nonRetryable: true,
      });
    }
  }

  refuseIfOwned(): void {
    const owner = this.input.owner;
    if (owner) {
      throw ApplicationFailure.create({
        type: 'OwnedByCluster',
        message:
          owner.kind === 'NodePool'
            ? `${this.label} runs the machines of NodePool ${this.namespace}/${owner.name}; change that NodePool instead.`
            : `${this.label} implements worker pool "${owner.pool}" of ClusterDeployment ${this.namespace}/${owner.name}; change spec.compute of that ClusterDeployment instead.`,
        nonRetryable: true,
      });
    }
  }

  setObject(next: MachineDeployment): MachineDeployment {
    this.state.object = next;
    this.refresh();
    return this.withStatus();
  }

  private setSpec(next: MachineDeployment): void {
    this.state.object = withChange(this.state.object, next);
    this.refresh();
  }

  undoTarget(toRevision: number | undefined) {
    const revision = this.revision();
    const current = this.state.machineSets[revision];
    const candidates = Object.values(this.state.machineSets).filter((set) => set.revision !== revision);
    return toRevision === undefined
      ? candidates.filter((set) => set.revisionNumber < (current?.revisionNumber ?? Number.MAX_SAFE_INTEGER)).sort((a, b) => b.revisionNumber - a.revisionNumber)[0]
      : candidates.find((set) => set.revisionNumber === toRevision);
  }

  undo(toRevision: number | undefined): MachineDeployment {
    const target = this.undoTarget(toRevision);
    if (target) this.setSpec({ ...this.state.object, spec: { ...this.state.object.spec, template: target.template } });
    return this.withStatus();
  }

  checkUndo(toRevision: number | undefined): void {
    this.refuseWhileDeleting();
    this.refuseIfOwned();
    if (!this.undoTarget(toRevision)) {
      const known = Object.values(this.state.machineSets).map((set) => set.revisionNumber).sort((a, b) => a - b).join(', ');
      throw ApplicationFailure.create({
        type: 'NoSuchRevision',
        message: toRevision === undefined
          ? `${this.label} has no earlier revision to go back to (revisions kept: ${known || 'none'}). Raise spec.revisionHistoryLimit to keep more.`
          : `${this.label} has no revision ${toRevision}; the revisions kept are ${known || 'none'}.`,
        nonRetryable: true,
      });
    }
  }

  requestDeletion(requestedAt: string): MachineDeployment {
    if (!this.state.deletionRequested) {
      this.state.deletionRequested = true;
      this.state.object = { ...this.state.object, metadata: { ...this.state.object.metadata, deletionTimestamp: requestedAt } };
      this.refresh();
    }
    return this.withStatus();
  }

  /** Only the owner (a cluster's pool) or the cluster it joined, proven by uid, may delete it this way. */
  takeOwnerDelete(request: OwnerDeleteRequest): void {
    if (!fromOwner([this.input.owner, this.input.placement.cluster], request.ownerUid)) return;
    if (request.preserveResources && !this.state.preserveResources) {
      this.state.preserveResources = true;
      this.refresh();
    }
    this.requestDeletion(request.requestedAt);
  }

  takeOwnerSpec(owned: OwnedSpecRequest): void {
    if (this.state.deletionRequested || !fromOwner([this.input.owner], owned.ownerUid)) return;
    this.setSpec({ ...this.state.object, spec: { ...this.state.object.spec, replicas: owned.replicas, template: owned.template, ...(owned.strategy ? { strategy: owned.strategy } : {}) } });
  }

  /** Only the owner, proven by uid, may act on machines this way; unknown names are skipped. */
  takeOwnerMachines(request: OwnerMachinesRequest): void {
    if (this.state.deletionRequested || !fromOwner([this.input.owner], request.ownerUid)) return;
    this.actOnMachines(request.names, request.annotations, request.delete === true);
  }

  actOnMachines(names: readonly string[], annotations: Readonly<Record<string, string | null>> | undefined, remove: boolean): MachineDeployment {
    for (const name of names) {
      const machine = this.state.machines[name];
      if (!machine) continue;
      for (const [key, value] of Object.entries(annotations ?? {})) {
        if (value === null) delete machine.annotations[key];
        else machine.annotations[key] = value;
      }
      if (remove) this.startDelete(machine, 'deleted by request');
    }
    this.refresh();
    return this.withStatus();
  }

  checkMachines(names: readonly string[]): void {
    this.refuseWhileDeleting();
    const unknown = names.filter((name) => !this.state.machines[name]);
    if (unknown.length > 0) {
      throw ApplicationFailure.create({
        type: 'InvalidPatch',
        message: `${this.label} has no machine ${unknown.join(', ')}; its machines are listed in status.machines.`,
        details: [unknown.map((name) => ({ path: 'names', message: `no machine ${name}` }))],
        nonRetryable: true,
      });
    }
  }

  // --- effects ----------------------------------------------------------------------
  private identity(machine: MachineRecord): MachineIdentity {
    const { placement } = this.input;
    return { target: placement.target, infraId: placement.infraId, workflowId: this.workflowId, uid: this.uid, machineName: machine.name, attempt: placement.attempt };
  }

  private setMachine(machine: MachineRecord, change: Partial<MachineRecord>): void {
    const before = machinePhase(machine);
    Object.assign(machine, change);
    if (machinePhase(machine) !== before) machine.since = new Date().toISOString();
    this.refresh();
  }

  private credentialsWait(machine: MachineRecord, failure: StepFailure, doing: string): void {
    noteCredentials(this.state, failure);
    this.setMachine(machine, { message: `${doing} failed ${failure.attempts} time(s): ${failure.message}; retrying in ${Math.round(failure.retryInMs / 1000)} s.` });
  }

  private credentialsAccepted(): void {
    if (noteCredentials(this.state, undefined)) this.refresh();
  }

  private createMachine(machineSetName: string): void {
    const set = this.state.machineSets[machineSetName];
    if (!set) return;
    const name = machineNameFor(this.name, set.revision, this.state.nextMachineIndex++);
    const machine: MachineRecord = {
      name,
      machineSet: set.name,
      createdAt: Date.now(),
      seenInCloud: false,
      wasReady: false,
      deleting: false,
      failed: false,
      annotations: {},
      remediating: false,
      since: new Date().toISOString(),
    };
    this.state.machines[name] = machine;
    this.refresh();
    this.inFlight += 1;
    const done = (async () => {
      try {
        // A missing or refused credential is a wait for the same machine, not a failed one.
        const created = await persistently(
          () =>
            cloud.createMachine({
              ...this.identity(machine),
              managementId: this.input.managementId,
              role: 'worker',
              pool: this.input.owner?.pool ?? this.name,
              ...(this.input.placement.hostedCluster ? { hostedCluster: this.input.placement.hostedCluster } : {}),
              instanceType: set.template.spec.infrastructure.instanceType,
              image: set.template.spec.infrastructure.image ?? this.input.placement.defaultImage,
              // A cluster's own pool is the cluster's; a standalone one marks its machines as its own.
              ...(this.input.owner ? {} : { owner: ownerMarker(this.namespace, this.name) }),
            }),
          { retryIf: isCredentialsFailure, onFailure: (failure) => this.credentialsWait(machine, failure, 'Create'), onRecovered: () => this.credentialsAccepted() },
        );
        this.state.createFailures = 0;
        if (machine.message?.startsWith('Create failed')) delete machine.message;
        if (created) this.setMachine(machine, { providerId: created.providerId });
      } catch (error) {
        this.state.createFailures += 1;
        this.setMachine(machine, { failed: true, message: `The cloud refused to create it: ${describeFailure(error)}` });
      } finally {
        this.inFlight -= 1;
        this.creating.delete(name);
      }
    })();
    this.creating.set(name, done);
  }

  /** Deletes a machine; never gives up, so a failure can neither wedge the entity nor leak the machine. */
  startDelete(machine: MachineRecord, why: string): void {
    if (machine.deleting) return;
    this.setMachine(machine, { deleting: true, message: `Deleting: ${why}.` });
    this.inFlight += 1;
    void (async () => {
      try {
        await this.creating.get(machine.name);
        const deleted = await persistently(() => teardown.deleteMachine(this.identity(machine)).then(() => true), {
          onFailure: (failure) => this.credentialsWait(machine, failure, 'Delete'),
          onRecovered: () => this.credentialsAccepted(),
          abandon: () => this.state.preserveResources === true,
        });
        if (!deleted) return;
        delete this.state.machines[machine.name];
        delete this.state.lastObservation[machine.name];
        this.refresh();
      } finally {
        this.inFlight -= 1;
      }
    })();
  }

  /** Applies one planner action; false when it changed nothing (a stale or repeated action). */
  private apply(action: RolloutAction): boolean {
    const { state } = this;
    switch (action.type) {
      case 'createMachineSet': {
        if (state.machineSets[action.machineSet]) return false;
        state.machineSets[action.machineSet] = {
          name: action.machineSet,
          revision: action.revision,
          revisionNumber: state.nextRevisionNumber++,
          replicas: action.replicas,
          template: state.object.spec.template,
        };
        return true;
      }
      case 'scaleMachineSet': {
        const set = state.machineSets[action.machineSet];
        if (!set || set.replicas === action.replicas) return false;
        set.replicas = action.replicas;
        return true;
      }
      case 'deleteMachineSet': {
        if (!state.machineSets[action.machineSet] || Object.values(state.machines).some((machine) => machine.machineSet === action.machineSet)) return false;
        delete state.machineSets[action.machineSet];
        return true;
      }
      case 'createMachine': {
        if (!state.machineSets[action.machineSet]) return false;
        this.createMachine(action.machineSet);
        return true;
      }
      case 'deleteMachine': {
        const machine = state.machines[action.machine];
        if (!machine || machine.deleting) return false;
        this.startDelete(machine, action.reason);
        return true;
      }
    }
  }

  /** Folds one cloud observation into the machines' records. */
  private observe(seen: Readonly<Record<string, MachineObservation>>): void {
    const now = Date.now();
    for (const machine of Object.values(this.state.machines)) {
      const observation = seen[machine.name];
      if (!observation) {
        // Gone from the cloud after it was there, and not by our hand: someone deleted it.
        if (machine.seenInCloud && !machine.deleting) {
          delete this.state.machines[machine.name];
          this.refresh();
        }
        continue;
      }
      const readyBefore = machineReady(machine);
      this.setMachine(machine, {
        seenInCloud: true,
        providerId: observation.providerId,
        cloudPhase: observation.phase,
        ...(observation.node !== undefined ? { node: observation.node } : {}),
        ...(observation.phase === 'failed' && !machine.deleting ? { failed: true, message: 'The cloud reports the machine failed.' } : {}),
      });
      const readyNow = machineReady(machine);
      if (readyNow && !readyBefore) this.setMachine(machine, { readySince: now, wasReady: true });
      if (!readyNow && machine.readySince !== undefined) delete machine.readySince;
    }
    this.state.lastObservation = Object.fromEntries(Object.entries(seen).map(([name, observation]) => [name, observationFingerprint(observation)]));
    this.refresh();
  }

  // --- the cloud observer -----------------------------------------------------------
  /** The interval the object or its start asked for; absent, the observer may look less often while all stays quiet. */
  private requestedObserveSeconds(): number | undefined {
    return this.state.object.spec.healthCheck?.checkIntervalSeconds ?? this.input.observeIntervalSeconds;
  }

  private observeSeconds(): number {
    return this.requestedObserveSeconds() ?? DEFAULT_OBSERVE_SECONDS;
  }

  /** The machines this entity wants the cloud to hold: until it shows exactly these, settled, the observer looks often. */
  private expectedMachines(): string[] {
    return Object.values(this.state.machines)
      .filter((machine) => !machine.deleting)
      .map((machine) => machine.name)
      .sort();
  }

  private subscription(): Subscription {
    return {
      workflowId: this.workflowId,
      infraId: this.input.placement.infraId,
      namePattern: `^${escapeRegExp(this.name)}-[0-9a-z]+-[0-9]+$`,
      expectedMachines: this.expectedMachines(),
      settledPollSeconds: this.observeSeconds(),
      quietPollMaxSeconds: this.requestedObserveSeconds() ?? DEFAULT_QUIET_POLL_MAX_SECONDS,
    };
  }

  private observerInput(): CloudObserverInput {
    return { target: this.input.placement.target, managementId: this.input.managementId };
  }

  /**
   * Tells the cloud observer of this account and region what to watch, whenever that changes
   * (a machine asked for or going; not when one settles, which the observer sees for itself).
   * Called from the main loop only; a failure is tried again on the next pass.
   */
  async keepSubscribed(): Promise<void> {
    if (this.finished) return;
    const subscription = this.subscription();
    const text = JSON.stringify(subscription);
    if (text === this.state.subscribedAs) return;
    try {
      await observerCalls.subscribeToObserver({ observer: this.observerInput(), observerWorkflowId: cloudObserverWorkflowId(this.input.managementId, this.input.placement.target), subscription });
      this.state.subscribedAs = text;
    } catch {
      this.changed = true;
    }
  }

  async unsubscribe(): Promise<void> {
    this.finished = true;
    await getExternalWorkflowHandle(cloudObserverWorkflowId(this.input.managementId, this.input.placement.target))
      .signal(unsubscribeSignal, { workflowId: this.workflowId })
      .catch(() => undefined);
  }

  takeObservation(observed: MachinesObserved): void {
    if (!this.finished) this.observe(observed.machines);
  }

  // --- planning -----------------------------------------------------------------------
  /** Replaces machines the health check judges unhealthy; returns when it next needs a look. */
  private remediate(now: number): number | undefined {
    const { state } = this;
    const replaceFailed = Object.values(state.machines).filter((machine) => machine.failed && !machine.deleting);
    const backoff = Math.min(CREATE_RETRY_MAX_MS, CREATE_RETRY_BASE_MS * 2 ** Math.max(0, state.createFailures - 1));
    let recheckAt: number | undefined;
    for (const machine of replaceFailed) {
      const due = Date.parse(machine.since) + (state.createFailures > 0 ? backoff : 0);
      if (now >= due) this.startDelete(machine, machine.message ?? 'it failed');
      else recheckAt = Math.min(recheckAt ?? due, due);
    }
    const check = state.object.spec.healthCheck;
    if (!check) return recheckAt;
    const judgement = planRemediation(healthInput(state, check, this.revision(), now));
    const blocked = judgement.shortCircuited ? { reason: judgement.shortCircuited.reason, message: judgement.shortCircuited.message } : undefined;
    if (JSON.stringify(blocked) !== JSON.stringify(state.remediationBlocked)) {
      if (blocked) state.remediationBlocked = blocked;
      else delete state.remediationBlocked;
      this.refresh();
    }
    for (const target of judgement.remediate) {
      const machine = state.machines[target.name];
      if (machine && !machine.deleting) {
        this.setMachine(machine, { remediating: true });
        this.startDelete(machine, `health check: ${target.reason}`);
      }
    }
    return judgement.recheckAt === undefined ? recheckAt : Math.min(recheckAt ?? judgement.recheckAt, judgement.recheckAt);
  }

  /** One planning pass; returns when the plan next needs a look, if a timer is due. */
  reconcile(): number | undefined {
    const now = Date.now();
    const healthRecheck = this.remediate(now);
    const plan = this.currentPlan();
    const applied = plan.actions.map((action) => this.apply(action)).filter(Boolean).length;
    if (applied > 0) this.refresh();
    const times = [healthRecheck, plan.recheckAt].filter((time): time is number => time !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** Deletes every machine, waits until each is gone, and marks the entity deleted. */
  async deleteAll(): Promise<void> {
    for (const machine of Object.values(this.state.machines)) this.startDelete(machine, 'the MachineDeployment is being deleted');
    // Until every machine is gone, or the owner abandoned the deletion and keeps them.
    const done = () => this.state.preserveResources === true || (this.inFlight === 0 && Object.keys(this.state.machines).length === 0);
    while (!done()) {
      this.changed = false;
      await this.publisher.publishIfDirty();
      await this.keepSubscribed();
      if (!this.changed && !done()) await condition(() => this.changed || done());
    }
    this.state.deleted = true;
    this.refresh();
  }
}
