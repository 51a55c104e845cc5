/**
 * The order in which a cluster is taken apart: worker pools (the MachineDeployments it
 * owns) and any loose workers first, so workloads drain off while the control plane still
 * answers; then the control plane; then a sweep of machines still tagged with the infra ID
 * (a cloud refuses to delete a network with machines in it); then the infrastructure, then a
 * sweep of anything still tagged with it.
 */
import type { MachineRole } from '../../providers/types';

export interface OwnedMachine {
  readonly name: string;
  readonly role: MachineRole;
}

export type DeprovisionStep =
  | { readonly kind: 'deletePools'; readonly pools: readonly string[] }
  | { readonly kind: 'deleteMachines'; readonly role: MachineRole; readonly names: readonly string[] }
  | { readonly kind: 'sweepMachines' }
  | { readonly kind: 'deleteInfrastructure' }
  | { readonly kind: 'sweep' };

export function planDeprovision(machines: readonly OwnedMachine[], pools: readonly string[] = []): DeprovisionStep[] {
  const namesOf = (role: MachineRole) => machines.filter((machine) => machine.role === role).map((machine) => machine.name).sort();
  const steps: DeprovisionStep[] = [];
  if (pools.length > 0) steps.push({ kind: 'deletePools', pools: [...pools].sort() });
  const workers = namesOf('worker');
  const controlPlane = namesOf('control-plane');
  if (workers.length > 0) steps.push({ kind: 'deleteMachines', role: 'worker', names: workers });
  if (controlPlane.length > 0) steps.push({ kind: 'deleteMachines', role: 'control-plane', names: controlPlane });
  // Machines no record names (a create whose answer was lost) go before the network they sit in.
  steps.push({ kind: 'sweepMachines' }, { kind: 'deleteInfrastructure' }, { kind: 'sweep' });
  return steps;
}
