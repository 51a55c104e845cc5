/** Reads the MachineDeployment's machines the way the pure health judgement (planRemediation) expects them. */
import type { MachineHealthCheckSpec } from '../../crds/schemas/machine-deployment';
import type { HealthInput } from '../planners/rollout/index';
import type { MachineDeploymentState } from './state';

export function healthInput(state: MachineDeploymentState, check: MachineHealthCheckSpec, currentMachineSet: string, now: number): HealthInput {
  return {
    spec: {
      unhealthyConditions: check.unhealthyConditions,
      nodeStartupTimeoutSeconds: check.nodeStartupTimeoutSeconds,
      ...(check.maxUnhealthy !== undefined ? { maxUnhealthy: check.maxUnhealthy } : {}),
      ...(check.unhealthyRange !== undefined ? { unhealthyRange: check.unhealthyRange } : {}),
      ...(check.maxInFlight !== undefined ? { maxInFlight: check.maxInFlight } : {}),
    },
    machines: Object.values(state.machines)
      .filter((machine) => !machine.failed && (!machine.deleting || machine.remediating))
      .map((machine) => {
        // A provider without a view of nodes (node undefined) counts a running machine as joined.
        const hasNode = machine.node !== undefined ? machine.node !== null : machine.cloudPhase === 'running';
        return {
          name: machine.name,
          machineSet: machine.machineSet,
          createdAt: machine.createdAt,
          hasNode,
          nodeMissing: machine.wasReady && machine.node === null,
          conditions: (machine.node?.conditions ?? []).map((condition) => ({ type: condition.type, status: condition.status, lastTransitionTime: Date.parse(condition.lastTransitionTime) })),
          annotations: machine.annotations,
          remediating: machine.remediating,
        };
      }),
    currentMachineSet,
    replicas: state.object.spec.replicas,
    now,
  };
}
