/**
 * What the MachineDeployment workflow asks of its activities beyond the machine create and
 * delete it shares with the ClusterDeployment. Inputs carry references, never a credential.
 */
import type { MachinePhase, NodeReport } from '../../providers/types';
import type { ProviderTarget } from '../entity/activities-api';

/** What the cloud says about one machine. */
export interface MachineObservation {
  readonly providerId: string;
  readonly phase: MachinePhase;
  /** As CloudMachine.node: undefined = the provider has no view of nodes; null = not joined. */
  readonly node?: NodeReport | null;
}

export interface WatchMachinesInput {
  readonly target: ProviderTarget;
  readonly infraId: string;
  readonly managementId: string;
  /** A regular expression (source) that matches exactly the machine names (not cloud names) this MachineDeployment gives. */
  readonly namePattern: string;
  /** Every machine the workflow has asked for and not yet seen gone: while one is missing from the cloud, look often. */
  readonly expected: readonly string[];
  /** What the workflow last saw, as observationFingerprint values by machine name. */
  readonly known: Readonly<Record<string, string>>;
  /** Return at the latest after this long, even when nothing changed. */
  readonly maxWaitSeconds: number;
  /** How often to look while every machine is settled (running and Ready); machines in transition are looked at often. */
  readonly settledPollSeconds: number;
  /**
   * False when the workflow knows of a machine in transition: look often until something
   * changes, even if the cloud already shows every expected machine settled. A watch must
   * never be slower than the workflow believes, or a machine it asks for later is seen late.
   */
  readonly mayIdle?: boolean;
}

export interface WatchMachinesResult {
  /** Every machine of this MachineDeployment the cloud holds (terminated ones left out), by machine name. */
  readonly machines: Readonly<Record<string, MachineObservation>>;
}

/**
 * Watches run on a task queue of their own, polled by a worker with room for thousands of
 * them: each holds its activity slot for minutes, and on the main queue a few hundred would
 * starve the cloud calls every workflow waits on.
 */
export function watchTaskQueue(taskQueue: string): string {
  return `${taskQueue}-watch`;
}

export interface MachineDeploymentActivities {
  /** Polls the cloud until what it holds differs from `known`, or maxWaitSeconds pass. */
  watchMachines(input: WatchMachinesInput): Promise<WatchMachinesResult>;
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
