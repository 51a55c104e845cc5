/**
 * The NodePool entity workflow's public surface: its start input, Updates, Query and the
 * Signal its HostedCluster sends. Imported by the workflow and its callers (API, HostedCluster
 * workflow, tests).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { NodePool } from '../../crds/schemas/node-pool';
import type { ProviderTarget } from '../entity/activities-api';
import type { CarriedState, DeleteRequest, EntityPatch, EntitySnapshot, EntityWrite, OwnerDeleteRequest, OwnerReference } from '../entity/definitions';

export const NODE_POOL_KIND = 'NodePool';
export const NODE_POOL_WORKFLOW_TYPE = 'nodePoolWorkflow';

/** Where the machines go: the HostedCluster that spec.clusterName names, resolved when the NodePool is created. */
export interface NodePoolPlacement {
  /** The owner, by uid: only it may delete the NodePool by signal. */
  readonly cluster: OwnerReference;
  readonly target: ProviderTarget;
  /** The cluster's infra ID: every machine is tagged with it, so the cluster's sweep finds what a crash left. */
  readonly infraId: string;
}

export interface NodePoolInput {
  /** Defaults applied, metadata.uid/generation/creationTimestamp set. */
  readonly object: NodePool;
  readonly managementId: string;
  readonly placement: NodePoolPlacement;
  /** How often settled Nodes (and the autoscaler's input) are read, before jitter; tests lower it. */
  readonly observeIntervalSeconds?: number;
  /** How often the MachineDeployment looks at its machines in the cloud; tests lower it. */
  readonly machineObserveIntervalSeconds?: number;
  /**
   * The autoscaler's thresholds (planners/hosted/autoscaling.ts): how long a Pod waits for a Node
   * before the pool grows (default DEFAULT_SCALE_UP_AFTER_SECONDS), and how long a Node runs no Pod
   * before it is removed (default DEFAULT_SCALE_DOWN_AFTER_SECONDS). Set from the API's and the
   * controller's SLIPWAY_NODE_POOL_SCALE_UP_AFTER_SECONDS and SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS.
   */
  readonly scaleUpAfterSeconds?: number;
  readonly scaleDownAfterSeconds?: number;
  readonly continueAsNewAfterEvents?: number;
  readonly carried?: CarriedState;
}

export const getNodePool = defineQuery<EntitySnapshot<NodePool>>('getObject');
export const patchNodePool = defineUpdate<EntityWrite<NodePool>, [EntityPatch]>('patch');
export const deleteNodePool = defineUpdate<EntityWrite<NodePool>, [DeleteRequest]>('delete');
/** From the owning HostedCluster: delete every machine and finish. */
export const nodePoolOwnerDeleteSignal = defineSignal<[OwnerDeleteRequest]>('ownerDelete');
