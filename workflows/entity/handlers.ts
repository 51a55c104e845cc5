/**
 * The patch and delete Updates every entity takes, with validators that refuse a bad change
 * before it reaches history: a change to an object being deleted, an invalid merge patch, a
 * kind's own rule, annotations over Kubernetes' 256 KiB cap, and deletion of an object
 * annotated slipway.dev/protected-delete.
 */
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import type { FieldError, PatchResult } from '../../crds/validate';
import { republishSignal, type DeleteRequest, type EntityPatch, type EntitySnapshot, type EntityWrite } from './definitions';
import { MAX_ANNOTATIONS_BYTES } from './defaults';
import { OWNER_ANNOTATION, ownershipFailure, ownershipRefusal } from './ownership';

export const PROTECTED_DELETE_ANNOTATION = 'slipway.dev/protected-delete';

interface ObjectShape {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly generation?: number; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: unknown;
  readonly status?: unknown;
}

export function invalidPatch(errors: readonly FieldError[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidPatch',
    message: errors.map((error) => `${error.path}: ${error.message}`).join('; '),
    details: [errors],
    nonRetryable: true,
  });
}

/** The next object after a change of spec or metadata: generation moves only when spec does, status stays. */
export function withChange<T extends ObjectShape>(current: T, next: T): T {
  const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
  const generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
  return { ...next, metadata: { ...next.metadata, generation }, status: current.status };
}

export interface EntityHandlerWiring<T extends ObjectShape> {
  /** "ClusterDeployment default/demo". */
  readonly label: string;
  readonly getObject: QueryDefinition<EntitySnapshot<T>>;
  readonly patchObject: UpdateDefinition<EntityWrite<T>, [EntityPatch]>;
  readonly deleteObject: UpdateDefinition<EntityWrite<T>, [DeleteRequest]>;
  /** PublicationSequence.floor() of the entity: taken after a write changed the state. */
  readonly publicationFloor: () => number;
  /** Marks the status to be written again (memo, projection), changing nothing else. */
  readonly republish: () => void;
  readonly snapshot: () => EntitySnapshot<T>;
  readonly object: () => T;
  readonly deletionRequested: () => boolean;
  readonly validatePatch: (current: T, patch: EntityPatch) => PatchResult<T>;
  /** A kind's own rules on an accepted patch (an immutable count, an owned object); throws to refuse. */
  readonly checkPatch?: (current: T, next: T) => void;
  /** A patch the entity accepts while it is being deleted (the abandon request); false by default. */
  readonly allowedWhileDeleting?: (current: T, next: T) => boolean;
  /** A kind's own reason to refuse a delete; throws to refuse. */
  readonly checkDelete?: () => void;
  /** Stores the changed object (already generation-bumped) and returns the reply. */
  readonly applyPatch: (next: T) => T;
  /** Starts deletion (idempotent) and returns the reply. */
  readonly requestDeletion: (request: DeleteRequest) => T;
}

/** A write's answer; the floor is read after the state changed, never before (EntityWrite). */
export function writeAnswer<T>(object: T, publicationFloor: () => number): EntityWrite<T> {
  return { object, publishedFrom: publicationFloor() };
}

export function registerEntityHandlers<T extends ObjectShape>(wiring: EntityHandlerWiring<T>): void {
  setHandler(wiring.getObject, wiring.snapshot);
  setHandler(republishSignal, () => wiring.republish());

  /** Who may send a change (ownership.ts): checked in validators only, so histories recorded before it replay unchanged. */
  const refuseIfNotOwner = (from: EntityPatch['from'], handover: boolean, ownerAfter: string | null | undefined): void => {
    const { name, namespace = 'default' } = wiring.object().metadata;
    // The label is entityLabel(kind, namespace, name): its first word is the kind.
    const kind = wiring.label.split(' ')[0] ?? '';
    const refusal = ownershipRefusal(wiring.object(), { kind, namespace, name, from, handover, ownerAfter });
    if (refusal) throw ownershipFailure(refusal);
  };

  const accepted = (sent: EntityPatch): T => {
    // `from` and `handover` say who sends the patch; they are not part of the change.
    const { from: _from, handover: _handover, ...patch } = sent;
    const current = wiring.object();
    const result = wiring.validatePatch(current, patch);
    const allowedNow = !wiring.deletionRequested() || (result.ok && wiring.allowedWhileDeleting?.(current, result.next) === true);
    if (!allowedNow) {
      throw ApplicationFailure.create({
        type: 'BeingDeleted',
        message: `${wiring.label} is being deleted and can no longer be changed. Wait for the deletion to finish, then create it again.`,
        nonRetryable: true,
      });
    }
    if (!result.ok) throw invalidPatch(result.errors);
    const next = result.next;
    const annotationBytes = new TextEncoder().encode(JSON.stringify(next.metadata.annotations ?? {})).length;
    if (annotationBytes > MAX_ANNOTATIONS_BYTES) {
      throw invalidPatch([{ path: 'metadata.annotations', message: `total size ${annotationBytes} bytes exceeds the limit of ${MAX_ANNOTATIONS_BYTES} (256 KiB, as Kubernetes allows); remove or shorten annotations` }]);
    }
    wiring.checkPatch?.(current, next);
    return withChange(current, next);
  };

  setHandler(wiring.patchObject, (patch) => writeAnswer(wiring.applyPatch(accepted(patch)), wiring.publicationFloor), {
    validator: (patch) => {
      const annotations = patch.metadata?.annotations;
      // Sending the owner it already has (an applied copy of the object) changes nothing.
      const ownerChanges = annotations !== undefined && OWNER_ANNOTATION in annotations && annotations[OWNER_ANNOTATION] !== wiring.object().metadata.annotations?.[OWNER_ANNOTATION];
      const ownerAfter = ownerChanges ? annotations[OWNER_ANNOTATION] : undefined;
      refuseIfNotOwner(patch.from, patch.handover === true, ownerAfter);
      accepted(patch);
    },
  });

  setHandler(wiring.deleteObject, (request) => writeAnswer(wiring.requestDeletion(request), wiring.publicationFloor), {
    validator: (request) => {
      refuseIfNotOwner(request.from, false, undefined);
      if (wiring.object().metadata.annotations?.[PROTECTED_DELETE_ANNOTATION] === 'true') {
        throw ApplicationFailure.create({
          type: 'DeletionProtected',
          message: `${wiring.label} has the annotation ${PROTECTED_DELETE_ANNOTATION}=true, which blocks deletion. Remove the annotation (a merge patch setting it to null), then delete again.`,
          nonRetryable: true,
        });
      }
      wiring.checkDelete?.();
    },
  });
}
