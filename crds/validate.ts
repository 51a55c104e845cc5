/**
 * Request validation for every Slipway kind, and merge-patch validation for
 * ClusterDeployment. Pure and deterministic, so it runs inside the Temporal workflow
 * sandbox (Update validators call it): no Node modules, no Ajv, no code generation; only
 * TypeBox's interpreting `Value` functions.
 */
import { Value } from '@sinclair/typebox/value';
import { displayPath, registerFormats, toFieldErrors, type FieldError, type Result } from './field-errors';
import { applyMergePatch, cloneJson, isPlainObject, jsonEqual, type JsonObject } from './json';
import { applySemantics } from './semantics';
import { GROUP_VERSION } from './schemas/common';
import type { ClusterDeployment } from './schemas/cluster-deployment';
import { KINDS, isKindName, type KindDefinition, type KindName, type KindObjects } from './schemas/index';

export type { FieldError, Result } from './field-errors';
export { applyMergePatch } from './json';

registerFormats();

const UPSTREAM_API_VERSIONS = Object.values(KINDS).flatMap((definition: KindDefinition) => definition.upstream.map((upstream) => upstream.apiVersion));

/** Checks of apiVersion and kind that give a more useful message than the schema's literal check. */
function checkTypeMeta(kind: KindName, input: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const { apiVersion } = input;
  if (apiVersion === undefined) {
    errors.push({ path: 'apiVersion', message: `is required: set it to "${GROUP_VERSION}"` });
  } else if (apiVersion !== GROUP_VERSION) {
    const hint = typeof apiVersion === 'string' && UPSTREAM_API_VERSIONS.includes(apiVersion)
      ? `; ${apiVersion} manifests are accepted by the manifest endpoints, which convert them`
      : '';
    errors.push({ path: 'apiVersion', message: `must be "${GROUP_VERSION}", got ${JSON.stringify(apiVersion)}${hint}` });
  }
  if (input.kind === undefined) {
    errors.push({ path: 'kind', message: `is required: set it to "${kind}"` });
  } else if (input.kind !== kind) {
    errors.push({ path: 'kind', message: `must be "${kind}" here, got ${JSON.stringify(input.kind)}` });
  }
  return errors;
}

/** A missing name is the most common mistake; say exactly what to add. */
function clarifyMissingName(kind: KindName, error: FieldError): FieldError {
  if (error.message.startsWith('is required') && (error.path === 'metadata' || error.path === 'metadata.name')) {
    return {
      path: error.path,
      message: `is required: every ${kind} needs metadata.name (1-63 lowercase letters, digits and "-", starting and ending with a letter or digit)`,
    };
  }
  return error;
}

/**
 * Validates a whole object of the given kind: applies schema defaults, rejects unknown
 * fields (naming each), checks types and ranges, then the kind's cross-field rules.
 * The input is not modified; on success `object` is a defaulted copy.
 */
export function validateObject<K extends KindName>(kind: K, input: unknown): Result<KindObjects[K]>;
export function validateObject(kind: string, input: unknown): Result<KindObjects[KindName]>;
export function validateObject(kind: string, input: unknown): Result<KindObjects[KindName]> {
  if (!isKindName(kind)) {
    return { ok: false, errors: [{ path: 'kind', message: `unknown kind ${JSON.stringify(kind)}; expected one of: ${Object.keys(KINDS).join(', ')}` }] };
  }
  if (!isPlainObject(input)) {
    return { ok: false, errors: [{ path: displayPath(''), message: `expected a ${kind} object with apiVersion, kind, metadata and spec` }] };
  }
  const typeErrors = checkTypeMeta(kind, input);
  const definition: KindDefinition = KINDS[kind];
  const candidate: unknown = Value.Default(definition.schema, cloneJson(input));
  const schemaErrors = toFieldErrors(Value.Errors(definition.schema, candidate))
    .filter((error) => error.path !== 'apiVersion' && error.path !== 'kind')
    .map((error) => clarifyMissingName(kind, error));
  const errors = [...typeErrors, ...schemaErrors];
  if (errors.length > 0) return { ok: false, errors };
  const object = candidate as KindObjects[KindName];
  const semanticErrors = applySemantics(kind, object);
  if (semanticErrors.length > 0) return { ok: false, errors: semanticErrors };
  return { ok: true, object };
}

export type PatchResult<T> = { readonly ok: true; readonly next: T } | { readonly ok: false; readonly errors: FieldError[] };

/** Fields fixed at creation: they name cloud resources that cannot be renamed or moved. */
export const CLUSTER_DEPLOYMENT_IMMUTABLE_FIELDS = ['clusterName', 'baseDomain', 'platform'] as const;
/** A MachineDeployment stays on its cluster, and its selector is what owns its machines. */
export const MACHINE_DEPLOYMENT_IMMUTABLE_FIELDS = ['clusterName', 'selector'] as const;

const IMMUTABLE_SPEC_FIELDS: Partial<Record<KindName, readonly string[]>> = {
  ClusterDeployment: CLUSTER_DEPLOYMENT_IMMUTABLE_FIELDS,
  MachineDeployment: MACHINE_DEPLOYMENT_IMMUTABLE_FIELDS,
};

function checkStringMapPatch(value: unknown, path: string, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    errors.push({ path, message: 'expected an object of string values (null removes a key)' });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && typeof item !== 'string') {
      errors.push({ path: `${path}[${JSON.stringify(key)}]`, message: 'expected a string, or null to remove the key' });
    }
  }
}

function mergeStringMap(current: Record<string, string> | undefined, patch: unknown): Record<string, string> | undefined {
  if (patch === undefined) return current;
  const merged = applyMergePatch(current ?? {}, patch === null ? {} : patch) as Record<string, string>;
  if (patch === null) return undefined;
  return Object.keys(merged).length === 0 ? undefined : merged;
}

/** validatePatch for a ClusterDeployment. */
export function validateClusterDeploymentPatch(current: ClusterDeployment, patch: unknown): PatchResult<ClusterDeployment> {
  return validatePatch('ClusterDeployment', current, patch);
}

type PatchableObject = KindObjects[KindName];

/**
 * Validates a change to an object: `patch` is `{ spec?: <JSON merge patch>, metadata?: {
 * labels?, annotations? } }` (RFC 7386: null deletes a key). Returns the patched object
 * (status carried over unchanged) or every problem found, including attempts to change an
 * immutable field.
 */
export function validatePatch<K extends KindName>(kind: K, current: KindObjects[K], patch: unknown): PatchResult<KindObjects[K]>;
export function validatePatch(kind: KindName, current: PatchableObject, patch: unknown): PatchResult<PatchableObject> {
  const errors: FieldError[] = [];
  if (!isPlainObject(patch)) {
    return { ok: false, errors: [{ path: displayPath(''), message: 'expected a patch object: { spec?: <merge patch>, metadata?: { labels?, annotations? } }' }] };
  }
  for (const key of Object.keys(patch)) {
    if (key !== 'spec' && key !== 'metadata') {
      errors.push({
        path: key,
        message: key === 'status'
          ? 'cannot be patched: status is written by Slipway only'
          : 'cannot be patched; a patch may change only spec, metadata.labels and metadata.annotations',
      });
    }
  }
  const specPatch = patch.spec;
  if (specPatch === null) errors.push({ path: 'spec', message: `cannot be removed; to remove it, delete the ${kind}` });
  else if (specPatch !== undefined && !isPlainObject(specPatch)) errors.push({ path: 'spec', message: 'expected an object (a JSON merge patch of spec)' });

  const metadataPatch = patch.metadata;
  if (metadataPatch !== undefined && metadataPatch !== null && !isPlainObject(metadataPatch)) {
    errors.push({ path: 'metadata', message: 'expected an object with labels and/or annotations' });
  } else if (isPlainObject(metadataPatch)) {
    for (const key of Object.keys(metadataPatch)) {
      if (key !== 'labels' && key !== 'annotations') {
        errors.push({ path: `metadata.${key}`, message: 'cannot be changed by a patch; only metadata.labels and metadata.annotations can' });
      }
    }
    checkStringMapPatch(metadataPatch.labels, 'metadata.labels', errors);
    checkStringMapPatch(metadataPatch.annotations, 'metadata.annotations', errors);
  }
  if (errors.length > 0) return { ok: false, errors };

  const currentSpec = current.spec as unknown as JsonObject;
  const nextSpec = isPlainObject(specPatch) ? (applyMergePatch(currentSpec, specPatch) as JsonObject) : cloneJson(currentSpec);
  for (const field of IMMUTABLE_SPEC_FIELDS[kind] ?? []) {
    if (!jsonEqual(currentSpec[field], nextSpec[field])) {
      errors.push({
        path: `spec.${field}`,
        message: `is immutable (currently ${JSON.stringify(currentSpec[field])}); to change it, delete the ${kind} and create it again with the new value`,
      });
    }
  }
  const metadata = cloneJson(current.metadata);
  if (isPlainObject(metadataPatch)) {
    const labels = mergeStringMap(metadata.labels, metadataPatch.labels);
    const annotations = mergeStringMap(metadata.annotations, metadataPatch.annotations);
    if (labels === undefined) delete metadata.labels;
    else metadata.labels = labels;
    if (annotations === undefined) delete metadata.annotations;
    else metadata.annotations = annotations;
  }
  // Report immutable-field changes together with everything else wrong in the patch.
  const validated = validateObject(kind, { apiVersion: current.apiVersion, kind: current.kind, metadata, spec: nextSpec });
  if (!validated.ok) errors.push(...validated.errors.filter((error) => !errors.some((known) => known.path === error.path)));
  if (errors.length > 0 || !validated.ok) return { ok: false, errors };
  const next = (current.status === undefined ? validated.object : { ...validated.object, status: cloneJson(current.status) }) as PatchableObject;
  return { ok: true, next };
}
