/**
 * The HostedCluster entity workflow's public surface: its start input, Updates, Query and the
 * Signal its NodePools send. Imported by the workflow and its callers (API, NodePool workflow,
 * tests).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HostedCluster } from '../../crds/schemas/hosted-cluster';
import type { CarriedState, DeleteRequest, EntityPatch, EntitySnapshot, EntityWrite } from '../entity/definitions';
import type { ControlPlanePlacement } from './control-plane-api';

export const HOSTED_CLUSTER_KIND = 'HostedCluster';
export const HOSTED_CLUSTER_WORKFLOW_TYPE = 'hostedClusterWorkflow';

export interface HostedClusterInput {
  /** Defaults applied, metadata.uid/generation/creationTimestamp set. */
  readonly object: HostedCluster;
  readonly managementId: string;
  /** Where the control plane runs; local (the dev stack's supervisor) when absent. */
  readonly placement?: ControlPlanePlacement;
  /** How often a settled control plane is looked at, before jitter; tests lower it. */
  readonly observeIntervalSeconds?: number;
  readonly continueAsNewAfterEvents?: number;
  readonly carried?: CarriedState;
}

/** A NodePool naming this cluster joins it (or, finished, leaves it), so that deleting the cluster deletes it first. */
export interface NodePoolNotice {
  readonly name: string;
  readonly uid: string;
  readonly workflowId: string;
  readonly gone: boolean;
}

export const getHostedCluster = defineQuery<EntitySnapshot<HostedCluster>>('getObject');
export const patchHostedCluster = defineUpdate<EntityWrite<HostedCluster>, [EntityPatch]>('patch');
export const deleteHostedCluster = defineUpdate<EntityWrite<HostedCluster>, [DeleteRequest]>('delete');
export const nodePoolSignal = defineSignal<[NodePoolNotice]>('nodePool');
