/**
 * The NodePool entity: its state and transitions. It runs its machines through a
 * MachineDeployment it owns (as a ClusterDeployment's worker pools do), reads their Nodes from
 * the hosted API server on jittered timers, replaces machines whose Node stays unhealthy
 * (autoRepair), and sizes itself from the hosted cluster's Pods and Nodes (autoScaling). Only on
 * the Simulated platform do machines register Nodes; elsewhere none is read or waited for, and the
 * pool is judged by its machines' running state. No activity failure escapes: it becomes status
 * and is tried again.
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
import type { NodePool } from '../../crds/schemas/node-pool';
import type { ProjectionActivities } from '../entity/activities-api';
import { CLOUD_ACTIVITY_RETRY, PROJECTION_ACTIVITY } from '../entity/defaults';
import { fromOwner, type OwnerDeleteRequest } from '../entity/definitions';
import { describeFailure } from '../entity/failures';
import { entityLabel, entityWorkflowId } from '../entity/ids';
import { PublicationSequence, projectToCache } from '../entity/projection-sink';
import { MemoWriter, StatusPublisher, lifecycleKey } from '../entity/publisher';
import { DerivedObject, markDeletionRequested } from '../entity/status';
import { jitteredMs } from '../entity/timers';
import type { ControlPlaneActivities, HostedClusterRef } from '../hosted-cluster/control-plane-api';
import { nodePoolSignal } from '../hosted-cluster/definitions';
import { MACHINE_DEPLOYMENT_KIND, MACHINE_DEPLOYMENT_WORKFLOW_TYPE, ownerDeleteSignal, ownerMachinesSignal, ownerSpecSignal, type PoolReport } from '../machine-deployment/definitions';
import { poolReportSettled } from '../machine-deployment/pool-report';
import { DELETE_MACHINE_ANNOTATION } from '../machine-deployment/state';
import { DEFAULT_SCALE_DOWN_AFTER_SECONDS, DEFAULT_SCALE_UP_AFTER_SECONDS, decideScale } from '../planners/hosted/autoscaling';
import { planRemediation } from '../planners/rollout/index';
import { inPlaceMaxUnavailable, planInPlaceBatch } from '../planners/hosted/in-place';
import { readReleaseImage } from '../planners/hosted/release';
import type { AutoscalingActivities, InPlaceActivities } from './activities-api';
import { NODE_POOL_KIND, type NodePoolInput } from './definitions';
import { nodeHealthInput } from './health';
import { desiredMachineDeployment, machineDeploymentUid, ownedSpecOf, type DesiredMachineDeployment } from './machine-deployment';
import { persistently } from '../entity/persist';
import { configOf, deriveNodePoolStatus, desiredReplicas, memoObject, nodeOfMachine, reportsNodes, type NodePoolState } from './state';

const inPlace = proxyActivities<InPlaceActivities>({
  // Updating a machine where it runs takes about a boot.
  startToCloseTimeout: '20m',
  heartbeatTimeout: '1m',
  retry: CLOUD_ACTIVITY_RETRY,
});
const hosted = proxyActivities<Pick<ControlPlaneActivities, 'listHostedNodes' | 'deleteHostedNode'> & AutoscalingActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2m',
  retry: CLOUD_ACTIVITY_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const projection = proxyActivities<ProjectionActivities>(PROJECTION_ACTIVITY);

/** Settled Nodes are read this often, jittered. */
const DEFAULT_OBSERVE_SECONDS = 300;
/** While machines come and go, or Pods wait for room, Nodes are read this often. */
const BUSY_OBSERVE_SECONDS = 15;
/** Nodes of a deleted pool are removed this many times at most: the cluster's own deletion removes any left. */
const NODE_CLEANUP_ATTEMPTS = 3;

export function initialNodePoolState(input: NodePoolInput): NodePoolState {
  return { object: input.object, notReadySince: {}, firstSeen: {}, emptySince: {}, deletionRequested: false, deleted: false };
}

export class NodePoolEntity {
  readonly state: NodePoolState;
  readonly workflowId = workflowInfo().workflowId;
  readonly namespace: string;
  readonly name: string;
  readonly label: string;
  /** Something changed since the main loop last reconciled. */
  changed = true;
  private child: { result(): Promise<unknown> } | undefined;
  private readonly derived: DerivedObject<NodePool>;
  readonly publisher: StatusPublisher;
  private readonly memo = new MemoWriter((memo) => upsertMemo({ object: memo }));
  readonly publications = new PublicationSequence();

  constructor(readonly input: NodePoolInput) {
    this.state = (input.carried as NodePoolState | undefined) ?? initialNodePoolState(input);
    this.namespace = this.state.object.metadata.namespace ?? 'default';
    this.name = this.state.object.metadata.name;
    this.label = entityLabel(NODE_POOL_KIND, this.namespace, this.name);
    this.derived = new DerivedObject({ get: () => this.state.object, set: (object) => (this.state.object = object) }, () => ({ ...this.state.object, status: deriveNodePoolStatus(this.state, this.currentConfig(), new Date().toISOString()) }));
    this.publisher = new StatusPublisher(async () => {
      this.settledObject();
      this.memo.write(memoObject(this.state.object), lifecycleKey(this.state.object));
      if (this.state.deleted) await projection.projectObject({ kind: NODE_POOL_KIND, object: this.state.object, deleted: true });
      else projectToCache(NODE_POOL_KIND, this.state.object, this.publications.next());
    });
  }

  get uid(): string {
    return this.state.object.metadata.uid ?? this.workflowId;
  }

  /** Whether this pool's machines register Nodes (the Simulated platform only); elsewhere none is read or waited for. */
  get readsNodes(): boolean {
    return reportsNodes(this.state.object.spec.platform.type);
  }

  get clusterRef(): HostedClusterRef {
    const { cluster } = this.input.placement;
    return { namespace: this.namespace, name: cluster.name, uid: cluster.uid };
  }

  refresh(): void {
    this.changed = true;
    this.derived.invalidate();
    this.publisher.markDirty();
  }

  private currentConfig(): string | undefined {
    try {
      return configOf(desiredMachineDeployment(this.state.object, desiredReplicas(this.state), '1970-01-01T00:00:00Z').object.spec.template);
    } catch {
      return undefined;
    }
  }

  settledObject(): NodePool {
    return this.derived.settled();
  }

  snapshotObject(): NodePool {
    return this.derived.snapshot();
  }

  // --- changes from outside -------------------------------------------------------------
  applyPatch(next: NodePool): NodePool {
    this.state.object = next;
    this.refresh();
    return this.settledObject();
  }

  /** The cluster and the platform are fixed at creation: the machines live in that cluster's cloud. */
  checkPatch(current: NodePool, next: NodePool): void {
    const errors = [
      ...(next.spec.clusterName !== current.spec.clusterName ? [{ path: 'spec.clusterName', message: `is immutable (currently "${current.spec.clusterName}"); create a NodePool for the other cluster instead` }] : []),
      ...(next.spec.platform.type !== current.spec.platform.type ? [{ path: 'spec.platform.type', message: `is immutable (currently ${current.spec.platform.type}); create a new NodePool for another platform` }] : []),
    ];
    if (errors.length > 0) throw ApplicationFailure.create({ type: 'InvalidPatch', message: errors.map((error) => `${error.path}: ${error.message}`).join('; '), details: [errors], nonRetryable: true });
  }

  requestDeletion(requestedAt: string): NodePool {
    if (markDeletionRequested(this.state, requestedAt)) this.refresh();
    return this.settledObject();
  }

  takeOwnerDelete(request: OwnerDeleteRequest): void {
    if (fromOwner([this.input.placement.cluster], request.ownerUid)) this.requestDeletion(request.requestedAt);
  }

  takePoolReport(report: PoolReport): void {
    const record = this.state.machineDeployment;
    if (!record || report.machineDeployment !== record.name) return;
    this.state.report = report;
    const now = Date.now();
    for (const machine of report.machines) this.state.firstSeen[machine.name] ??= now;
    for (const name of Object.keys(this.state.firstSeen)) if (!report.machines.some((machine) => machine.name === name)) delete this.state.firstSeen[name];
    if (poolReportSettled(report, { replicas: desiredReplicas(this.state), revision: record.revision })) {
      const template = desiredMachineDeployment(this.state.object, desiredReplicas(this.state), new Date(now).toISOString()).object.spec.template;
      // An InPlace pool's version is the one its machines were updated to, not its template's.
      const version = this.state.object.spec.management.upgradeType === 'InPlace' ? this.state.rolledOut?.version : template.spec.version;
      this.state.rolledOut = { ...(version ? { version } : {}), config: configOf(template) };
    }
    this.refresh();
  }

  // --- the hosted cluster it belongs to -------------------------------------------------
  /** Joins its HostedCluster; a cluster already gone means this NodePool goes too. */
  async joinCluster(): Promise<void> {
    if (this.state.joined) return;
    try {
      await getExternalWorkflowHandle(this.input.placement.cluster.workflowId).signal(nodePoolSignal, { name: this.name, uid: this.uid, workflowId: this.workflowId, gone: false });
      this.state.joined = true;
    } catch {
      this.requestDeletion(new Date().toISOString());
    }
  }

  async leaveCluster(): Promise<void> {
    await getExternalWorkflowHandle(this.input.placement.cluster.workflowId)
      .signal(nodePoolSignal, { name: this.name, uid: this.uid, workflowId: this.workflowId, gone: true })
      .catch(() => undefined);
  }

  // --- the MachineDeployment ------------------------------------------------------------
  private desired(): DesiredMachineDeployment | undefined {
    try {
      return desiredMachineDeployment(this.state.object, desiredReplicas(this.state), new Date().toISOString());
    } catch (error) {
      this.state.lastError = describeFailure(error);
      return undefined;
    }
  }

  private async startMachineDeployment(desired: DesiredMachineDeployment): Promise<void> {
    const { placement } = this.input;
    const workflowId = entityWorkflowId(MACHINE_DEPLOYMENT_KIND, this.namespace, desired.object.metadata.name);
    const sentSpec = JSON.stringify(ownedSpecOf(desired));
    this.state.machineDeployment = { name: desired.object.metadata.name, workflowId, sentSpec, revision: desired.revision };
    this.refresh();
    try {
      this.child = await CancellationScope.nonCancellable(() =>
        startChild(MACHINE_DEPLOYMENT_WORKFLOW_TYPE, {
          workflowId,
          args: [
            {
              object: desired.object,
              managementId: this.input.managementId,
              placement: { target: placement.target, infraId: placement.infraId, defaultImage: this.state.object.spec.release.image, attempt: 0, hostedCluster: this.clusterRef },
              owner: { kind: NODE_POOL_KIND, name: this.name, uid: this.uid, workflowId: this.workflowId, pool: this.name },
              ...(this.input.machineObserveIntervalSeconds !== undefined ? { observeIntervalSeconds: this.input.machineObserveIntervalSeconds } : {}),
            },
          ],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          memo: { object: desired.object },
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      this.state.machineDeployment = {
        name: desired.object.metadata.name,
        workflowId,
        sentSpec,
        revision: desired.revision,
        conflict: `MachineDeployment ${this.namespace}/${desired.object.metadata.name} already exists and is not this NodePool's. Delete or rename that MachineDeployment, or delete this NodePool and create it under another name.`,
      };
      this.refresh();
    }
  }

  /** Starts the MachineDeployment, or sends it the replicas and template the spec now asks for. */
  async reconcileMachineDeployment(): Promise<void> {
    const desired = this.desired();
    if (!desired || !this.releaseValid()) return;
    const record = this.state.machineDeployment;
    if (!record) return this.startMachineDeployment(desired);
    if (record.conflict) return;
    const spec = ownedSpecOf(desired);
    const sentSpec = JSON.stringify(spec);
    if (sentSpec === record.sentSpec) return;
    record.sentSpec = sentSpec;
    record.revision = desired.revision;
    this.refresh();
    await getExternalWorkflowHandle(record.workflowId).signal(ownerSpecSignal, { ...spec, ownerUid: this.uid });
  }

  private releaseValid(): boolean {
    return readReleaseImage(this.state.object.spec.release.image).ok;
  }

  private async toMachines(names: readonly string[], request: { annotations?: Record<string, string>; delete?: boolean }): Promise<void> {
    const record = this.state.machineDeployment;
    if (!record || record.conflict || names.length === 0) return;
    await getExternalWorkflowHandle(record.workflowId).signal(ownerMachinesSignal, { names, ...request, ownerUid: this.uid });
  }

  // --- InPlace upgrades ---------------------------------------------------------------------
  /** Updates the next batch of an InPlace pool's machines to its release; machines that appear run the release of their time. */
  async upgradeInPlace(): Promise<void> {
    const { spec } = this.state.object;
    const release = readReleaseImage(spec.release.image);
    const record = this.state.machineDeployment;
    if (spec.management.upgradeType !== 'InPlace' || !release.ok || !record || record.conflict || !this.state.report) return;
    const tracked = (this.state.inPlace ??= { versions: {}, updating: [] });
    const machines = this.state.report.machines.filter((machine) => machine.phase !== 'Deleting');
    for (const machine of machines) tracked.versions[machine.name] ??= release.version;
    for (const name of Object.keys(tracked.versions)) if (!machines.some((machine) => machine.name === name)) delete tracked.versions[name];
    const maxUnavailable = inPlaceMaxUnavailable(spec.management.inPlace?.maxUnavailable ?? 1, desiredReplicas(this.state));
    const batch = planInPlaceBatch(
      machines.map((machine) => ({ name: machine.name, version: tracked.versions[machine.name], ready: machine.ready, updating: tracked.updating.includes(machine.name) })),
      release.version,
      maxUnavailable,
    );
    if (batch.done) {
      if (this.state.rolledOut?.version !== release.version) {
        this.state.rolledOut = { version: release.version, config: this.state.rolledOut?.config ?? '' };
        this.refresh();
      }
      return;
    }
    if (batch.update.length === 0) return;
    tracked.updating.push(...batch.update);
    this.refresh();
    await Promise.all(
      batch.update.map(async (name) => {
        try {
          const identity = { target: this.input.placement.target, infraId: this.input.placement.infraId, workflowId: record.workflowId, uid: machineDeploymentUid(this.state.object), machineName: name, attempt: 0 };
          // Retried with capped back-off until it lands; a delete request stops it.
          const updated = await persistently(() => inPlace.updateMachineInPlace({ ...identity, version: release.version, releaseImage: spec.release.image }).then(() => true), {
            onFailure: (failure) => {
              this.state.lastError = `Updating machine ${name} in place to ${release.version} failed ${failure.attempts} time(s): ${failure.message}. Retrying in ${Math.round(failure.retryInMs / 1000)} s.`;
              this.refresh();
            },
            onRecovered: () => {
              delete this.state.lastError;
            },
            abandon: () => this.state.deletionRequested,
          });
          if (updated) tracked.versions[name] = release.version;
        } finally {
          tracked.updating = tracked.updating.filter((entry) => entry !== name);
          this.refresh();
        }
      }),
    );
  }

  // --- looking at the hosted cluster -------------------------------------------------------
  /**
   * How long until the next look: short while machines or Pods are in motion (or a Node's machine
   * is gone, so the Node is removed soon), long and jittered when settled. An autoscaled pool looks
   * at least every scaleUpAfterSeconds, as a cluster autoscaler scans, so a Pod that starts waiting
   * in a settled pool is seen in time.
   */
  nextLookMs(recheckAt: number | undefined): number | undefined {
    const machines = this.state.report?.machines ?? [];
    const autoscaling = this.state.object.spec.autoScaling !== undefined;
    // Without Nodes to read, only the autoscaler has anything to look at.
    if ((machines.length === 0 || !this.readsNodes) && !autoscaling) return undefined;
    const nodes = this.state.nodes;
    const settled = this.readsNodes
      ? nodes !== undefined &&
        machines.every((machine) => machine.ready && nodeOfMachine(nodes, machine.name)?.ready === 'True') &&
        nodes.every((node) => node.machineName === undefined || machines.some((machine) => machine.name === node.machineName))
      : machines.every((machine) => machine.ready);
    const observeSeconds = settled ? (this.input.observeIntervalSeconds ?? DEFAULT_OBSERVE_SECONDS) : Math.min(BUSY_OBSERVE_SECONDS, this.input.observeIntervalSeconds ?? BUSY_OBSERVE_SECONDS);
    const base = (autoscaling ? Math.min(observeSeconds, Math.max(1, this.scaleUpAfterSeconds())) : observeSeconds) * 1000;
    const jittered = jitteredMs(base);
    return recheckAt === undefined ? jittered : Math.max(1_000, Math.min(jittered, recheckAt - Date.now()));
  }

  /** Reads the Nodes, removes those whose machine is gone, repairs and autoscales; returns when a timer is due sooner. */
  async look(): Promise<number | undefined> {
    const now = Date.now();
    if (!this.readsNodes) {
      const scaleAt = await this.autoscale(now);
      this.refresh();
      return scaleAt;
    }
    try {
      const nodes = await hosted.listHostedNodes({ ref: this.clusterRef, nodePool: this.name });
      this.state.nodes = nodes;
      delete this.state.nodesError;
      for (const node of nodes) {
        if (node.ready === 'True') delete this.state.notReadySince[node.name];
        else this.state.notReadySince[node.name] ??= now;
      }
      for (const name of Object.keys(this.state.notReadySince)) if (!nodes.some((node) => node.name === name)) delete this.state.notReadySince[name];
    } catch (error) {
      this.state.nodesError = `The hosted API server could not be read: ${describeFailure(error)}. Slipway reads it again shortly.`;
      this.refresh();
      return undefined;
    }
    await this.removeOrphanNodes();
    const repairAt = await this.repair(now);
    const scaleAt = await this.autoscale(now);
    this.refresh();
    const times = [repairAt, scaleAt].filter((time): time is number => time !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** A Node whose machine the MachineDeployment no longer has is removed from the hosted cluster. */
  private async removeOrphanNodes(): Promise<void> {
    const report = this.state.report;
    if (!report || !this.state.nodes) return;
    const orphans = this.state.nodes.filter((node) => node.machineName !== undefined && !report.machines.some((machine) => machine.name === node.machineName));
    for (const node of orphans) {
      try {
        await hosted.deleteHostedNode({ ref: this.clusterRef, nodeName: node.name });
        this.state.nodes = this.state.nodes.filter((candidate) => candidate.name !== node.name);
      } catch (error) {
        this.state.lastError = `Removing Node ${node.name} failed: ${describeFailure(error)}. Slipway tries again at the next look.`;
      }
    }
  }

  private async repair(now: number): Promise<number | undefined> {
    if (!this.state.object.spec.management.autoRepair) return undefined;
    const input = nodeHealthInput(this.state, desiredReplicas(this.state), now);
    if (!input) return undefined;
    const judgement = planRemediation(input);
    await this.toMachines(judgement.remediate.map((verdict) => verdict.name), { delete: true });
    return judgement.recheckAt;
  }

  private scaleUpAfterSeconds(): number {
    return this.input.scaleUpAfterSeconds ?? DEFAULT_SCALE_UP_AFTER_SECONDS;
  }

  private async autoscale(now: number): Promise<number | undefined> {
    const bounds = this.state.object.spec.autoScaling;
    if (!bounds || this.state.object.spec.replicas !== undefined) {
      delete this.state.autoscaled;
      return undefined;
    }
    let observation;
    try {
      observation = await hosted.readAutoscalingInput({ ref: this.clusterRef, nodePool: this.name });
    } catch (error) {
      this.state.lastError = `Reading the autoscaler's input failed: ${describeFailure(error)}. Slipway tries again at the next look.`;
      return undefined;
    }
    for (const node of observation.nodes) {
      if (node.empty) this.state.emptySince[node.name] ??= now;
      else delete this.state.emptySince[node.name];
    }
    for (const name of Object.keys(this.state.emptySince)) if (!observation.nodes.some((node) => node.name === name && node.empty)) delete this.state.emptySince[name];
    const current = desiredReplicas(this.state);
    const decision = decideScale({
      min: bounds.min,
      max: bounds.max,
      current,
      nodeAllocatable: observation.nodeAllocatable,
      pendingPods: observation.pendingPods.map((pod) => ({ name: pod.name, requests: pod.requests, pendingSince: Date.parse(pod.pendingSince) })),
      emptyNodes: observation.nodes.flatMap((node) => {
        const since = this.state.emptySince[node.name];
        return since === undefined ? [] : [{ name: node.name, ...(node.machineName ? { machineName: node.machineName } : {}), emptySince: since }];
      }),
      now,
      scaleUpAfterSeconds: this.scaleUpAfterSeconds(),
      scaleDownAfterSeconds: this.input.scaleDownAfterSeconds ?? DEFAULT_SCALE_DOWN_AFTER_SECONDS,
    });
    // The empty Nodes' machines go first when the size comes down, not whichever the rollout would pick.
    if (decision.replicas < current) await this.toMachines(decision.removeMachines, { annotations: { [DELETE_MACHINE_ANNOTATION]: 'true' } });
    this.state.autoscaled = { replicas: decision.replicas, reason: decision.reason };
    return decision.recheckAt;
  }

  // --- deletion ---------------------------------------------------------------------------
  /** Deletes the MachineDeployment (every machine) and the pool's Nodes, then marks the entity deleted. */
  async deleteAll(): Promise<void> {
    const record = this.state.machineDeployment;
    if (record && !record.conflict) {
      this.state.teardown = { step: 'deleteMachines', attempts: 0 };
      this.refresh();
      try {
        await getExternalWorkflowHandle(record.workflowId).signal(ownerDeleteSignal, { requestedAt: new Date().toISOString(), ownerUid: this.uid });
        await condition(() => this.state.report?.deleted === true);
      } catch {
        // Its workflow has closed: its machines are gone with it.
      }
      await this.child?.result().catch(() => undefined);
    }
    this.state.teardown = { step: 'deleteNodes', attempts: 0 };
    this.refresh();
    // No Node registered on a platform without one to read.
    for (let attempt = 1; this.readsNodes && attempt <= NODE_CLEANUP_ATTEMPTS; attempt += 1) {
      try {
        const nodes = await hosted.listHostedNodes({ ref: this.clusterRef, nodePool: this.name });
        for (const node of nodes) await hosted.deleteHostedNode({ ref: this.clusterRef, nodeName: node.name });
        break;
      } catch (error) {
        this.state.teardown = { step: 'deleteNodes', attempts: attempt, lastError: describeFailure(error), retryInMs: 0 };
        this.refresh();
      }
    }
    delete this.state.teardown;
    this.state.deleted = true;
    this.refresh();
  }
}
