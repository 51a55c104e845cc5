/**
 * Which side drives an object: REST (the API and CLI) or its Kubernetes custom resource. The
 * first writer owns it, a handover moves it, and the other side may read but not change it.
 * The owner is an annotation on the entity's object, so it travels with the object into the
 * projection (`slipway get -o wide` shows it) and across continue-as-new. Pure: the workflow
 * sandbox, the API, the controller and the CLI all import it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { KINDS, isKindName } from '../../crds/schemas/index';

export type OwnerSide = 'rest' | 'kubernetes';
export const OWNER_SIDES: readonly OwnerSide[] = ['rest', 'kubernetes'];

/** On the entity's object: the side that owns it; only a handover changes it. */
export const OWNER_ANNOTATION = 'slipway.dev/owner';
/** On the entity's object: the CR generation whose spec it last took (set by the controller). */
export const CR_GENERATION_ANNOTATION = 'slipway.dev/cr-generation';
/** On the entity's object: the uid of the custom resource that drives it, when that is not the object's own uid (it was handed over). */
export const CR_UID_ANNOTATION = 'slipway.dev/cr-uid';

/** Annotations Slipway keeps on the entity's object for itself: never copied from, or removed to match, a CR. */
export const SLIPWAY_BOOKKEEPING_ANNOTATIONS: readonly string[] = [OWNER_ANNOTATION, CR_GENERATION_ANNOTATION, CR_UID_ANNOTATION];

interface AnnotatedObject {
  readonly metadata: { readonly annotations?: Readonly<Record<string, string>> };
}

export function isOwnerSide(value: unknown): value is OwnerSide {
  return value === 'rest' || value === 'kubernetes';
}

/**
 * The side that owns the object. Objects made before ownership was recorded carry no owner
 * annotation: those the controller started carry its generation annotation, the rest came
 * through REST.
 */
export function ownerSide(object: AnnotatedObject): OwnerSide {
  const annotations = object.metadata.annotations ?? {};
  const recorded = annotations[OWNER_ANNOTATION];
  if (isOwnerSide(recorded)) return recorded;
  return annotations[CR_GENERATION_ANNOTATION] !== undefined ? 'kubernetes' : 'rest';
}

/** "cd/demo", as the CLI and kubectl name an object. */
function shortReference(kind: string, name: string): string {
  const short = isKindName(kind) ? (KINDS[kind].shortNames[0] ?? KINDS[kind].singular) : kind.toLowerCase();
  return `${short}/${name}`;
}

/** What a person on the refused side should do instead, for the message of a refusal. */
export function ownedElsewhereMessage(kind: string, namespace: string, name: string, owner: OwnerSide): string {
  const reference = shortReference(kind, name);
  const singular = isKindName(kind) ? KINDS[kind].singular : kind.toLowerCase();
  if (owner === 'kubernetes') {
    return (
      `${kind} ${namespace}/${name} is owned by its Kubernetes resource (${singular}.slipway.dev ${name} in namespace ${namespace}), so REST may read it but not change it. ` +
      `Change it with kubectl (kubectl edit ${singular} ${name} -n ${namespace}), or move it to REST first: slipway handover ${reference} --to rest -n ${namespace}.`
    );
  }
  return (
    `${kind} ${namespace}/${name} is owned by REST (it was created through the Slipway API), so its Kubernetes resource is a read-only view and its spec is not applied. ` +
    `Change it through the API or CLI, or let the Kubernetes resource drive it: slipway handover ${reference} --to kubernetes -n ${namespace}.`
  );
}

export const OWNED_BY_KUBERNETES = 'OwnedByKubernetes';
export const OWNED_BY_REST = 'OwnedByRest';

export interface OwnershipCheck {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The side sending the change; absent for callers that are not a side (owners, tests): not checked. */
  readonly from: OwnerSide | undefined;
  /** The change is a handover, which either side may send. */
  readonly handover: boolean;
  /** The owner annotation's value after the change, when the change sets it. */
  readonly ownerAfter: string | null | undefined;
}

/**
 * Why a change must be refused, or undefined when it may go ahead: only a handover sets the
 * owner annotation (and only to a side), and a side changes only what it owns.
 */
export function ownershipRefusal(object: AnnotatedObject, check: OwnershipCheck): { readonly type: string; readonly message: string } | undefined {
  if (check.handover) {
    return isOwnerSide(check.ownerAfter) ? undefined : { type: 'InvalidPatch', message: `metadata.annotations["${OWNER_ANNOTATION}"]: a handover names a side: rest or kubernetes` };
  }
  if (check.ownerAfter !== undefined) {
    return {
      type: 'InvalidPatch',
      message: `metadata.annotations["${OWNER_ANNOTATION}"]: is set only by a handover (slipway handover ${shortReference(check.kind, check.name)} --to rest|kubernetes), not by a patch`,
    };
  }
  const owner = ownerSide(object);
  if (check.from === undefined || check.from === owner) return undefined;
  return { type: owner === 'kubernetes' ? OWNED_BY_KUBERNETES : OWNED_BY_REST, message: ownedElsewhereMessage(check.kind, check.namespace, check.name, owner) };
}

/** The refusal as the Update validator throws it. */
export function ownershipFailure(refusal: { readonly type: string; readonly message: string }): ApplicationFailure {
  const details = refusal.type === 'InvalidPatch' ? [[{ path: `metadata.annotations["${OWNER_ANNOTATION}"]`, message: refusal.message.replace(/^[^:]*: /, '') }]] : [];
  return ApplicationFailure.create({ type: refusal.type, message: refusal.message, details, nonRetryable: true });
}
