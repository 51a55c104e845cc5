import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELETE_RANKS, deleteRank, orderForDeletion } from '../../../workflows/planners/rollout/delete-priority';
import type { DeletePolicy, PlannedMachine, PlannedMachineState } from '../../../workflows/planners/rollout/types';

const machine = (name: string, createdAt: number, extra: Partial<PlannedMachine> = {}): PlannedMachine => ({ name, machineSet: 'ms', createdAt, state: 'Ready', readySince: createdAt, ...extra });
const names = (machines: readonly PlannedMachine[]) => machines.map((m) => m.name);

describe('orderForDeletion', () => {
  const healthy = [machine('b', 200), machine('a', 100), machine('c', 300)];

  it.each([
    { policy: 'Newest' as const, expected: ['c', 'b', 'a'] },
    { policy: 'Oldest' as const, expected: ['a', 'b', 'c'] },
  ])('orders healthy machines by the $policy policy', ({ policy, expected }) => {
    expect(names(orderForDeletion(healthy, policy))).toEqual(expected);
  });

  it('climbs the ladder before the policy: deleting, annotated, unhealthy or failed, not ready, provisioning, ready', () => {
    const mixed = [
      machine('ready', 1),
      machine('provisioning', 2, { state: 'Provisioning' }),
      machine('not-ready', 3, { state: 'NotReady' }),
      machine('failed', 4, { state: 'Failed' }),
      machine('judged-unhealthy', 5, { unhealthy: true }),
      machine('annotated', 6, { deleteAnnotated: true }),
      machine('deleting', 7, { state: 'Deleting' }),
    ];
    expect(names(orderForDeletion(mixed, 'Oldest'))).toEqual(['deleting', 'annotated', 'failed', 'judged-unhealthy', 'not-ready', 'provisioning', 'ready']);
  });

  it('puts Ready machines still inside minReadySeconds before available ones when told which are available', () => {
    const fresh = machine('fresh', 1);
    const proven = machine('proven', 2);
    expect(names(orderForDeletion([proven, fresh], 'Newest', { isAvailable: (m) => m.name === 'proven' }))).toEqual(['fresh', 'proven']);
    expect(names(orderForDeletion([proven, fresh], 'Newest'))).toEqual(['proven', 'fresh']);
  });

  it('breaks ties by name', () => {
    expect(names(orderForDeletion([machine('y', 5), machine('x', 5), machine('z', 5)], 'Oldest'))).toEqual(['x', 'y', 'z']);
  });

  it('spreads Random like chance, yet picks the same machines every time', () => {
    const many = Array.from({ length: 20 }, (_, index) => machine(`worker-${index}`, index));
    const first = names(orderForDeletion(many, 'Random'));
    expect(names(orderForDeletion([...many].reverse(), 'Random'))).toEqual(first);
    expect(first).not.toEqual(names(orderForDeletion(many, 'Oldest')));
    expect(first).not.toEqual(names(orderForDeletion(many, 'Newest')));
  });

  const states: PlannedMachineState[] = ['Provisioning', 'Ready', 'NotReady', 'Failed', 'Deleting'];
  const machines = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { maxLength: 25 }).chain((unique) =>
    fc.tuple(
      ...unique.map((name) =>
        fc.record({ createdAt: fc.nat(50), state: fc.constantFrom(...states), deleteAnnotated: fc.boolean(), unhealthy: fc.boolean() }).map((fields) => machine(name, fields.createdAt, fields)),
      ),
    ),
  );
  const policy = fc.constantFrom<DeletePolicy>('Random', 'Newest', 'Oldest');

  it('is a deterministic permutation that respects the ladder, whatever the input order', () => {
    fc.assert(
      fc.property(machines, policy, fc.infiniteStream(fc.nat()), (pool, chosen, seeds) => {
        const ordered = orderForDeletion(pool, chosen);
        expect([...names(ordered)].sort()).toEqual([...names(pool)].sort());
        const shuffled = [...pool].map((m) => ({ m, key: seeds.next().value as number })).sort((a, b) => a.key - b.key).map(({ m }) => m);
        expect(names(orderForDeletion(shuffled, chosen))).toEqual(names(ordered));
        const ranks = ordered.map((m) => DELETE_RANKS.indexOf(deleteRank(m)));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        if (chosen !== 'Random') {
          for (let index = 1; index < ordered.length; index += 1) {
            const [before, after] = [ordered[index - 1], ordered[index]] as [PlannedMachine, PlannedMachine];
            if (ranks[index - 1] !== ranks[index]) continue;
            if (chosen === 'Newest') expect(before.createdAt).toBeGreaterThanOrEqual(after.createdAt);
            else expect(before.createdAt).toBeLessThanOrEqual(after.createdAt);
          }
        }
      }),
    );
  });
});
