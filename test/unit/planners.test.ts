import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setCondition } from '../../workflows/planners/conditions';
import { planDeprovision } from '../../workflows/planners/deletion-order';
import { cloudMachineName, infraIdFor } from '../../workflows/planners/names';

describe('planDeprovision', () => {
  it('deletes workers, then control plane, then infrastructure, then sweeps', () => {
    const steps = planDeprovision([
      { name: 'master-0', role: 'control-plane' },
      { name: 'worker-4', role: 'worker' },
      { name: 'master-1', role: 'control-plane' },
      { name: 'worker-3', role: 'worker' },
    ]);
    expect(steps).toEqual([
      { kind: 'deleteMachines', role: 'worker', names: ['worker-3', 'worker-4'] },
      { kind: 'deleteMachines', role: 'control-plane', names: ['master-0', 'master-1'] },
      { kind: 'sweepMachines' },
      { kind: 'deleteInfrastructure' },
      { kind: 'sweep' },
    ]);
  });

  it('deletes the worker pools before any machine', () => {
    expect(planDeprovision([{ name: 'master-0', role: 'control-plane' }], ['infra', 'app'])).toEqual([
      { kind: 'deletePools', pools: ['app', 'infra'] },
      { kind: 'deleteMachines', role: 'control-plane', names: ['master-0'] },
      { kind: 'sweepMachines' },
      { kind: 'deleteInfrastructure' },
      { kind: 'sweep' },
    ]);
  });

  it('still removes infrastructure and sweeps when no machine is known', () => {
    expect(planDeprovision([])).toEqual([{ kind: 'sweepMachines' }, { kind: 'deleteInfrastructure' }, { kind: 'sweep' }]);
  });
});

describe('names', () => {
  it('gives an infra ID that is stable, legal on every cloud, and differs per uid', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][-a-z0-9]{0,26}$/), fc.uuid(), fc.uuid(), (cluster, uidA, uidB) => {
        const a = infraIdFor(cluster, uidA);
        expect(a).toBe(infraIdFor(cluster, uidA));
        expect(a).toMatch(/^[a-z][-a-z0-9]{0,32}$/);
        expect(a.length).toBeLessThanOrEqual(33);
        if (uidA !== uidB) expect(a === infraIdFor(cluster, uidB) ? 1 : 0).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('spreads uids over distinct suffixes', () => {
    const ids = new Set(Array.from({ length: 500 }, (_, index) => infraIdFor('c', `uid-${index}`)));
    expect(ids.size).toBeGreaterThan(495);
  });

  it('prefixes cloud machine names with the infra ID', () => {
    expect(cloudMachineName('prod-abcde', 'master-0')).toBe('prod-abcde-master-0');
  });
});

describe('setCondition', () => {
  const base = { type: 'Ready', status: 'False' as const, reason: 'Provisioning', message: 'm' };
  it('moves lastTransitionTime only when the status flips', () => {
    const first = setCondition([], base, 't1');
    const same = setCondition(first, { ...base, reason: 'Other' }, 't2');
    const flipped = setCondition(same, { ...base, status: 'True' }, 't3');
    expect(first[0]?.lastTransitionTime).toBe('t1');
    expect(same[0]).toMatchObject({ lastTransitionTime: 't1', reason: 'Other' });
    expect(flipped[0]?.lastTransitionTime).toBe('t3');
    expect(flipped).toHaveLength(1);
  });
});
