/**
 * What differs between the resource types the emulator serves: how a PUT body is checked and
 * stored, which provisioning states a create and an update pass through, how the resource
 * reads back, and what keeps it from being deleted. The request flow around them (ARM's
 * asynchronous operation pattern) is the same for all and lives in routes-resources.ts.
 */
import type { ArmFailure } from './arm-http';
import type { ArmState, OperationOutcome, TrackedResource } from './state';

export interface EmulatorBehaviour {
  /** Virtual machines the subscription may hold; a create beyond it fails with a quota error. */
  readonly vmQuota: number;
  /** VM sizes the region "does not offer" (SkuNotAvailable at PUT). */
  readonly unavailableSizes: readonly string[];
  /** VM sizes whose allocation fails after the PUT was accepted (the operation ends Failed). */
  readonly allocationFailureSizes: readonly string[];
}

export interface PutContext {
  readonly state: ArmState;
  readonly behaviour: EmulatorBehaviour;
  readonly id: string;
  readonly location: string;
  readonly existing: TrackedResource | undefined;
}

export interface ResourceKind {
  /** Canonical casing, e.g. Microsoft.Compute/virtualMachines. */
  readonly type: string;
  /** Whose operations URL reports this type's asynchronous operations. */
  readonly namespace: string;
  readonly nameRule: { readonly pattern: RegExp; readonly description: string };
  /** provisioningState while a create runs, and while an update runs. */
  readonly creatingState: string;
  readonly updatingState: string;
  /** Checks the body's properties; returns what to store, or ARM's refusal. */
  accept(properties: Record<string, unknown>, context: PutContext): Record<string, unknown> | ArmFailure;
  /** The create/update operation finished: may end it as failed. */
  complete?(resource: TrackedResource, behaviour: EmulatorBehaviour): OperationOutcome;
  /** The resource as GET and list answer it. */
  view(resource: TrackedResource, expand: string | null): Record<string, unknown>;
  /** Refuses a DELETE while another resource still uses this one. */
  inUse?(resource: TrackedResource, state: ArmState): ArmFailure | undefined;
}

export function baseView(resource: TrackedResource, properties: Record<string, unknown>): Record<string, unknown> {
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    ...(Object.keys(resource.tags).length > 0 ? { tags: resource.tags } : {}),
    properties,
  };
}
