/**
 * What a rollout will do, wave by wave, found by stepping a simulated world with the same
 * planner the workflow runs (planRollout), so the preview cannot disagree with the real thing.
 *
 * A wave starts by asking the planner repeatedly, without letting time pass: its deletions
 * drain and are gone (they are listed at the wave's start) and its creates start, until the
 * planner has nothing more to do. Then every machine still coming up becomes Ready, and
 * available once minReadySeconds has passed, by the wave's end. A wave takes drainSeconds (if
 * it deletes) + bootSeconds + minReadySeconds (if it creates). The rollout usually ends with
 * one more wave that only deletes the last old machines; it counts towards the expected time
 * but is not a boot wave, so it is not compared with idealWaveCount.
 */
import { plannerBudget, type RolloutBudget } from './budget';
import { planRollout } from './planner';
import { applyActions, bootAll, removeDeleted, type SimulatedWorld } from './simulate';
import type { PlannedMachine, PlannedMachineSet, RolloutSpec } from './types';

export interface PreviewInput {
  readonly spec: RolloutSpec;
  readonly machineSets: readonly PlannedMachineSet[];
  readonly machines: readonly PlannedMachine[];
  readonly bootSeconds: number;
  readonly drainSeconds: number;
  /** Put before `${revision}-${index}` in the names of machines the preview creates. */
  readonly namePrefix?: string;
  /** When the preview starts (ms since the epoch); by default the latest time in the input, with every Ready machine available. */
  readonly now?: number;
}

export interface PreviewWave {
  readonly delete: string[];
  readonly create: string[];
  readonly expectedSeconds: number;
}

export interface RolloutPreview {
  readonly waves: PreviewWave[];
  /** The fewest boot waves any schedule within the budget could take (idealWaveCount). */
  readonly idealWaves: number;
  readonly expectedSeconds: number;
  readonly budget: RolloutBudget;
}

/**
 * The fewest boot waves in which any schedule within the budget can replace `toReplace`
 * machines (all `replicas` in a full rollout).
 *
 * Why no schedule does better: a machine created in a wave is not available before the wave
 * ends, and stays until then. Take any moment of a wave after its last create, with c machines
 * created in it so far. The total is at most replicas + maxSurge, and at least replicas -
 * maxUnavailable machines are available, none of them among the c. So c <= (replicas +
 * maxSurge) - (replicas - maxUnavailable) = maxSurge + maxUnavailable (maxUnavailable counted at
 * most up to replicas, since availability cannot go below 0). Replacing toReplace machines thus
 * needs at least ceil(toReplace / (maxSurge + maxUnavailable)) waves.
 */
export function idealWaveCount(replicas: number, maxSurge: number, maxUnavailable: number, toReplace = replicas): number {
  if (toReplace <= 0) return 0;
  const perWave = maxSurge + Math.min(maxUnavailable, replicas);
  if (perWave <= 0) throw new RangeError('with maxSurge 0 and maxUnavailable 0 no schedule can replace a machine; resolve the budget with resolveRolloutBudget first');
  return Math.ceil(toReplace / perWave);
}

const MAX_PLANS_PER_WAVE = 1_000;

function startTime(input: PreviewInput): number {
  if (input.now !== undefined) return input.now;
  const times = input.machines.flatMap((machine) => [machine.createdAt, machine.readySince ?? machine.createdAt]);
  return (times.length > 0 ? Math.max(...times) : 0) + input.spec.minReadySeconds * 1000;
}

function machinesToReplace(input: PreviewInput): number {
  const current = new Set(input.machineSets.filter((set) => set.revision === input.spec.revision).map((set) => set.name));
  const upToDate = input.machines.filter((machine) => current.has(machine.machineSet) && machine.state !== 'Deleting' && machine.state !== 'Failed' && !machine.unhealthy).length;
  return Math.max(0, input.spec.replicas - upToDate);
}

export function previewRollout(input: PreviewInput): RolloutPreview {
  const { spec } = input;
  const budget = plannerBudget(spec);
  const minReadyMs = spec.minReadySeconds * 1000;
  let now = startTime(input);
  let world: SimulatedWorld = removeDeleted({ machineSets: input.machineSets, machines: input.machines });
  const waves: PreviewWave[] = [];
  const maxWaves = 4 * (spec.replicas + input.machines.length) + 10;
  while (waves.length < maxWaves) {
    const deleted: string[] = [];
    const created: string[] = [];
    for (let step = 0; step < MAX_PLANS_PER_WAVE; step += 1) {
      const plan = planRollout({ spec, machineSets: world.machineSets, machines: world.machines, now });
      if (plan.actions.length === 0) break;
      const applied = applyActions(world, plan.actions, now, input.namePrefix ?? '');
      world = removeDeleted(applied.world);
      deleted.push(...applied.deleted);
      created.push(...applied.created);
    }
    if (deleted.length === 0 && created.length === 0) break;
    const expectedSeconds = (deleted.length > 0 ? input.drainSeconds : 0) + (created.length > 0 ? input.bootSeconds + spec.minReadySeconds : 0);
    now += expectedSeconds * 1000;
    world = bootAll(world, now - minReadyMs);
    waves.push({ delete: deleted, create: created, expectedSeconds });
  }
  const idealWaves = budget.maxSurge + budget.maxUnavailable === 0 ? 0 : idealWaveCount(spec.replicas, budget.maxSurge, budget.maxUnavailable, machinesToReplace(input));
  return { waves, idealWaves, expectedSeconds: waves.reduce((sum, wave) => sum + wave.expectedSeconds, 0), budget };
}
