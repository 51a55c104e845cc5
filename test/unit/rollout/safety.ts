/** The planner's safety invariants, checked on one plan against the world it was made for (see invariants.test.ts). */
import { expect } from 'vitest';
import { plannerBudget } from '../../../workflows/planners/rollout/budget';
import type { SimulatedWorld } from '../../../workflows/planners/rollout/simulate';
import type { PlannedMachine, RolloutPlan, RolloutSpec } from '../../../workflows/planners/rollout/types';

export function isAvailable(machine: PlannedMachine, spec: RolloutSpec, now: number): boolean {
  return machine.state === 'Ready' && !machine.unhealthy && machine.readySince !== undefined && now - machine.readySince >= spec.minReadySeconds * 1000;
}

export function checkSafety(spec: RolloutSpec, world: SimulatedWorld, plan: RolloutPlan, now: number): void {
  const { maxSurge, maxUnavailable } = plannerBudget(spec);
  const byName = new Map(world.machines.map((machine) => [machine.name, machine]));
  const creates = plan.actions.filter((action) => action.type === 'createMachine').length;
  if (creates > 0) expect(world.machines.length + creates).toBeLessThanOrEqual(spec.replicas + maxSurge);

  const deleted = plan.actions.flatMap((action) => (action.type === 'deleteMachine' ? [action.machine] : []));
  expect(new Set(deleted).size).toBe(deleted.length);
  const current = new Set(world.machineSets.filter((set) => set.revision === spec.revision).map((set) => set.name));
  const asked = (machine: PlannedMachine) => spec.strategy.type === 'OnDelete' && !spec.paused && machine.deleteAnnotated === true && !current.has(machine.machineSet);
  const victims = deleted.map((name) => byName.get(name));
  expect(victims.every((machine) => machine !== undefined && machine.state !== 'Deleting')).toBe(true);
  const available = world.machines.filter((machine) => isAvailable(machine, spec, now)).length;
  const availableTaken = victims.filter((machine) => machine && !asked(machine) && isAvailable(machine, spec, now)).length;
  const askedTaken = victims.filter((machine) => machine && asked(machine) && isAvailable(machine, spec, now)).length;
  if (availableTaken > 0) expect(available - askedTaken - availableTaken).toBeGreaterThanOrEqual(spec.replicas - maxUnavailable);
  for (const action of plan.actions) {
    if (action.type === 'deleteMachine' && action.reason.startsWith('deadlock breaker')) {
      const machine = byName.get(action.machine);
      expect(machine && !isAvailable(machine, spec, now) && !current.has(machine.machineSet)).toBe(true);
    }
  }
}
