/**
 * The planner's reading of its input: machines grouped by MachineSet, which of them are live
 * and available, and the budget. Machines whose MachineSet is unknown are grouped under a
 * stand-in set that wants 0 machines, so they are counted and eventually removed, never kept.
 */
import { plannerBudget, type RolloutBudget } from './budget';
import type { DeletePolicy, PlannedMachine, PlannedMachineSet, RolloutInput, RolloutSpec } from './types';

export interface SetView {
  readonly set: PlannedMachineSet;
  /** The MachineSet of spec.revision. */
  readonly isNew: boolean;
  /** Stands in for a MachineSet the input does not list; never scaled or deleted as a set. */
  readonly orphan: boolean;
  /** Machines not being deleted. */
  readonly live: readonly PlannedMachine[];
  readonly deleting: readonly PlannedMachine[];
  readonly available: number;
}

export interface World {
  readonly spec: RolloutSpec;
  readonly now: number;
  readonly budget: RolloutBudget;
  readonly policy: DeletePolicy;
  /** spec.replicas + maxSurge: no create may take the machine count above it. */
  readonly maxTotal: number;
  /** spec.replicas - maxUnavailable: no deletion of an available machine may take availability below it. */
  readonly minAvailable: number;
  /** Oldest first (by revisionNumber); the new set, when it exists, is last. */
  readonly views: readonly SetView[];
  readonly newView: SetView | undefined;
  /** Every machine that exists, including those being deleted. */
  readonly total: number;
  readonly available: number;
  isAvailable(machine: PlannedMachine): boolean;
}

const DEFAULT_DELETE_POLICY: DeletePolicy = 'Random';

function availabilityTest(minReadySeconds: number, now: number): (machine: PlannedMachine) => boolean {
  const minReadyMs = minReadySeconds * 1000;
  return (machine) => {
    if (machine.state !== 'Ready' || machine.unhealthy) return false;
    // Without a readySince the machine cannot have proven minReadySeconds yet.
    if (machine.readySince === undefined) return minReadyMs === 0;
    return now - machine.readySince >= minReadyMs;
  };
}

/** The MachineSet of the revision the spec asks for: the newest one when several claim it. */
export function newSetOf(spec: RolloutSpec, sets: readonly PlannedMachineSet[]): PlannedMachineSet | undefined {
  return sets.filter((set) => set.revision === spec.revision).sort((a, b) => b.revisionNumber - a.revisionNumber)[0];
}

/** The name the new MachineSet has, or will have once the plan creates it. */
export function newSetName(world: World): string {
  return world.newView?.set.name ?? world.spec.revision;
}

export function observe(input: RolloutInput): World {
  const { spec, now } = input;
  const isAvailable = availabilityTest(spec.minReadySeconds, now);
  const budget = plannerBudget(spec);
  const newSet = newSetOf(spec, input.machineSets);
  const known = new Map(input.machineSets.map((set) => [set.name, set]));
  const orphanNames = [...new Set(input.machines.map((machine) => machine.machineSet).filter((name) => !known.has(name)))].sort();
  const orphans: PlannedMachineSet[] = orphanNames.map((name) => ({ name, revision: '', replicas: 0, revisionNumber: Number.NEGATIVE_INFINITY }));
  const sets = [...orphans, ...input.machineSets].sort((a, b) => {
    if (a === newSet || b === newSet) return a === newSet ? 1 : -1;
    return a.revisionNumber - b.revisionNumber || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
  const views = sets.map((set): SetView => {
    const members = input.machines.filter((machine) => machine.machineSet === set.name);
    const live = members.filter((machine) => machine.state !== 'Deleting');
    return {
      set,
      isNew: set === newSet,
      orphan: !known.has(set.name),
      live,
      deleting: members.filter((machine) => machine.state === 'Deleting'),
      available: live.filter(isAvailable).length,
    };
  });
  return {
    spec,
    now,
    budget,
    policy: spec.strategy.deletePolicy ?? DEFAULT_DELETE_POLICY,
    maxTotal: spec.replicas + budget.maxSurge,
    minAvailable: Math.max(0, spec.replicas - budget.maxUnavailable),
    views,
    newView: views.find((view) => view.isNew),
    total: input.machines.length,
    available: views.reduce((sum, view) => sum + view.available, 0),
    isAvailable,
  };
}
