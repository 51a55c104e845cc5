import { describe, expect, it } from 'vitest';
import { validateObject } from '../../crds/validate';
import { ProblemError } from '../../services/api/problem';
import { planRequestOf, requestedReplicas, scaleOf, undoRequestOf } from '../../services/api/routes/machine-deployments';
import { checkPatchShape } from '../../services/api/routes/entity-routes';

/** The field paths of the problem `call` throws. */
function refusedPaths(call: () => unknown): string[] {
  try {
    call();
  } catch (error) {
    if (error instanceof ProblemError) return (error.errors ?? []).map((fieldError) => fieldError.path);
    throw error;
  }
  throw new Error('expected a problem');
}

describe('scale subresource', () => {
  it('answers an autoscaling/v1 Scale from the object', () => {
    const result = validateObject('MachineDeployment', {
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'MachineDeployment',
      metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
      spec: { clusterName: 'demo', replicas: 5, template: { spec: { infrastructure: { instanceType: 'm6i.large' } } } },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(scaleOf({ ...result.object, status: { replicas: 4, selector: 'pool=web' } })).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
      spec: { replicas: 5 },
      status: { replicas: 4, selector: 'pool=web' },
    });
    expect(scaleOf(result.object).status).toEqual({ replicas: 0, selector: '' });
  });

  it('reads replicas from a Scale body, naming the field that is wrong', () => {
    expect(requestedReplicas({ spec: { replicas: 5 } }, 'web', true)).toBe(5);
    expect(requestedReplicas({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 0 }, status: {} }, 'web', true)).toBe(0);
    expect(requestedReplicas({ metadata: { labels: {} } }, 'web', false)).toBeUndefined();
    expect(refusedPaths(() => requestedReplicas({ spec: { replicas: 'five' } }, 'web', false))).toEqual(['spec.replicas']);
    expect(refusedPaths(() => requestedReplicas({ spec: { replicas: -1 } }, 'web', false))).toEqual(['spec.replicas']);
    expect(refusedPaths(() => requestedReplicas({}, 'web', true))).toEqual(['spec.replicas']);
    expect(refusedPaths(() => requestedReplicas({ spec: 3 }, 'web', false))).toEqual(['spec']);
    expect(refusedPaths(() => requestedReplicas({ kind: 'Deployment', metadata: { name: 'db' }, replicas: 3, spec: { replicas: 3 } }, 'web', true))).toEqual([
      'kind',
      'metadata.name',
      'replicas',
    ]);
  });
});

describe(':plan and :undo bodies', () => {
  it('reads a plan request and refuses what does not belong in one', () => {
    expect(planRequestOf({})).toEqual({});
    expect(planRequestOf({ patch: { spec: { replicas: 5 } }, bootSeconds: 30, drainSeconds: 0 })).toEqual({ patch: { spec: { replicas: 5 } }, bootSeconds: 30, drainSeconds: 0 });
    expect(refusedPaths(() => planRequestOf({ patch: 'x', bootSeconds: -1, drainSeconds: 'slow', extra: true }))).toEqual(['extra', 'bootSeconds', 'drainSeconds', 'patch']);
    expect(refusedPaths(() => planRequestOf({ patch: { status: {}, metadata: { name: 'x' } } }))).toEqual(['patch.status', 'patch.metadata.name']);
  });

  it('reads an undo request', () => {
    expect(undoRequestOf({})).toEqual({});
    expect(undoRequestOf({ toRevision: 2 })).toEqual({ toRevision: 2 });
    expect(refusedPaths(() => undoRequestOf({ toRevision: 0 }))).toEqual(['toRevision']);
    expect(refusedPaths(() => undoRequestOf({ toRevision: '2', to: 1 }))).toEqual(['to', 'toRevision']);
  });

  it('lets a patch change only spec, labels and annotations', () => {
    expect(checkPatchShape({ spec: { paused: true }, metadata: { labels: { a: 'b' } } })).toEqual({ spec: { paused: true }, metadata: { labels: { a: 'b' } } });
    expect(refusedPaths(() => checkPatchShape({ status: {}, metadata: { namespace: 'x' } }))).toEqual(['status', 'metadata.namespace']);
  });
});
