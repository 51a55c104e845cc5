/**
 * The planner's safety and liveness, over random specs, random machine failures and random
 * spec changes mid-rollout:
 * (a) creates never take the machine count (machines being deleted included) above
 *     replicas + maxSurge;
 * (b) a plan never deletes an available machine when that leaves fewer than
 *     replicas - maxUnavailable available (OnDelete deletions a person asked for aside); the
 *     deadlock breaker only ever deletes an unavailable old machine;
 * (c) once failures stop, applying plans (new machines Ready one step after their creation)
 *     reaches complete within a bounded number of steps, with exactly replicas machines, all of
 *     spec.revision.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRollout } from '../../../workflows/planners/rollout/planner';
import { applyActions, bootAll, removeDeleted, type SimulatedWorld } from '../../../workflows/planners/rollout/simulate';
import type { PlannedMachine, RolloutSpec } from '../../../workflows/planners/rollout/types';
import { checkSafety } from './safety';

const STEP_MS = 10_000;
const intOrPercent = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('0%', '10%', '25%', '50%', '100%'));
const strategy = fc
  .record({ type: fc.constantFrom<RolloutSpec['strategy']['type']>('RollingUpdate', 'RollingUpdate', 'RollingUpdate', 'OnDelete'), maxSurge: intOrPercent, maxUnavailable: intOrPercent, deletePolicy: fc.constantFrom('Random' as const, 'Newest' as const, 'Oldest' as const) })
  .filter((s) => !(s.maxSurge === 0 && s.maxUnavailable === 0));

type Event =
  | { kind: 'fail'; pick: number; state: 'Failed' | 'NotReady' }
  | { kind: 'replicas'; replicas: number }
  | { kind: 'revision' }
  | { kind: 'strategy'; strategy: RolloutSpec['strategy'] }
  | { kind: 'pause'; paused: boolean }
  | { kind: 'annotate'; pick: number }
  | { kind: 'none' };

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Event>({ kind: 'none' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), pick: fc.nat(), state: fc.constantFrom('Failed' as const, 'NotReady' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replicas' as const), replicas: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.constant<Event>({ kind: 'revision' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('strategy' as const), strategy }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), paused: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('annotate' as const), pick: fc.nat() }) },
);

function applyEvent(event: Event, spec: RolloutSpec, world: SimulatedWorld, revisions: { next: number }): { spec: RolloutSpec; world: SimulatedWorld } {
  const live = world.machines.filter((machine) => machine.state !== 'Deleting');
  const mark = (pick: number, change: Partial<PlannedMachine>): SimulatedWorld => {
    const target = live[pick % Math.max(1, live.length)];
    if (!target) return world;
    return { ...world, machines: world.machines.map((machine) => (machine === target ? { ...machine, ...change } : machine)) };
  };
  switch (event.kind) {
    case 'fail':
      return { spec, world: mark(event.pick, { state: event.state, readySince: undefined }) };
    case 'annotate':
      return { spec, world: mark(event.pick, { deleteAnnotated: true }) };
    case 'replicas':
      return { spec: { ...spec, replicas: event.replicas }, world };
    case 'revision':
      revisions.next += 1;
      return { spec: { ...spec, revision: `rev${revisions.next}` }, world };
    case 'strategy':
      return { spec: { ...spec, strategy: event.strategy }, world };
    case 'pause':
      return { spec: { ...spec, paused: event.paused }, world };
    case 'none':
      return { spec, world };
  }
}

/** One step of the world: deletions drain, and machines created in an earlier step become Ready. */
function advance(world: SimulatedWorld, now: number): SimulatedWorld {
  const booted = world.machines.map((machine) => (machine.state === 'Provisioning' && machine.createdAt < now ? { ...machine, state: 'Ready' as const, readySince: now } : machine));
  return removeDeleted({ ...world, machines: booted });
}

describe('planRollout invariants', () => {
  it('keeps the budget under random failures and spec changes, and converges once they stop', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        strategy,
        fc.constantFrom(0, 20),
        fc.array(event, { maxLength: 40, size: 'max' }),
        (replicas, oldCount, initialStrategy, minReadySeconds, events) => {
          let spec: RolloutSpec = { replicas, strategy: initialStrategy, minReadySeconds, paused: false, revision: 'rev1' };
          const machines: PlannedMachine[] = Array.from({ length: oldCount }, (_, index) => ({ name: `old-${index}`, machineSet: 'rev0', createdAt: 0, state: 'Ready', readySince: 0 }));
          let world: SimulatedWorld = { machineSets: [{ name: 'rev0', revision: 'rev0', replicas: oldCount, revisionNumber: 1 }], machines };
          const revisions = { next: 1 };
          let now = 100 * STEP_MS;
          for (const happening of events) {
            ({ spec, world } = applyEvent(happening, spec, world, revisions));
            const plan = planRollout({ spec, machineSets: world.machineSets, machines: world.machines, now });
            checkSafety(spec, world, plan, now);
            world = applyActions(world, plan.actions, now).world;
            now += STEP_MS;
            world = advance(world, now);
          }

          // Failures stop: broken machines are remediated (deleted), blips heal, the rollout is unpaused,
          // and under OnDelete a person asks for every old machine to go.
          spec = { ...spec, paused: false };
          world = bootAll(removeDeleted({ ...world, machines: world.machines.map((m) => (m.state === 'Failed' || m.unhealthy ? { ...m, state: 'Deleting' as const } : m)) }), now - minReadySeconds * 1000);
          const bound = 4 * (spec.replicas + world.machines.length) + 20;
          let steps = 0;
          for (; steps < bound; steps += 1) {
            const current = new Set(world.machineSets.filter((set) => set.revision === spec.revision).map((set) => set.name));
            if (spec.strategy.type === 'OnDelete') world = { ...world, machines: world.machines.map((m) => (current.has(m.machineSet) ? m : { ...m, deleteAnnotated: true })) };
            const plan = planRollout({ spec, machineSets: world.machineSets, machines: world.machines, now });
            checkSafety(spec, world, plan, now);
            if (plan.complete && plan.actions.length === 0) break;
            world = applyActions(world, plan.actions, now).world;
            now += STEP_MS + minReadySeconds * 1000;
            world = advance(world, now);
          }
          expect(steps).toBeLessThan(bound);
          const current = new Set(world.machineSets.filter((set) => set.revision === spec.revision).map((set) => set.name));
          expect(world.machines).toHaveLength(spec.replicas);
          expect(world.machines.every((machine) => current.has(machine.machineSet))).toBe(true);
        },
      ),
      { numRuns: Number(process.env.ROLLOUT_RUNS ?? 400) },
    );
  });
});
