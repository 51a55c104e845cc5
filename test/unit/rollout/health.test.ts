import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRemediation, SKIP_REMEDIATION_ANNOTATION, type HealthCheckSpec, type HealthInputMachine } from '../../../workflows/planners/rollout/health';

const NOW = 10_000_000;
const CHECK: HealthCheckSpec = {
  unhealthyConditions: [
    { type: 'Ready', status: 'False', timeoutSeconds: 300 },
    { type: 'Ready', status: 'Unknown', timeoutSeconds: 300 },
  ],
  nodeStartupTimeoutSeconds: 600,
};

function healthy(name: string, createdAt = 0, extra: Partial<HealthInputMachine> = {}): HealthInputMachine {
  return { name, machineSet: 'current', createdAt, hasNode: true, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 0 }], ...extra };
}
function notReadyFor(name: string, seconds: number, extra: Partial<HealthInputMachine> = {}): HealthInputMachine {
  return healthy(name, 0, { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: NOW - seconds * 1000 }], ...extra });
}
const judge = (machines: HealthInputMachine[], spec: Partial<HealthCheckSpec> = {}) => planRemediation({ spec: { ...CHECK, ...spec }, machines, currentMachineSet: 'current', now: NOW });

describe('planRemediation', () => {
  it('finds nothing wrong with healthy machines', () => {
    expect(judge([healthy('a'), healthy('b')])).toEqual({ unhealthy: [], remediate: [] });
  });

  it('judges a node condition unhealthy once it has held for its timeout, and says when to look again before', () => {
    const judgement = judge([notReadyFor('late', 300), notReadyFor('early', 100), healthy('fine')]);
    expect(judgement.unhealthy).toEqual([{ name: 'late', reason: 'node condition Ready has been False for 300s or more' }]);
    expect(judgement.remediate.map((m) => m.name)).toEqual(['late']);
    expect(judgement.recheckAt).toBe(NOW + 200_000);
  });

  it('judges a machine whose node never joined after nodeStartupTimeout, or whose node disappeared', () => {
    const slow = healthy('slow', NOW - 601_000, { hasNode: false, conditions: [] });
    const booting = healthy('booting', NOW - 60_000, { hasNode: false, conditions: [] });
    const gone = healthy('gone', 0, { nodeMissing: true });
    const judgement = judge([slow, booting, gone]);
    expect(judgement.unhealthy.map((m) => m.name)).toEqual(['slow', 'gone']);
    expect(judgement.unhealthy[0]?.reason).toMatch(/no node joined within nodeStartupTimeout 600s/);
    expect(judgement.recheckAt).toBe(NOW - 60_000 + 600_000);
    expect(judge([slow], { nodeStartupTimeoutSeconds: 0 }).unhealthy).toEqual([]);
  });

  it('remediates only the current revision, newest first, within maxInFlight counting those in flight, never a skip-annotated one', () => {
    const machines = [
      notReadyFor('old-rev', 400, { machineSet: 'previous', createdAt: 9 }),
      notReadyFor('skip', 400, { createdAt: 8, annotations: { [SKIP_REMEDIATION_ANNOTATION]: '' } }),
      notReadyFor('in-flight', 400, { createdAt: 1, remediating: true }),
      notReadyFor('newer', 400, { createdAt: 5 }),
      notReadyFor('older', 400, { createdAt: 2 }),
      ...Array.from({ length: 5 }, (_, index) => healthy(`ok-${index}`)),
    ];
    const judgement = judge(machines, { maxInFlight: 2 });
    expect(judgement.unhealthy).toHaveLength(5);
    expect(judgement.remediate.map((m) => m.name)).toEqual(['newer']);
    expect(judge(machines, { maxInFlight: '30%' }).remediate.map((m) => m.name)).toEqual(['newer', 'older']);
    expect(judge(machines).remediate.map((m) => m.name)).toEqual(['newer', 'older']);
  });

  it('short-circuits when more machines are unhealthy than maxUnhealthy, with a message for the condition', () => {
    const machines = [...['a', 'b', 'c', 'd', 'e'].map((name) => notReadyFor(name, 400)), ...Array.from({ length: 5 }, (_, index) => healthy(`ok-${index}`))];
    const judgement = judge(machines, { maxUnhealthy: '40%' });
    expect(judgement.remediate).toEqual([]);
    expect(judgement.unhealthy).toHaveLength(5);
    expect(judgement.shortCircuited).toEqual({
      reason: 'TooManyUnhealthy',
      message:
        '5 of 10 machines are unhealthy, more than maxUnhealthy 40% (4); remediation waits, since replacing machines rarely helps when many fail at once: fix the cause or raise maxUnhealthy',
    });
    expect(judge(machines, { maxUnhealthy: 5 }).shortCircuited).toBeUndefined();
  });

  it('short-circuits outside unhealthyRange, which wins over maxUnhealthy', () => {
    const machines = [...['a', 'b', 'c', 'd'].map((name) => notReadyFor(name, 400)), healthy('ok')];
    expect(judge(machines, { unhealthyRange: '[1-3]', maxUnhealthy: '100%' }).shortCircuited?.message).toMatch(/^4 of 5 machines are unhealthy, outside unhealthyRange \[1-3\]/);
    expect(judge(machines, { unhealthyRange: '[2-4]', maxUnhealthy: 0 }).remediate).toHaveLength(4);
    expect(judge(machines, { unhealthyRange: '[3-1]' }).shortCircuited?.message).toMatch(/not a range/);
  });

  const machine = fc.record({
    set: fc.constantFrom('current', 'previous'),
    createdAt: fc.nat(1000),
    notReadySeconds: fc.option(fc.nat(600), { nil: undefined }),
    skip: fc.boolean(),
    remediating: fc.boolean(),
  });
  const percentOrCount = fc.oneof(fc.nat(10), fc.constantFrom('0%', '25%', '50%', '100%'));

  it('never remediates more than maxInFlight, while short-circuited, a skip-annotated or an old-revision machine', () => {
    fc.assert(
      fc.property(fc.array(machine, { maxLength: 20 }), fc.option(percentOrCount, { nil: undefined }), fc.option(percentOrCount, { nil: undefined }), (specs, maxInFlight, maxUnhealthy) => {
        const machines = specs.map((spec, index) => {
          const base = spec.notReadySeconds === undefined ? healthy(`m${index}`, spec.createdAt) : notReadyFor(`m${index}`, spec.notReadySeconds, { createdAt: spec.createdAt });
          return { ...base, machineSet: spec.set, remediating: spec.remediating, ...(spec.skip ? { annotations: { [SKIP_REMEDIATION_ANNOTATION]: 'true' } } : {}) };
        });
        const judgement = judge(machines, { ...(maxInFlight !== undefined ? { maxInFlight } : {}), ...(maxUnhealthy !== undefined ? { maxUnhealthy } : {}) });
        const byName = new Map(machines.map((m) => [m.name, m]));
        if (judgement.shortCircuited) expect(judgement.remediate).toEqual([]);
        const inFlight = machines.filter((m) => m.remediating).length;
        const limit = maxInFlight === undefined ? Number.POSITIVE_INFINITY : typeof maxInFlight === 'number' ? maxInFlight : Math.ceil((machines.length * Number.parseInt(maxInFlight, 10)) / 100);
        expect(judgement.remediate.length + inFlight).toBeLessThanOrEqual(Math.max(limit, inFlight));
        const unhealthy = new Set(judgement.unhealthy.map((m) => m.name));
        for (const { name } of judgement.remediate) {
          const chosen = byName.get(name);
          expect(unhealthy.has(name)).toBe(true);
          expect(chosen?.machineSet).toBe('current');
          expect(chosen?.annotations?.[SKIP_REMEDIATION_ANNOTATION]).toBeUndefined();
          expect(chosen?.remediating).toBe(false);
        }
      }),
    );
  });
});
