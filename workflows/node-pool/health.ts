/**
 * Autorepair for a NodePool: its machines' health read from their Nodes in the hosted API
 * server, judged by the same pure rule the MachineDeployment health check uses
 * (planRemediation), with HyperShift's autorepair thresholds.
 */
import type { HealthCheckSpec, HealthInput } from '../planners/rollout/index';
import { nodeOfMachine, type NodePoolState } from './state';

/** HyperShift's autorepair MachineHealthCheck: Ready False or Unknown for 8 minutes, a Node within 20, at most 2 unhealthy. */
export const AUTOREPAIR_CHECK: HealthCheckSpec = {
  unhealthyConditions: [
    { type: 'Ready', status: 'False', timeoutSeconds: 480 },
    { type: 'Ready', status: 'Unknown', timeoutSeconds: 480 },
  ],
  nodeStartupTimeoutSeconds: 1200,
  maxUnhealthy: 2,
};

/** A machine's name is <machineDeployment>-<revision>-<index>: its revision stands for its MachineSet. */
function revisionOf(machineDeployment: string, machine: string): string {
  return machine.slice(machineDeployment.length + 1).split('-')[0] ?? '';
}

export function nodeHealthInput(state: NodePoolState, replicas: number, now: number): HealthInput | undefined {
  const record = state.machineDeployment;
  if (!record || !state.report || state.nodes === undefined) return undefined;
  const machines = state.report.machines
    .filter((machine) => machine.phase !== 'Deleting' && machine.phase !== 'Failed')
    .map((machine) => {
      const node = nodeOfMachine(state.nodes, machine.name);
      const since = node ? state.notReadySince[node.name] : undefined;
      return {
        name: machine.name,
        machineSet: revisionOf(record.name, machine.name),
        createdAt: state.firstSeen[machine.name] ?? now,
        hasNode: node !== undefined,
        conditions: node ? [{ type: 'Ready', status: node.ready, lastTransitionTime: node.ready === 'True' ? now : (since ?? now) }] : [],
      };
    });
  return { spec: AUTOREPAIR_CHECK, machines, currentMachineSet: record.revision, replicas, now };
}
