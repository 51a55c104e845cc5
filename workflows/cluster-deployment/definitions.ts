/**
 * The ClusterDeployment entity workflow's public surface: its ID scheme, start input,
 * Updates and Query. Imported by the workflow and by its callers (API, tests), so both
 * sides agree on names and types.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';

export const CLUSTER_DEPLOYMENT_KIND = 'ClusterDeployment';

export function entityWorkflowId(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

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

/** State carried across continue-as-new. Opaque to callers. */
export interface CarriedState {
  readonly [key: string]: unknown;
}

export interface EntitySnapshot<T> {
  readonly object: T;
  /** True once deletion has finished; the API answers 404 from then on. */
  readonly deleted: boolean;
}

/** A JSON merge patch (RFC 7386) of spec, plus metadata.labels/annotations. */
export interface ClusterDeploymentPatch {
  readonly spec?: Record<string, unknown>;
  readonly metadata?: { readonly labels?: Record<string, string | null>; readonly annotations?: Record<string, string | null> };
}

export interface DeleteRequest {
  readonly requestedAt: string;
}

export const getClusterDeployment = defineQuery<EntitySnapshot<ClusterDeployment>>('getObject');
export const patchClusterDeployment = defineUpdate<ClusterDeployment, [ClusterDeploymentPatch]>('patch');
export const deleteClusterDeployment = defineUpdate<ClusterDeployment, [DeleteRequest]>('delete');
