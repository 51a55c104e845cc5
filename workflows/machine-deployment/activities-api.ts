/**
 * What a MachineDeployment learns of its machines from the cloud observer
 * (workflows/cloud-observer), and how it compares observations.
 */
import type { MachinePhase, NodeReport } from '../../providers/types';

/** What the cloud says about one machine. */
export interface MachineObservation {
  readonly providerId: string;
  readonly phase: MachinePhase;
  /** As CloudMachine.node: undefined = the provider has no view of nodes; null = not joined. */
  readonly node?: NodeReport | null;
}

/** Running with a Ready node (or no node view): nothing about it is expected to change soon. */
export function observationSettled(observation: MachineObservation): boolean {
  if (observation.phase !== 'running') return false;
  if (observation.node === undefined) return true;
  return observation.node !== null && observation.node.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/** A stable summary of an observation: equal fingerprints mean nothing the workflow acts on changed. */
export function observationFingerprint(observation: MachineObservation): string {
  const node = observation.node === undefined ? '-' : observation.node === null ? 'absent' : observation.node.conditions.map((condition) => `${condition.type}=${condition.status}@${condition.lastTransitionTime}`).sort().join(',');
  return `${observation.phase}|${observation.providerId}|${node}`;
}
