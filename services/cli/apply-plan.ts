/**
 * kubectl-apply-like decisions, pure: given a manifest and the object the API already
 * holds, the merge patch to send (spec, labels, annotations) and whether anything would
 * change. `manifest` is the object as written (converted to our layout, no defaults filled
 * in), so fields absent from it are left as they are on the server; there is no
 * last-applied record, so removing a field from a manifest does not remove it from the
 * object: use `null` in the manifest for that.
 */
import { applyMergePatch, isPlainObject, jsonEqual, type JsonObject } from '../../crds/json';
import type { KindName } from '../../crds/schemas/index';
import { qualifiedName } from './kinds';

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface ApplyPatch {
  spec?: JsonObject;
  metadata?: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };
}

export type ApplyPlan = { readonly outcome: 'unchanged' } | { readonly outcome: 'configured'; readonly patch: ApplyPatch };

function stringMap(value: unknown): Record<string, string | null> | undefined {
  if (!isPlainObject(value)) return undefined;
  const map: Record<string, string | null> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' || item === null) map[key] = item;
    else map[key] = String(item);
  }
  return map;
}

export function planApply(manifest: JsonObject, existing: JsonObject): ApplyPlan {
  const patch: ApplyPatch = {};
  if (isPlainObject(manifest.spec)) patch.spec = manifest.spec;
  const metadata = isPlainObject(manifest.metadata) ? manifest.metadata : {};
  const labels = stringMap(metadata.labels);
  const annotations = stringMap(metadata.annotations);
  if (labels || annotations) patch.metadata = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };

  const existingMetadata = isPlainObject(existing.metadata) ? existing.metadata : {};
  const specChanges = patch.spec !== undefined && !jsonEqual(applyMergePatch(existing.spec ?? {}, patch.spec), existing.spec ?? {});
  const labelChanges = labels !== undefined && !jsonEqual(applyMergePatch(existingMetadata.labels ?? {}, labels), existingMetadata.labels ?? {});
  const annotationChanges =
    annotations !== undefined && !jsonEqual(applyMergePatch(existingMetadata.annotations ?? {}, annotations), existingMetadata.annotations ?? {});
  return specChanges || labelChanges || annotationChanges ? { outcome: 'configured', patch } : { outcome: 'unchanged' };
}

/** `clusterdeployment.slipway.dev/demo created`, as kubectl apply reports each object. */
export function applyOutcomeLine(kind: KindName, name: string, outcome: ApplyOutcome): string {
  return `${qualifiedName(kind, name)} ${outcome}`;
}
