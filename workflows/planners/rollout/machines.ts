/**
 * The machine level of the plan: create or delete machines so each MachineSet holds its
 * desired replicas, and never break the budget doing it. A create never takes the machine
 * count (machines being deleted included) above replicas + maxSurge; a deletion never takes an
 * available machine away when that would leave fewer than replicas - maxUnavailable available,
 * unless a person asked for that machine to go.
 */
import { deleteRank, orderForDeletion } from './delete-priority';
import type { Sizing } from './sizing';
import type { RolloutAction } from './types';
import { newSetName, type World } from './world';

export interface MachineLevel {
  readonly deletes: RolloutAction[];
  readonly creates: RolloutAction[];
  /** Deletions the availability floor holds back for now. */
  readonly heldDeletes: number;
  /** Creates the surge budget holds back for now. */
  readonly heldCreates: number;
}

export function reconcileMachines(world: World, sizing: Sizing): MachineLevel {
  const options = { isAvailable: world.isAvailable };
  const deletes: RolloutAction[] = [];
  let available = world.available;
  let heldDeletes = 0;
  const excess = new Map(world.views.map((view) => [view.set.name, view.live.length - (sizing.targets.get(view.set.name) ?? view.set.replicas)]));
  // Deletions a person asked for go first, whatever the floor: only what is left after them may
  // take an available machine, so the two together never go below replicas - maxUnavailable.
  for (const requestedPass of [true, false]) {
    for (const view of world.views) {
      if ((excess.get(view.set.name) ?? 0) <= 0) continue;
      const target = sizing.targets.get(view.set.name) ?? view.set.replicas;
      const ordered = orderForDeletion(view.live, world.policy, options);
      const queue = [...ordered.filter((machine) => sizing.chosen.has(machine.name)), ...ordered.filter((machine) => !sizing.chosen.has(machine.name))];
      for (const machine of queue) {
        if ((excess.get(view.set.name) ?? 0) <= 0) break;
        if (sizing.requested.has(machine.name) !== requestedPass || deletes.some((action) => action.type === 'deleteMachine' && action.machine === machine.name)) continue;
        const isAvailable = world.isAvailable(machine);
        if (isAvailable && !requestedPass && available - 1 < world.minAvailable) {
          heldDeletes += 1;
          continue;
        }
        if (isAvailable) available -= 1;
        excess.set(view.set.name, (excess.get(view.set.name) ?? 0) - 1);
        deletes.push({
          type: 'deleteMachine',
          machine: machine.name,
          reason:
            sizing.chosen.get(machine.name) ??
            `${view.set.name} has ${view.live.length} machines for ${target} replicas; ${machine.name} goes first (${deleteRank(machine, options)}, delete policy ${world.policy})`,
        });
      }
    }
  }

  const creates: RolloutAction[] = [];
  let total = world.total;
  let heldCreates = 0;
  const existing = new Map(world.views.map((view) => [view.set.name, view.live.length]));
  const newestFirst = [newSetName(world), ...world.views.filter((view) => !view.orphan && !view.isNew).map((view) => view.set.name).reverse()];
  for (const name of newestFirst) {
    const target = sizing.targets.get(name);
    if (target === undefined) continue;
    const live = existing.get(name) ?? 0;
    for (let index = live; index < target; index += 1) {
      if (total >= world.maxTotal) {
        heldCreates += 1;
        continue;
      }
      total += 1;
      creates.push({ type: 'createMachine', machineSet: name, reason: `${name} has ${index} of ${target} machines; one more brings the total to ${total} of max ${world.maxTotal}` });
    }
  }
  return { deletes, creates, heldDeletes, heldCreates };
}
