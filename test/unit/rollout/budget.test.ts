import { describe, expect, it } from 'vitest';
import { resolveRolloutBudget, rolloutStrategyErrors } from '../../../workflows/planners/rollout/budget';
import { canonicalJson, templateRevision } from '../../../workflows/planners/rollout/revision';

describe('resolveRolloutBudget', () => {
  it.each([
    { replicas: 3, surge: undefined, unavailable: undefined, expected: { maxSurge: 1, maxUnavailable: 0 } },
    { replicas: 10, surge: 2, unavailable: 1, expected: { maxSurge: 2, maxUnavailable: 1 } },
    { replicas: 10, surge: '25%', unavailable: '25%', expected: { maxSurge: 3, maxUnavailable: 2 } },
    { replicas: 3, surge: '10%', unavailable: '10%', expected: { maxSurge: 1, maxUnavailable: 0 } },
    { replicas: 8, surge: '100%', unavailable: 0, expected: { maxSurge: 8, maxUnavailable: 0 } },
    { replicas: 7, surge: '50%', unavailable: '50%', expected: { maxSurge: 4, maxUnavailable: 3 } },
    { replicas: 10, surge: '0%', unavailable: '0%', expected: { maxSurge: 0, maxUnavailable: 1 } },
    { replicas: 10, surge: 0, unavailable: '9%', expected: { maxSurge: 0, maxUnavailable: 1 } },
    { replicas: 0, surge: undefined, unavailable: undefined, expected: { maxSurge: 1, maxUnavailable: 0 } },
    { replicas: 0, surge: '25%', unavailable: '25%', expected: { maxSurge: 0, maxUnavailable: 1 } },
    { replicas: 4, surge: 0, unavailable: 5, expected: { maxSurge: 0, maxUnavailable: 5 } },
  ])('replicas $replicas, surge $surge, unavailable $unavailable', ({ replicas, surge, unavailable, expected }) => {
    expect(resolveRolloutBudget(replicas, surge, unavailable)).toEqual(expected);
  });

  it('refuses values the validator rejects', () => {
    expect(() => resolveRolloutBudget(3, '25')).toThrow(/rolloutStrategyErrors/);
    expect(() => resolveRolloutBudget(3, 1, -1)).toThrow(/whole number/);
  });
});

describe('rolloutStrategyErrors', () => {
  it('accepts the defaults, counts and percentages', () => {
    expect(rolloutStrategyErrors({ type: 'RollingUpdate' })).toEqual([]);
    expect(rolloutStrategyErrors({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: 0 })).toEqual([]);
    expect(rolloutStrategyErrors({ type: 'RollingUpdate', maxSurge: '0%', maxUnavailable: '0%' })).toEqual([]);
  });

  it('refuses 0 and 0 given as integers, saying why and what to do', () => {
    const [error, ...rest] = rolloutStrategyErrors({ type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 0 });
    expect(rest).toEqual([]);
    expect(error?.path).toBe('spec.strategy.rollingUpdate');
    expect(error?.message).toMatch(/cannot both be 0/);
    expect(error?.message).toMatch(/never make progress/);
    expect(error?.message).toMatch(/set maxSurge to at least 1/);
  });

  it.each([
    { strategy: { maxSurge: '25' }, path: 'spec.strategy.rollingUpdate.maxSurge' },
    { strategy: { maxSurge: '2.5%' }, path: 'spec.strategy.rollingUpdate.maxSurge' },
    { strategy: { maxUnavailable: '-1%' }, path: 'spec.strategy.rollingUpdate.maxUnavailable' },
    { strategy: { maxUnavailable: -1 }, path: 'spec.strategy.rollingUpdate.maxUnavailable' },
    { strategy: { maxSurge: 1.5 }, path: 'spec.strategy.rollingUpdate.maxSurge' },
  ])('refuses $strategy', ({ strategy, path }) => {
    const errors = rolloutStrategyErrors({ type: 'RollingUpdate', ...strategy });
    expect(errors.map((error) => error.path)).toEqual([path]);
    expect(errors[0]?.message).toMatch(/percentage such as "25%"/);
  });
});

describe('templateRevision', () => {
  it('ignores key order, and changes with any value', () => {
    const template = { spec: { infrastructure: { instanceType: 'm6i.large', zones: ['a', 'b'] }, version: '1.30' }, metadata: { labels: { a: '1' } } };
    const reordered = { metadata: { labels: { a: '1' } }, spec: { version: '1.30', infrastructure: { zones: ['a', 'b'], instanceType: 'm6i.large' } } };
    expect(templateRevision(template)).toBe(templateRevision(reordered));
    expect(templateRevision(template)).toMatch(/^[0-9a-f]{8}$/);
    expect(templateRevision({ ...template, spec: { ...template.spec, version: '1.31' } })).not.toBe(templateRevision(template));
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: null }] })).toBe('{"a":[1,{"c":null}],"b":1}');
  });
});
