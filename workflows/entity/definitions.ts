/**
 * What every entity workflow shares on its public surface: snapshots, delete requests,
 * merge patches, owner references and the carried state of continue-as-new.
 */
import { defineSignal } from '@temporalio/workflow';
import type { OwnerSide } from './ownership';

/**
 * Asks an entity to publish its object again, changing nothing: the API sends it after it
 * rebuilt a lost projection from memos, whose status may be old, so each copy is replaced by
 * the entity's own soon. Any side may send it.
 */
export const republishSignal = defineSignal('republish');

export interface EntitySnapshot<T> {
  readonly object: T;
  /** True once deletion has finished and reached the list projection; the API answers 404 from then on. */
  readonly deleted: boolean;
}

/**
 * What a write (a patch, a delete, an undo) answers: the object as the write left it, and the
 * lowest publication number whose projected copy holds the write. The API records that number
 * so a GET served from the projection never shows an object from before a write it acknowledged.
 */
export interface EntityWrite<T> {
  readonly object: T;
  readonly publishedFrom: number;
}

export interface DeleteRequest {
  readonly requestedAt: string;
  /** The side asking (ownership.ts); a side may delete only what it owns. Absent: not checked. */
  readonly from?: OwnerSide;
}

/** A JSON merge patch (RFC 7386) of spec, plus metadata.labels/annotations. */
export interface EntityPatch {
  readonly spec?: Record<string, unknown>;
  readonly metadata?: { readonly labels?: Record<string, string | null>; readonly annotations?: Record<string, string | null> };
  /** The side sending it (ownership.ts); a side changes only what it owns. Absent: not checked. */
  readonly from?: OwnerSide;
  /** The patch moves ownership (it sets the owner annotation); either side may send one. */
  readonly handover?: boolean;
}

/** State carried across continue-as-new. Opaque to callers. */
export interface CarriedState {
  readonly [key: string]: unknown;
}

/**
 * Who owns an object, as Kubernetes ownerReferences name it: kind, name and uid. Only a
 * message that carries the owner's uid is obeyed, so an object of the same name created
 * later, or anyone else, cannot act as the owner.
 */
export interface OwnerReference {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly workflowId: string;
}

/** From an owner to what it owns: what the owner's uid proves. */
export interface OwnerDeleteRequest extends DeleteRequest {
  readonly ownerUid?: string;
  /** The owner's deletion was abandoned (preserveOnDelete): stop deleting, keep what is left, and finish. */
  readonly preserveResources?: boolean;
}

/** True when a message claiming to come from an owner carries that owner's uid. */
export function fromOwner(owners: readonly (OwnerReference | undefined)[], ownerUid: string | undefined): boolean {
  return ownerUid !== undefined && owners.some((owner) => owner !== undefined && owner.uid === ownerUid);
}
