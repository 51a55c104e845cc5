/**
 * A NodePool's conditions in HyperShift's vocabulary, from what its workflow knows of its
 * machines (through its MachineDeployment) and of their Nodes (through the hosted API server).
 * Pure.
 */
import type { ConditionDraft } from './hosted-cluster-conditions';

export interface NodeHealthFact {
  /** Machines with a Node whose Ready condition is True. */
  readonly healthy: number;
  /** Machines that should have a Node. */
  readonly expected: number;
  /** Machines whose Node is missing or not Ready, with why, for the message. */
  readonly unhealthy: readonly string[];
}

export interface NodePoolFacts {
  readonly desiredReplicas: number;
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly updatedReplicas: number;
  /** The machines run the current template (version and configuration). */
  readonly rolledOut: boolean;
  /** The version the spec's release asks for, and the version every machine runs (absent before the first finished rollout). */
  readonly desiredVersion?: string;
  readonly currentVersion?: string;
  /** The template changed other than by version and has not rolled out yet. */
  readonly configChanging: boolean;
  readonly autoScaling?: { readonly min: number; readonly max: number };
  readonly autoRepair: boolean;
  /** Absent until the hosted API server was read; a string says why it could not be. */
  readonly nodes?: NodeHealthFact | string;
  /**
   * Set when the pool's platform has no kubelet Slipway runs or sees (every platform but
   * Simulated): no Node registers for its machines, so none is waited for; the pool is judged by
   * its machines' running state. Its value is the platform's name, for the messages.
   */
  readonly nodesNotReported?: string;
  /** Machines the cloud failed or refused, with why. */
  readonly failedMachines: readonly string[];
  /** Why the pool cannot act at all (invalid release, its MachineDeployment's name taken, its cluster gone); absent when it can. */
  readonly blocked?: { readonly reason: string; readonly message: string };
  readonly deleting: boolean;
}

function updating(facts: NodePoolFacts): { version: boolean; config: boolean } {
  const versionMoving = facts.desiredVersion !== undefined && facts.desiredVersion !== facts.currentVersion;
  return { version: versionMoving && !facts.deleting, config: facts.configChanging && !facts.rolledOut && !facts.deleting };
}

function nodesCondition(facts: NodePoolFacts): ConditionDraft {
  const { nodes } = facts;
  if (facts.nodesNotReported !== undefined) {
    return {
      type: 'AllNodesHealthy',
      status: 'Unknown',
      reason: 'NodesNotReported',
      message: `Nodes are not reported on ${facts.nodesNotReported}: no kubelet Slipway runs or sees stands behind these machines, so none registers with the hosted API server. The pool is judged by its machines' running state (${facts.readyReplicas} of ${facts.desiredReplicas} running).`,
    };
  }
  if (nodes === undefined) return { type: 'AllNodesHealthy', status: 'Unknown', reason: 'NodesNotRead', message: 'The hosted API server has not been read yet.' };
  if (typeof nodes === 'string') return { type: 'AllNodesHealthy', status: 'Unknown', reason: 'NodesUnreadable', message: nodes };
  if (nodes.unhealthy.length === 0 && nodes.healthy >= nodes.expected) {
    return { type: 'AllNodesHealthy', status: 'True', reason: 'AsExpected', message: `All ${nodes.expected} Nodes are Ready.` };
  }
  return { type: 'AllNodesHealthy', status: 'False', reason: 'NodesNotReady', message: `${nodes.healthy} of ${nodes.expected} Nodes are Ready. ${nodes.unhealthy.join('; ')}` };
}

export function nodePoolConditions(facts: NodePoolFacts): ConditionDraft[] {
  const moving = updating(facts);
  const allMachinesReady = facts.readyReplicas === facts.desiredReplicas && facts.replicas === facts.desiredReplicas && facts.failedMachines.length === 0;
  const ready = !facts.deleting && facts.blocked === undefined && allMachinesReady && facts.updatedReplicas === facts.desiredReplicas && facts.rolledOut;
  const readyReason = facts.deleting ? 'Deleting' : facts.blocked ? facts.blocked.reason : ready ? 'AsExpected' : moving.version || moving.config ? 'Updating' : 'WaitingForMachines';
  return [
    {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: readyReason,
      message: facts.deleting
        ? 'The NodePool is being deleted.'
        : facts.blocked
          ? facts.blocked.message
          : ready
            ? `All ${facts.desiredReplicas} machines are ready.`
            : `${facts.readyReplicas} of ${facts.desiredReplicas} machines are ready, ${facts.updatedReplicas} up to date.`,
    },
    moving.version
      ? { type: 'UpdatingVersion', status: 'True', reason: 'AsExpected', message: `Updating version from ${facts.currentVersion ?? 'none'} to ${facts.desiredVersion}: ${facts.updatedReplicas} of ${facts.desiredReplicas} machines updated.` }
      : { type: 'UpdatingVersion', status: 'False', reason: 'AsExpected', message: facts.currentVersion ? `Every machine runs version ${facts.currentVersion}.` : 'No version rollout is running.' },
    moving.config
      ? { type: 'UpdatingConfig', status: 'True', reason: 'AsExpected', message: `Rolling out a configuration change: ${facts.updatedReplicas} of ${facts.desiredReplicas} machines updated.` }
      : { type: 'UpdatingConfig', status: 'False', reason: 'AsExpected', message: 'Every machine runs the current configuration.' },
    facts.autoScaling
      ? { type: 'AutoscalingEnabled', status: 'True', reason: 'AsExpected', message: `Autoscaling between ${facts.autoScaling.min} and ${facts.autoScaling.max} machines; now ${facts.desiredReplicas}.` }
      : { type: 'AutoscalingEnabled', status: 'False', reason: 'AsExpected', message: 'spec.replicas sets the size; set spec.autoScaling {min, max} instead to autoscale.' },
    facts.autoRepair
      ? {
          type: 'AutorepairEnabled',
          status: 'True',
          reason: 'AsExpected',
          message:
            facts.nodesNotReported !== undefined
              ? `Nodes are not reported on ${facts.nodesNotReported}, so no machine is replaced for its Node; a machine the cloud fails or stops is replaced by the pool's MachineDeployment.`
              : 'Machines whose Node stays unhealthy are replaced.',
        }
      : { type: 'AutorepairEnabled', status: 'False', reason: 'AsExpected', message: 'Set spec.management.autoRepair to true to replace machines whose Node stays unhealthy.' },
    allMachinesReady
      ? { type: 'AllMachinesReady', status: 'True', reason: 'AsExpected', message: `All ${facts.desiredReplicas} machines are running.` }
      : {
          type: 'AllMachinesReady',
          status: 'False',
          reason: facts.failedMachines.length > 0 ? 'MachinesFailed' : 'WaitingForMachines',
          message: `${facts.readyReplicas} of ${facts.desiredReplicas} machines are running.${facts.failedMachines.length > 0 ? ` ${facts.failedMachines.join('; ')}` : ''}`,
        },
    nodesCondition(facts),
  ];
}
