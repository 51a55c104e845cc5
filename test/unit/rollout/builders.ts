import type { PlannedMachine, PlannedMachineSet, RolloutAction, RolloutSpec } from '../../../workflows/planners/rollout/types';

export const NOW = 1_000_000;

export function spec(overrides: Partial<RolloutSpec> & { maxSurge?: number | string; maxUnavailable?: number | string; type?: RolloutSpec['strategy']['type'] } = {}): RolloutSpec {
  const { maxSurge, maxUnavailable, type, ...rest } = overrides;
  return {
    replicas: 3,
    strategy: { type: type ?? 'RollingUpdate', ...(maxSurge !== undefined ? { maxSurge } : {}), ...(maxUnavailable !== undefined ? { maxUnavailable } : {}), deletePolicy: 'Oldest' },
    minReadySeconds: 0,
    paused: false,
    revision: 'new',
    ...rest,
  };
}

export function machineSet(name: string, replicas: number, revisionNumber: number, revision = name): PlannedMachineSet {
  return { name, revision, replicas, revisionNumber };
}

/** `count` Ready machines named `${set}-0..` in MachineSet `set`, created in order. */
export function machines(set: string, count: number, extra: Partial<PlannedMachine> = {}, first = 0): PlannedMachine[] {
  return Array.from({ length: count }, (_, offset) => ({ name: `${set}-${first + offset}`, machineSet: set, createdAt: first + offset, state: 'Ready' as const, readySince: 0, ...extra }));
}

export function summary(actions: readonly RolloutAction[]): string[] {
  return actions.map((action) => {
    switch (action.type) {
      case 'createMachineSet':
        return `createMachineSet ${action.machineSet}=${action.replicas}`;
      case 'scaleMachineSet':
        return `scale ${action.machineSet}=${action.replicas}`;
      case 'createMachine':
        return `create ${action.machineSet}`;
      case 'deleteMachine':
        return `delete ${action.machine}`;
      case 'deleteMachineSet':
        return `deleteMachineSet ${action.machineSet}`;
    }
  });
}
