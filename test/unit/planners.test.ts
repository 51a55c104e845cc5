import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setCondition } from '../../workflows/planners/conditions';
import { planDeprovision } from '../../workflows/planners/deletion-order';
import { cloudMachineName, infraIdFor } from '../../workflows/planners/names';
import { planPoolScale, type PoolMember } from '../../workflows/planners/pool-scale';

const member = (serial: number, extra: Partial<PoolMember> = {}): PoolMember => ({ name: `worker-${serial}`, serial, deleting: false, failed: false, ...extra });

describe('planPoolScale', () => {
  it.each([
    { members: [], desired: 3, create: 3, remove: [] },
    { members: [member(0), member(1), member(2)], desired: 3, create: 0, remove: [] },
    { members: [member(0), member(1), member(2)], desired: 1, create: 0, remove: ['worker-2', 'worker-1'] },
    { members: [member(0), member(1, { failed: true })], desired: 2, create: 1, remove: ['worker-1'] },
    { members: [member(0), member(1, { deleting: true })], desired: 2, create: 1, remove: [] },
    { members: [member(5), member(3), member(9)], desired: 0, create: 0, remove: ['worker-9', 'worker-5', 'worker-3'] },
  ])('$desired desired from $members.length members', ({ members, desired, create, remove }) => {
    const plan = planPoolScale(members, desired);
    expect(plan.createCount).toBe(create);
    expect(plan.delete).toEqual(remove);
  });

  const members = fc
    .uniqueArray(fc.nat(200), { maxLength: 30 })
    .chain((serials) => fc.tuple(...serials.map((serial) => fc.record({ deleting: fc.boolean(), failed: fc.boolean() }).map((flags) => member(serial, flags)))));

  it('always leaves exactly `desired` healthy machines once applied', () => {
    fc.assert(
      fc.property(members, fc.nat(40), (pool, desired) => {
        const plan = planPoolScale(pool, desired);
        const removed = new Set(plan.delete);
        const remainingHealthy = pool.filter((m) => !m.deleting && !m.failed && !removed.has(m.name)).length;
        expect(remainingHealthy + plan.createCount).toBe(desired);
        expect(plan.createCount === 0 || plan.delete.every((name) => pool.find((m) => m.name === name)?.failed)).toBe(true);
        expect(plan.delete.every((name) => !pool.find((m) => m.name === name)?.deleting)).toBe(true);
      }),
    );
  });

  it('removes newer healthy machines before older ones', () => {
    fc.assert(
      fc.property(members, fc.nat(40), (pool, desired) => {
        const plan = planPoolScale(pool, desired);
        const removedHealthy = pool.filter((m) => plan.delete.includes(m.name) && !m.failed);
        const keptHealthy = pool.filter((m) => !m.deleting && !m.failed && !plan.delete.includes(m.name));
        for (const removed of removedHealthy) for (const kept of keptHealthy) expect(removed.serial).toBeGreaterThan(kept.serial);
      }),
    );
  });
});

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
      { kind: 'deleteInfrastructure' },
      { kind: 'sweep' },
    ]);
  });

  it('still removes infrastructure and sweeps when no machine is known', () => {
    expect(planDeprovision([])).toEqual([{ kind: 'deleteInfrastructure' }, { kind: 'sweep' }]);
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
