import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inPlaceMaxUnavailable, planInPlaceBatch, type InPlaceMachine } from '../../../workflows/planners/hosted/in-place';

const machine = (name: string, version: string, overrides: Partial<InPlaceMachine> = {}): InPlaceMachine => ({ name, version, ready: true, updating: false, ...overrides });

describe('planInPlaceBatch', () => {
  it.each([
    ['all at the target: done', [machine('a', '2'), machine('b', '2')], 1, { update: [], done: true }],
    ['one at a time, in name order', [machine('b', '1'), machine('a', '1'), machine('c', '1')], 1, { update: ['a'], done: false }],
    ['two at a time', [machine('a', '1'), machine('b', '1'), machine('c', '1')], 2, { update: ['a', 'b'], done: false }],
    ['one updating fills the room', [machine('a', '1', { updating: true }), machine('b', '1')], 1, { update: [], done: false }],
    ['a machine already unavailable uses up the room', [machine('a', '2', { ready: false }), machine('b', '1')], 1, { update: [], done: false }],
    ['a machine not ready and behind is updated at no extra cost', [machine('a', '1', { ready: false }), machine('b', '1')], 1, { update: ['a'], done: false }],
    ['an unknown version is behind', [{ name: 'a', ready: true, updating: false }], 1, { update: ['a'], done: false }],
    ['the last one updating is not done yet', [machine('a', '2'), machine('b', '2', { updating: true })], 1, { update: [], done: false }],
  ])('%s', (_name, machines, maxUnavailable, expected) => {
    expect(planInPlaceBatch(machines, '2', maxUnavailable)).toEqual(expected);
  });

  it.each([
    [1, 10, 1],
    [3, 10, 3],
    ['25%', 10, 2],
    ['10%', 5, 1],
    [0, 5, 1],
  ])('maxUnavailable %s of %s replicas is %s', (value, replicas, expected) => {
    expect(inPlaceMaxUnavailable(value, replicas)).toBe(expected);
  });
});

describe('planInPlaceBatch properties', () => {
  const machines = fc.uniqueArray(
    fc.record({ name: fc.string({ minLength: 1, maxLength: 4 }), version: fc.constantFrom('1', '2'), ready: fc.boolean(), updating: fc.boolean() }),
    { selector: (entry) => entry.name, maxLength: 12 },
  );

  it('never takes a ready machine out beyond maxUnavailable, never picks one twice, and always moves when it can', () => {
    fc.assert(
      fc.property(machines, fc.integer({ min: 1, max: 5 }), (given, maxUnavailable) => {
        const { update, done } = planInPlaceBatch(given, '2', maxUnavailable);
        expect(new Set(update).size).toBe(update.length);
        const chosen = given.filter((entry) => update.includes(entry.name));
        expect(chosen.every((entry) => entry.version !== '2' && !entry.updating)).toBe(true);
        const unavailableBefore = given.filter((entry) => entry.updating || !entry.ready).length;
        const readyChosen = chosen.filter((entry) => entry.ready).length;
        // The ready machines it takes out fit in the room the unavailable ones leave.
        expect(readyChosen).toBeLessThanOrEqual(Math.max(0, maxUnavailable - unavailableBefore));
        const behind = given.filter((entry) => entry.version !== '2' && !entry.updating);
        if (behind.length > 0 && unavailableBefore === 0) expect(update.length).toBeGreaterThan(0);
        expect(done).toBe(behind.length === 0 && !given.some((entry) => entry.updating));
      }),
    );
  });

  it('reaches the target in at most ceil(n / maxUnavailable) batches when every update succeeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 5 }), (count, maxUnavailable) => {
        let world = Array.from({ length: count }, (_, index) => machine(`m${String(index).padStart(2, '0')}`, '1'));
        let batches = 0;
        for (;;) {
          const { update, done } = planInPlaceBatch(world, '2', maxUnavailable);
          if (done) break;
          batches += 1;
          world = world.map((entry) => (update.includes(entry.name) ? { ...entry, version: '2' } : entry));
          expect(batches).toBeLessThanOrEqual(Math.ceil(count / maxUnavailable));
        }
      }),
    );
  });
});
