/**
 * A simulated MachineDeployment world that plans are applied to: for previews (preview.ts)
 * and for tests. It applies actions the way the workflow does, minus the cloud: a deleted
 * machine is marked Deleting, a created machine starts Provisioning, and time moves only when
 * the caller says so.
 */
import type { PlannedMachine, PlannedMachineSet, RolloutAction } from './types';

export interface SimulatedWorld {
  readonly machineSets: readonly PlannedMachineSet[];
  readonly machines: readonly PlannedMachine[];
}

export interface Applied {
  readonly world: SimulatedWorld;
  readonly created: readonly string[];
  readonly deleted: readonly string[];
}

/** `${prefix}${revision}-${index}` with the lowest index not yet taken by any machine. */
function nextMachineName(taken: ReadonlySet<string>, prefix: string, revision: string): string {
  for (let index = 0; ; index += 1) {
    const name = `${prefix}${revision}-${index}`;
    if (!taken.has(name)) return name;
  }
}

export function applyActions(world: SimulatedWorld, actions: readonly RolloutAction[], now: number, namePrefix = ''): Applied {
  let machineSets = [...world.machineSets];
  let machines = [...world.machines];
  const taken = new Set(machines.map((machine) => machine.name));
  const created: string[] = [];
  const deleted: string[] = [];
  for (const action of actions) {
    switch (action.type) {
      case 'createMachineSet': {
        if (machineSets.some((set) => set.name === action.machineSet)) break;
        const revisionNumber = Math.max(0, ...machineSets.map((set) => set.revisionNumber)) + 1;
        machineSets.push({ name: action.machineSet, revision: action.revision, replicas: action.replicas, revisionNumber });
        break;
      }
      case 'scaleMachineSet':
        machineSets = machineSets.map((set) => (set.name === action.machineSet ? { ...set, replicas: action.replicas } : set));
        break;
      case 'deleteMachineSet':
        machineSets = machineSets.filter((set) => set.name !== action.machineSet);
        break;
      case 'deleteMachine':
        machines = machines.map((machine) => {
          if (machine.name !== action.machine || machine.state === 'Deleting') return machine;
          deleted.push(machine.name);
          const { readySince: _readySince, ...rest } = machine;
          return { ...rest, state: 'Deleting' as const };
        });
        break;
      case 'createMachine': {
        const set = machineSets.find((candidate) => candidate.name === action.machineSet);
        const name = nextMachineName(taken, namePrefix, set?.revision ?? action.machineSet);
        taken.add(name);
        created.push(name);
        machines.push({ name, machineSet: action.machineSet, createdAt: now, state: 'Provisioning' });
        break;
      }
    }
  }
  return { world: { machineSets, machines }, created, deleted };
}

/** Machines being deleted finish draining and are gone. */
export function removeDeleted(world: SimulatedWorld): SimulatedWorld {
  return { ...world, machines: world.machines.filter((machine) => machine.state !== 'Deleting') };
}

/** Every machine that is still coming up (Provisioning or NotReady) becomes Ready at `readySince`. */
export function bootAll(world: SimulatedWorld, readySince: number): SimulatedWorld {
  return {
    ...world,
    machines: world.machines.map((machine) => (machine.state === 'Provisioning' || machine.state === 'NotReady' ? { ...machine, state: 'Ready' as const, readySince } : machine)),
  };
}
