/**
 * The MachineDeployment entity workflow's public surface: its start input, Updates, Queries
 * and the Signals its owning ClusterDeployment uses. Imported by the workflow and by its
 * callers (API, ClusterDeployment workflow, tests).
 */
import type { HostedClusterRef } from '../hosted-cluster/control-plane-api';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { MachineDeployment, MachineDeploymentSpec } from '../../crds/schemas/machine-deployment';
import type { ProviderTarget } from '../entity/activities-api';
import type { CarriedState, DeleteRequest, EntityPatch, EntitySnapshot, EntityWrite, OwnerDeleteRequest, OwnerReference } from '../entity/definitions';

export const MACHINE_DEPLOYMENT_KIND = 'MachineDeployment';
export const MACHINE_DEPLOYMENT_WORKFLOW_TYPE = 'machineDeploymentWorkflow';

/** Where the machines go: resolved from the cluster when the MachineDeployment is started. */
export interface MachineDeploymentPlacement {
  readonly target: ProviderTarget;
  readonly infraId: string;
  /** The boot image when the template names none (the cluster's release image). */
  readonly defaultImage: string;
  /**
   * Distinguishes install attempts of an owning cluster, so a recreated MachineDeployment's
   * machines get fresh idempotency tokens. 0 for a standalone MachineDeployment.
   */
  readonly attempt: number;
  /**
   * The ClusterDeployment a standalone MachineDeployment runs on: it joins that cluster, which
   * deletes it before deleting itself. Absent for a cluster's own worker pools.
   */
  readonly cluster?: OwnerReference;
  /** A NodePool's machines: each registers a Node in this hosted cluster's API server. */
  readonly hostedCluster?: HostedClusterRef;
}

export interface MachineDeploymentOwner extends OwnerReference {
  /** The worker pool this MachineDeployment implements: an entry of a ClusterDeployment's spec.compute, or a NodePool's name. */
  readonly pool: string;
  /**
   * What the owner is told of (state.ts, poolReportKey): 'every-change' (the default) reports
   * each machine as it appears, which a NodePool needs to judge machines whose Node never
   * registers; 'readiness' reports only readiness, failures, revision and settling, which is
   * all a ClusterDeployment acts on, and spares both workflows a task per report.
   */
  readonly reports?: PoolReporting;
}

export type PoolReporting = 'every-change' | 'readiness';

export interface MachineDeploymentInput {
  /** Defaults applied, metadata.uid/generation/creationTimestamp set. */
  readonly object: MachineDeployment;
  readonly managementId: string;
  readonly placement: MachineDeploymentPlacement;
  readonly owner?: MachineDeploymentOwner;
  /** How often machines are looked at when spec.healthCheck does not say; tests lower it. */
  readonly observeIntervalSeconds?: number;
  readonly continueAsNewAfterEvents?: number;
  readonly carried?: CarriedState;
}

export type MachineDeploymentPatch = EntityPatch;

export interface UndoRequest {
  /** The revision number to go back to; the one before the current when absent. */
  readonly toRevision?: number;
}

/** Acts on named machines: sets or removes (null) annotations, and/or deletes them (they are replaced). */
export interface MachinesRequest {
  readonly names: readonly string[];
  readonly annotations?: Readonly<Record<string, string | null>>;
  readonly delete?: boolean;
}

/** One preview wave: the machines deleted at its start and those created in it. */
export interface PlanWave {
  readonly delete: readonly string[];
  readonly create: readonly string[];
  readonly expectedSeconds: number;
}

export interface RolloutPreview {
  readonly waves: readonly PlanWave[];
  readonly idealWaves: number;
  readonly expectedSeconds: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

export interface PlanRequest {
  /** The change to preview (as for patch); the current spec when absent. */
  readonly patch?: MachineDeploymentPatch;
  readonly bootSeconds?: number;
  readonly drainSeconds?: number;
}

/** What a MachineDeployment tells its owning cluster whenever its counts change. */
export interface PoolReport {
  readonly pool: string;
  readonly machineDeployment: string;
  readonly observedGeneration: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly updatedReplicas: number;
  /** The template revision the spec asks for (templateRevision of spec.template). */
  readonly revision: string;
  /** Spec replicas at the time of the report. */
  readonly desiredReplicas: number;
  /** The MachineDeployment has deleted every machine and is finishing. */
  readonly deleted: boolean;
  readonly machines: readonly { readonly name: string; readonly providerID?: string; readonly phase: string; readonly ready: boolean; readonly message?: string; readonly since: string }[];
}

/** The part of a MachineDeployment spec that a ClusterDeployment's pool decides. */
export type OwnedSpec = Pick<MachineDeploymentSpec, 'replicas' | 'template'>;

/** An owned spec as the owner sends it, with the uid that proves who sent it. */
export interface OwnedSpecRequest extends OwnedSpec {
  readonly ownerUid?: string;
  /** The rollout strategy, when the owner decides it too (a NodePool's management.replace); kept as it is when absent. */
  readonly strategy?: MachineDeploymentSpec['strategy'];
}

export const getMachineDeployment = defineQuery<EntitySnapshot<MachineDeployment>>('getObject');
export const planMachineDeploymentRollout = defineQuery<RolloutPreview, [PlanRequest]>('planRollout');
export const patchMachineDeployment = defineUpdate<EntityWrite<MachineDeployment>, [MachineDeploymentPatch]>('patch');
export const undoMachineDeployment = defineUpdate<EntityWrite<MachineDeployment>, [UndoRequest]>('undo');
export const machinesUpdate = defineUpdate<EntityWrite<MachineDeployment>, [MachinesRequest]>('machines');
export const deleteMachineDeployment = defineUpdate<EntityWrite<MachineDeployment>, [DeleteRequest]>('delete');
/** From the owning ClusterDeployment: the pool's new replicas and template. */
export const ownerSpecSignal = defineSignal<[OwnedSpecRequest]>('ownerSpec');
/** From the owning ClusterDeployment: delete every machine and finish. */
export const ownerDeleteSignal = defineSignal<[OwnerDeleteRequest]>('ownerDelete');
/** An owner's request to act on named machines (as the machines Update), with the uid that proves who sent it. */
export interface OwnerMachinesRequest extends MachinesRequest {
  readonly ownerUid?: string;
}

/** From the owner (a NodePool's autoscaler and autorepair): annotate or delete named machines. */
export const ownerMachinesSignal = defineSignal<[OwnerMachinesRequest]>('ownerMachines');
/** To the owner. */
export const poolReportSignal = defineSignal<[PoolReport]>('poolReport');
