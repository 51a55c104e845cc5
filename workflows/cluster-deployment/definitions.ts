/**
 * The ClusterDeployment entity workflow's public surface: its start input, Updates, Query
 * and the Signals its members send. Imported by the workflow and by its callers (API,
 * tests), so both sides agree on names and types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import type { CarriedState, DeleteRequest, EntityPatch, EntitySnapshot, EntityWrite } from '../entity/definitions';

export const CLUSTER_DEPLOYMENT_KIND = 'ClusterDeployment';
export const CLUSTER_DEPLOYMENT_WORKFLOW_TYPE = 'clusterDeploymentWorkflow';

export interface ClusterDeploymentInput {
  /** The object as accepted by the API: defaults applied, metadata.uid/generation/creationTimestamp set. */
  readonly object: ClusterDeployment;
  /** Identifies the owning management plane; becomes the slipway.dev/management tag. */
  readonly managementId: string;
  /** How often the worker pools' MachineDeployments look at their machines; tests lower it. */
  readonly poolObserveIntervalSeconds?: number;
  /** History length at which the entity continues as new when idle; tests lower it. */
  readonly continueAsNewAfterEvents?: number;
  /** Set when continuing as new: everything the entity knew, so nothing is redone. */
  readonly carried?: CarriedState;
}

export type ClusterDeploymentPatch = EntityPatch;

/**
 * A standalone MachineDeployment placed on this cluster joins it (or, finished, leaves it), so
 * that deleting the cluster deletes it first: the cluster keeps its members in its own state,
 * a durable index no cache can lose.
 */
export interface MemberNotice {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly workflowId: string;
  readonly gone: boolean;
}

export const getClusterDeployment = defineQuery<EntitySnapshot<ClusterDeployment>>('getObject');
export const patchClusterDeployment = defineUpdate<EntityWrite<ClusterDeployment>, [ClusterDeploymentPatch]>('patch');
export const deleteClusterDeployment = defineUpdate<EntityWrite<ClusterDeployment>, [DeleteRequest]>('delete');
export const memberSignal = defineSignal<[MemberNotice]>('member');
