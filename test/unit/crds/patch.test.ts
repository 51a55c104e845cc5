import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterDeployment } from '../../../crds/schemas/cluster-deployment';
import { applyMergePatch, validateClusterDeploymentPatch, validateObject, type FieldError } from '../../../crds/validate';
import { sampleObject } from './fixtures';

function current(): ClusterDeployment {
  const result = validateObject('ClusterDeployment', sampleObject('ClusterDeployment'));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return {
    ...result.object,
    metadata: { ...result.object.metadata, uid: 'uid-1', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z', annotations: { note: 'keep' } },
    status: { infraID: 'alpha-x1y2z', conditions: [{ type: 'Ready', status: 'True', reason: 'Installed', message: '', lastTransitionTime: '2025-01-01T00:10:00Z' }] },
  };
}

function patchErrors(patch: unknown): FieldError[] {
  const result = validateClusterDeploymentPatch(current(), patch);
  if (result.ok) throw new Error(`expected the patch to be refused: ${JSON.stringify(result.next)}`);
  return result.errors;
}

function patched(patch: unknown): ClusterDeployment {
  const result = validateClusterDeploymentPatch(current(), patch);
  if (!result.ok) throw new Error(`expected the patch to be accepted: ${JSON.stringify(result.errors)}`);
  return result.next;
}

describe('validateClusterDeploymentPatch', () => {
  it('merges spec changes and keeps status, uid and untouched fields', () => {
    const next = patched({ spec: { compute: [{ name: 'worker', replicas: 5 }] } });
    expect(next.spec.compute).toEqual([{ name: 'worker', replicas: 5 }]);
    expect(next.spec.platform).toEqual({ aws: { region: 'us-east-1' } });
    expect(next.status).toEqual(current().status);
    expect(next.metadata.uid).toBe('uid-1');
  });

  it('adds and removes labels and annotations (null removes a key)', () => {
    const next = patched({ metadata: { labels: { team: null, tier: 'gold' }, annotations: { note: null, owner: 'sre' } } });
    expect(next.metadata.labels).toEqual({ tier: 'gold' });
    expect(next.metadata.annotations).toEqual({ owner: 'sre' });
  });

  it('drops a label map that a patch empties', () => {
    expect(patched({ metadata: { labels: { team: null } } }).metadata.labels).toBeUndefined();
  });

  it('re-applies defaults to fields a patch removes', () => {
    expect(patched({ spec: { controlPlane: null, installAttemptsLimit: null } }).spec).toMatchObject({ controlPlane: { replicas: 3 }, installAttemptsLimit: 3 });
  });

  it('accepts an empty patch and a patch that repeats immutable values', () => {
    expect(patched({})).toEqual(current());
    expect(patched({ spec: { clusterName: 'alpha', baseDomain: 'example.test', platform: { aws: { region: 'us-east-1' } } } })).toEqual(current());
  });

  it('does not modify the current object', () => {
    const object = current();
    const before = structuredClone(object);
    validateClusterDeploymentPatch(object, { spec: { compute: null }, metadata: { labels: { team: null } } });
    expect(object).toEqual(before);
  });

  it.each([
    ['spec.clusterName', { spec: { clusterName: 'beta' } }],
    ['spec.baseDomain', { spec: { baseDomain: 'other.test' } }],
    ['spec.platform', { spec: { platform: { aws: { region: 'eu-west-1' } } } }],
    ['spec.platform', { spec: { platform: { aws: null, gcp: { region: 'us-central1' } } } }],
  ])('refuses a change of the immutable %s and says to recreate', (path, patch) => {
    const errors = patchErrors(patch);
    expect(errors).toEqual([{ path, message: expect.stringMatching(/is immutable \(currently .+\); to change it, delete the ClusterDeployment and create it again/) }]);
  });

  it('reports an immutable change together with the other problems in the same patch', () => {
    const errors = patchErrors({ spec: { clusterName: 'renamed', compute: [{ name: 'worker', replicas: 'many' }] } });
    expect(errors.map((error) => error.path)).toEqual(['spec.clusterName', 'spec.compute[0].replicas']);
  });

  it.each([
    ['status', { status: { infraID: 'x' } }, /status is written by Slipway only/],
    ['metadata.name', { metadata: { name: 'beta' } }, /only metadata.labels and metadata.annotations/],
    ['spec', { spec: null }, /cannot be removed/],
    ['spec', { spec: [1] }, /expected an object/],
    ['metadata.labels["team"]', { metadata: { labels: { team: 7 } } }, /expected a string, or null/],
    ['spec.compute[0].replicas', { spec: { compute: [{ name: 'worker', replicas: -1 }] } }, /at least 0/],
    ['spec.workerCount', { spec: { workerCount: 3 } }, /not a known field/],
    ['(root)', 'scale up', /expected a patch object/],
  ])('refuses %s with a clear message', (path, patch, message) => {
    const errors = patchErrors(patch);
    const match = errors.find((error) => error.path === path);
    expect(match, JSON.stringify(errors)).toBeDefined();
    expect(match?.message).toMatch(message);
  });
});

/** JSON values without null, so a value patched onto itself has nothing to delete. */
const nullFreeJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.boolean(),
    fc.integer(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const patchArbitrary: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The RFC 7386 patch that turns `from` into `to` (both null-free): changed keys set, removed keys null. */
function diff(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (!(key in from)) patch[key] = value;
    else if (JSON.stringify(from[key]) !== JSON.stringify(value)) patch[key] = diff(from[key], value);
  }
  return patch;
}

describe('applyMergePatch follows RFC 7386', () => {
  it('applying a patch twice gives the same result as once', () => {
    fc.assert(
      fc.property(patchArbitrary, patchArbitrary, (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(applyMergePatch(once, patch)).toEqual(once);
      }),
    );
  });

  it('patching a null-free value with itself leaves it unchanged', () => {
    fc.assert(
      fc.property(nullFreeJson, (value) => {
        expect(applyMergePatch(value, value)).toEqual(value);
      }),
    );
  });

  it('null deletes a key, a non-object replaces, absent keys are kept', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), nullFreeJson), fc.dictionary(fc.string({ maxLength: 6 }), patchArbitrary), (target, patch) => {
        const result = applyMergePatch(target, patch) as Record<string, unknown>;
        for (const [key, value] of Object.entries(patch)) {
          if (value === null) expect(Object.prototype.hasOwnProperty.call(result, key)).toBe(false);
          else if (!isObject(value)) expect(result[key]).toEqual(value);
        }
        for (const [key, value] of Object.entries(target)) {
          if (!Object.prototype.hasOwnProperty.call(patch, key)) expect(result[key]).toEqual(value);
        }
      }),
    );
  });

  it('a patch that is not an object replaces the target outright', () => {
    fc.assert(
      fc.property(patchArbitrary, patchArbitrary.filter((patch) => !isObject(patch)), (target, patch) => {
        expect(applyMergePatch(target, patch)).toEqual(patch);
      }),
    );
  });

  it('the diff between two documents, applied to the first, gives the second', () => {
    fc.assert(
      fc.property(nullFreeJson, nullFreeJson, (from, to) => {
        expect(applyMergePatch(from, diff(from, to))).toEqual(to);
      }),
    );
  });

  it('never modifies its arguments', () => {
    fc.assert(
      fc.property(patchArbitrary, patchArbitrary, (target, patch) => {
        const [targetBefore, patchBefore] = [structuredClone(target), structuredClone(patch)];
        applyMergePatch(target, patch);
        expect(target).toEqual(targetBefore);
        expect(patch).toEqual(patchBefore);
      }),
    );
  });

  it('matches the examples of RFC 7386 appendix A', () => {
    const examples: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, expected] of examples) expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});
