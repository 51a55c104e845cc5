/**
 * Pure translations between a custom resource and its entity workflow's object, for every
 * kind: the status the CR shows (in the CR's generations), the merge patches that take the
 * workflow's spec, labels and annotations to the CR's, and the CR's Ready condition.
 */
import { isPlainObject, jsonEqual, type JsonObject } from '../../crds/json';
import type { EntityPatch } from '../../workflows/entity/definitions';
import { CR_GENERATION_ANNOTATION, SLIPWAY_BOOKKEEPING_ANNOTATIONS, ownedElsewhereMessage } from '../../workflows/entity/ownership';
import type { CustomResource } from './kube-objects';

/** What the controller reads of an entity's object, whatever its kind. */
export interface EntityObjectShape {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly deletionTimestamp?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: unknown;
  readonly status?: unknown;
}

/** kubectl's copy of the last applied manifest: large, and not part of the object. */
const KUBECTL_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The CR generation whose spec the workflow last took; 0 when no CR's spec was ever applied. */
export function appliedGeneration(object: EntityObjectShape): number {
  return Number(object.metadata.annotations?.[CR_GENERATION_ANNOTATION] ?? 0);
}

export interface ConditionView {
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

export function readyCondition(status: unknown): ConditionView | undefined {
  if (!isPlainObject(status) || !Array.isArray(status.conditions)) return undefined;
  const ready = status.conditions.find((condition) => isPlainObject(condition) && condition.type === 'Ready');
  if (!isPlainObject(ready)) return undefined;
  return { status: String(ready.status), reason: String(ready.reason), message: String(ready.message ?? '') };
}

/** The workflow's status in the CR's terms: its generations are the CR's, not the workflow's own. */
export function statusForResource(object: EntityObjectShape): JsonObject {
  const generation = appliedGeneration(object);
  const status: JsonObject = { ...(isPlainObject(object.status) ? object.status : {}) };
  status.observedGeneration = generation;
  if (Array.isArray(status.conditions)) {
    status.conditions = status.conditions.map((condition: unknown) => (isPlainObject(condition) ? { ...condition, observedGeneration: generation } : condition));
  }
  return status;
}

export const READ_ONLY_CONDITION = 'ReadOnly';
export const OWNED_BY_REST_REASON = 'OwnedByREST';

/**
 * The status of a CR whose object REST owns: the workflow's status as a read-only view (its
 * conditions carry no CR generation, since the CR's spec was not applied), and a ReadOnly
 * condition for this generation saying who owns it and how to hand it over.
 */
export function readOnlyStatus(kind: string, object: EntityObjectShape, resource: CustomResource, since: string): JsonObject {
  const status: JsonObject = { ...(isPlainObject(object.status) ? object.status : {}) };
  const generation = resource.metadata.generation;
  const mirrored = Array.isArray(status.conditions)
    ? status.conditions.filter(isPlainObject).filter((condition) => condition.type !== READ_ONLY_CONDITION).map(({ observedGeneration: _theirs, ...condition }) => condition)
    : [];
  const previous = readOnlyConditionOf(resource.status);
  const readOnly = {
    type: READ_ONLY_CONDITION,
    status: 'True',
    reason: OWNED_BY_REST_REASON,
    message: ownedElsewhereMessage(kind, resource.metadata.namespace, resource.metadata.name, 'rest'),
    observedGeneration: generation,
    lastTransitionTime: previous?.status === 'True' && typeof previous.lastTransitionTime === 'string' ? previous.lastTransitionTime : since,
  };
  return { ...status, observedGeneration: generation, conditions: [readOnly, ...mirrored] };
}

function readOnlyConditionOf(status: JsonObject | undefined): JsonObject | undefined {
  const conditions = status && Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
  return conditions.find((condition) => condition.type === READ_ONLY_CONDITION);
}

/** A merge patch taking `current` to `desired`: keys the workflow no longer reports are removed. */
export function statusPatch(current: JsonObject | undefined, desired: JsonObject): JsonObject {
  const removed = Object.keys(current ?? {}).filter((key) => !(key in desired));
  return { ...desired, ...Object.fromEntries(removed.map((key) => [key, null])) };
}

/** The CR's annotations as the workflow's object should carry them: without kubectl's copy or Slipway's own bookkeeping. */
export function carriedAnnotations(resource: CustomResource): Record<string, string> {
  return Object.fromEntries(Object.entries(resource.metadata.annotations).filter(([key]) => key !== KUBECTL_LAST_APPLIED && !SLIPWAY_BOOKKEEPING_ANNOTATIONS.includes(key)));
}

/** A merge patch of a string map from `current` to `desired`, leaving `keep` alone; undefined when they agree. */
function stringMapPatch(current: Readonly<Record<string, string>> | undefined, desired: Readonly<Record<string, string>>, keep: readonly string[] = []): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(desired)) if (current?.[key] !== value) patch[key] = value;
  for (const key of Object.keys(current ?? {})) if (!(key in desired) && !keep.includes(key)) patch[key] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** What to send so the workflow's labels and annotations match the CR's; undefined when they do. */
export function metadataPatch(resource: CustomResource, object: EntityObjectShape): EntityPatch['metadata'] | undefined {
  const labels = stringMapPatch(object.metadata.labels, resource.metadata.labels);
  const annotations = stringMapPatch(object.metadata.annotations, carriedAnnotations(resource), SLIPWAY_BOOKKEEPING_ANNOTATIONS);
  if (!labels && !annotations) return undefined;
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

/** An RFC 7386 merge patch taking `current` to `desired` (lists are replaced whole). */
export function specMergePatch(current: unknown, desired: unknown): Record<string, unknown> {
  const from = isPlainObject(current) ? current : {};
  const to = isPlainObject(desired) ? desired : {};
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(to)) {
    if (jsonEqual(from[key], value)) continue;
    patch[key] = isPlainObject(from[key]) && isPlainObject(value) ? specMergePatch(from[key], value) : value;
  }
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  return patch;
}
