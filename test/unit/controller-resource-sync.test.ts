/**
 * The controller's pure translations between a custom resource and its entity's object
 * (services/controller/resource-sync.ts): what status the CR shows, and the patches that take
 * the workflow's spec, labels and annotations to the CR's without touching Slipway's own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMergePatch, type JsonObject } from '../../crds/json';
import type { CustomResource } from '../../services/controller/kube-objects';
import { carriedAnnotations, metadataPatch, readOnlyStatus, specMergePatch, statusForResource, type EntityObjectShape } from '../../services/controller/resource-sync';
import { CR_GENERATION_ANNOTATION, CR_UID_ANNOTATION, OWNER_ANNOTATION } from '../../workflows/entity/ownership';

function resource(annotations: Record<string, string>, extra: { generation?: number; status?: JsonObject; labels?: Record<string, string> } = {}): CustomResource {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ClusterDeployment',
    metadata: { name: 'demo', namespace: 'default', uid: 'uid-cr', resourceVersion: '7', generation: extra.generation ?? 1, finalizers: [], labels: extra.labels ?? {}, annotations },
    spec: {},
    status: extra.status,
  };
}

function entity(annotations: Record<string, string>, status?: JsonObject, labels: Record<string, string> = {}): EntityObjectShape {
  return { metadata: { name: 'demo', namespace: 'default', uid: 'uid-rest', annotations, labels }, spec: {}, ...(status ? { status } : {}) };
}

const BOOKKEEPING = { [OWNER_ANNOTATION]: 'kubernetes', [CR_GENERATION_ANNOTATION]: '4', [CR_UID_ANNOTATION]: 'uid-cr' };

describe('annotations between a CR and its object', () => {
  it('carries the CR\'s own annotations, not kubectl\'s copy of the manifest or Slipway\'s bookkeeping', () => {
    expect(carriedAnnotations(resource({ team: 'a', 'kubectl.kubernetes.io/last-applied-configuration': '{}', ...BOOKKEEPING }))).toEqual({ team: 'a' });
  });

  it.each<{ what: string; cr: Record<string, string>; object: Record<string, string>; patch: unknown }>([
    { what: 'nothing differs', cr: { team: 'a' }, object: { team: 'a', ...BOOKKEEPING }, patch: undefined },
    { what: 'a new annotation', cr: { team: 'a', tier: 'x' }, object: { team: 'a' }, patch: { annotations: { tier: 'x' } } },
    { what: 'one removed from the CR', cr: {}, object: { team: 'a', ...BOOKKEEPING }, patch: { annotations: { team: null } } },
    { what: 'a CR that claims an owner', cr: { [OWNER_ANNOTATION]: 'rest' }, object: { [OWNER_ANNOTATION]: 'kubernetes' }, patch: undefined },
  ])('$what: $patch', ({ cr, object, patch }) => {
    expect(metadataPatch(resource(cr), entity(object))).toEqual(patch);
  });

  it('takes the object\'s annotations to the CR\'s, keeping Slipway\'s bookkeeping, whatever both hold', () => {
    const keys = fc.constantFrom('team', 'tier', 'example.com/note', OWNER_ANNOTATION, CR_GENERATION_ANNOTATION, CR_UID_ANNOTATION);
    const annotations = fc.dictionary(keys, fc.constantFrom('a', 'b', 'kubernetes', 'rest'));
    fc.assert(
      fc.property(annotations, annotations, (onResource, onObject) => {
        const patch = metadataPatch(resource(onResource), entity(onObject));
        const after = applyMergePatch(onObject, patch?.annotations ?? {}) as Record<string, string>;
        const bookkeeping = Object.fromEntries(Object.entries(onObject).filter(([key]) => key.startsWith('slipway.dev/')));
        expect(after).toEqual({ ...carriedAnnotations(resource(onResource)), ...bookkeeping });
      }),
    );
  });
});

describe('the spec merge patch', () => {
  const leaf = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }));
  const spec = fc.letrec((tie) => ({ object: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.oneof({ depthSize: 'small' }, leaf, tie('object'))) })).object;

  it('takes the workflow\'s spec to exactly the CR\'s, removed fields included', () => {
    fc.assert(
      fc.property(spec, spec, (current, desired) => {
        expect(applyMergePatch(current, specMergePatch(current, desired))).toEqual(desired);
      }),
    );
  });
});

describe('the status a CR shows', () => {
  const workflowStatus = { infraID: 'demo-x', conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'up', observedGeneration: 9 }] };

  it('is the workflow\'s, in the CR\'s generations, when the CR drives the object', () => {
    const status = statusForResource(entity({ [CR_GENERATION_ANNOTATION]: '3' }, workflowStatus));
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'Ready', message: 'up', observedGeneration: 3 }]);
    expect(status.infraID).toBe('demo-x');
  });

  it('is a read-only view with a ReadOnly condition when REST owns the object, keeping when it became read-only', () => {
    const first = readOnlyStatus('ClusterDeployment', entity({}, workflowStatus), resource({}, { generation: 2 }), '2026-01-01T00:00:00.000Z');
    expect(first.observedGeneration).toBe(2);
    expect(first.infraID).toBe('demo-x');
    expect(first.conditions).toEqual([
      expect.objectContaining({ type: 'ReadOnly', status: 'True', reason: 'OwnedByREST', observedGeneration: 2, lastTransitionTime: '2026-01-01T00:00:00.000Z' }),
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'up' },
    ]);
    const later = readOnlyStatus('ClusterDeployment', entity({}, workflowStatus), resource({}, { generation: 2, status: first }), '2026-02-01T00:00:00.000Z');
    expect(later).toEqual(first);
  });
});
