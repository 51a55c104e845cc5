/**
 * Which machines go first when a MachineSet shrinks, after Cluster API's MachineSet delete
 * policies: machines already being deleted, then those annotated for deletion, then broken
 * ones, then ones not (yet) ready, and only then healthy ones in the policy's order. Total and
 * deterministic: the same machines give the same order whatever order they arrive in.
 */
import { fnv1a32 } from '../hash';
import type { DeletePolicy, PlannedMachine } from './types';

export const DELETE_RANKS = ['Deleting', 'DeleteAnnotated', 'Unhealthy', 'NotReady', 'Provisioning', 'ReadyNotAvailable', 'Available'] as const;
export type DeleteRank = (typeof DELETE_RANKS)[number];

export interface DeleteOrderOptions {
  /**
   * Splits Ready machines into those still inside minReadySeconds (deleted first: they serve no
   * one yet) and available ones. Without it every Ready machine ranks as available.
   */
  readonly isAvailable?: (machine: PlannedMachine) => boolean;
}

export function deleteRank(machine: PlannedMachine, options: DeleteOrderOptions = {}): DeleteRank {
  if (machine.state === 'Deleting') return 'Deleting';
  if (machine.deleteAnnotated) return 'DeleteAnnotated';
  if (machine.unhealthy || machine.state === 'Failed') return 'Unhealthy';
  if (machine.state === 'NotReady') return 'NotReady';
  if (machine.state === 'Provisioning') return 'Provisioning';
  return options.isAvailable && !options.isAvailable(machine) ? 'ReadyNotAvailable' : 'Available';
}

function byPolicy(policy: DeletePolicy): (a: PlannedMachine, b: PlannedMachine) => number {
  switch (policy) {
    case 'Newest':
      return (a, b) => b.createdAt - a.createdAt;
    case 'Oldest':
      return (a, b) => a.createdAt - b.createdAt;
    case 'Random':
      // A stable hash of the name stands in for chance: spread like random, yet replayable.
      return (a, b) => fnv1a32(a.name) - fnv1a32(b.name);
  }
}

const byName = (a: PlannedMachine, b: PlannedMachine): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The machines in the order they should be deleted: the first one goes first. */
export function orderForDeletion(machines: readonly PlannedMachine[], policy: DeletePolicy, options: DeleteOrderOptions = {}): PlannedMachine[] {
  const policyOrder = byPolicy(policy);
  const rankOf = new Map(machines.map((machine) => [machine, DELETE_RANKS.indexOf(deleteRank(machine, options))]));
  return [...machines].sort((a, b) => (rankOf.get(a) ?? 0) - (rankOf.get(b) ?? 0) || policyOrder(a, b) || byName(a, b));
}
