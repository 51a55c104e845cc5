/**
 * The NodePool entity's state and the derivation of its status: counts from its
 * MachineDeployment's reports, Node health from the hosted API server, conditions through the
 * pure rules in planners/hosted.
 */
import type { NodePool, NodePoolMachine, NodePoolStatus } from '../../crds/schemas/node-pool';
import { runtimeConditions } from '../entity/conditions';
import type { HostedNode } from '../hosted-cluster/control-plane-api';
import type { PoolReport } from '../machine-deployment/definitions';
import { poolReportSettled } from '../machine-deployment/pool-report';
import { memoOf, nextConditions, type EntityLifecycle } from '../entity/status';
import { nodePoolConditions, type NodeHealthFact } from '../planners/hosted/node-pool-conditions';
import { readReleaseImage } from '../planners/hosted/release';

export interface MachineDeploymentRecord {
  readonly name: string;
  readonly workflowId: string;
  /** The owned spec last sent, as JSON, so it is sent only on change. */
  sentSpec: string;
  /** The template revision the machines should end up on. */
  revision: string;
  /** Another MachineDeployment holds the name: what to do about it. This NodePool never touches it. */
  conflict?: string;
}

export interface NodePoolState extends EntityLifecycle {
  object: NodePool;
  machineDeployment?: MachineDeploymentRecord;
  report?: PoolReport;
  /** The pool's Nodes as last read; absent until read. */
  nodes?: HostedNode[];
  /** Why the Nodes could not be read the last time; absent when they could. */
  nodesError?: string;
  /** When each Node was first seen not Ready (ms), for autorepair's timeouts. */
  notReadySince: Record<string, number>;
  /** When each machine was first reported (ms), for the Node startup timeout. */
  firstSeen: Record<string, number>;
  /** When each Node was first seen running no Pod (ms), for scale-down. */
  emptySince: Record<string, number>;
  /** The autoscaler's last decision; absent without spec.autoScaling. */
  autoscaled?: { replicas: number; reason: string };
  /** The template the machines last fully rolled out to: its version, and the rest as JSON. */
  rolledOut?: { version?: string; config: string };
  joined?: boolean;
  /** An InPlace pool's machines: the version each runs, and those being updated now. */
  inPlace?: { versions: Record<string, string>; updating: string[] };
}

/** The machines the pool should have: spec.replicas, or the autoscaler's choice within [min, max]. */
export function desiredReplicas(state: NodePoolState): number {
  const { spec } = state.object;
  if (spec.replicas !== undefined) return spec.replicas;
  if (!spec.autoScaling) return 0;
  const { min, max } = spec.autoScaling;
  return Math.min(max, Math.max(min, state.autoscaled?.replicas ?? min));
}

/** The template apart from its version: a change of it is a configuration change. */
export function configOf(template: { readonly spec: { readonly version?: string } }): string {
  const { version: _version, ...rest } = template.spec;
  return JSON.stringify(rest);
}

/**
 * Whether the machines of a pool on this platform register Nodes Slipway can read: only on the
 * Simulated platform does the cloud act as the machines' kubelet (providers/simulated/kubelet.ts).
 * Elsewhere no Node ever registers, so none is waited for, read, repaired by or cleaned up: the
 * pool is judged by its machines' running state.
 */
export function reportsNodes(platformType: NodePool['spec']['platform']['type']): boolean {
  return platformType === 'Simulated';
}

/** The Node of a machine: by its slipway.dev/machine label, else by name. */
export function nodeOfMachine(nodes: readonly HostedNode[] | undefined, machine: string): HostedNode | undefined {
  return nodes?.find((node) => node.machineName === machine) ?? nodes?.find((node) => node.name === machine);
}

function nodeHealth(state: NodePoolState): NodeHealthFact | string | undefined {
  if (state.nodesError !== undefined) return state.nodesError;
  if (state.nodes === undefined) return undefined;
  const running = (state.report?.machines ?? []).filter((machine) => machine.ready && machine.phase !== 'Deleting');
  const unhealthy = running.flatMap((machine) => {
    const node = nodeOfMachine(state.nodes, machine.name);
    if (!node) return [`machine ${machine.name} has no Node yet`];
    return node.ready === 'True' ? [] : [`Node ${node.name} is ${node.ready === 'False' ? 'not Ready' : 'Unknown'}${node.reason ? ` (${node.reason})` : ''}`];
  });
  return { healthy: running.length - unhealthy.length, expected: running.length, unhealthy };
}

function machinesOf(state: NodePoolState): NodePoolMachine[] {
  return (state.report?.machines ?? []).map((machine) => {
    const node = nodeOfMachine(state.nodes, machine.name);
    return {
      name: machine.name,
      ...(machine.providerID ? { providerID: machine.providerID } : {}),
      phase: machine.phase,
      ready: machine.ready,
      ...(machine.message ? { message: machine.message } : {}),
      ...(node ? { node: { name: node.name, ready: node.ready, ...(node.reason ? { reason: node.reason } : {}), ...(node.lastHeartbeat ? { lastHeartbeat: node.lastHeartbeat } : {}) } } : {}),
    };
  });
}

/** Why the pool cannot act at all, if it cannot. */
function blockedBy(state: NodePoolState): { reason: string; message: string } | undefined {
  const release = readReleaseImage(state.object.spec.release.image);
  if (!release.ok) return { reason: 'InvalidReleaseImage', message: release.message };
  if (state.machineDeployment?.conflict) return { reason: 'MachineDeploymentNameTaken', message: state.machineDeployment.conflict };
  return undefined;
}

export function deriveNodePoolStatus(state: NodePoolState, currentConfig: string | undefined, now: string): NodePoolStatus {
  const { spec } = state.object;
  const generation = state.object.metadata.generation ?? 1;
  const desired = desiredReplicas(state);
  const report = state.report;
  const release = readReleaseImage(spec.release.image);
  const record = state.machineDeployment;
  const rolledOut = record !== undefined && poolReportSettled(report, { replicas: desired, revision: record.revision });
  const blocked = blockedBy(state);
  const drafts = [
    ...nodePoolConditions({
      desiredReplicas: desired,
      replicas: report?.replicas ?? 0,
      readyReplicas: report?.readyReplicas ?? 0,
      updatedReplicas: report?.updatedReplicas ?? 0,
      rolledOut,
      ...(release.ok ? { desiredVersion: release.version } : {}),
      ...(state.rolledOut?.version ? { currentVersion: state.rolledOut.version } : {}),
      configChanging: state.rolledOut !== undefined && currentConfig !== undefined && currentConfig !== state.rolledOut.config,
      ...(spec.autoScaling ? { autoScaling: spec.autoScaling } : {}),
      autoRepair: spec.management.autoRepair,
      ...(() => {
        if (!reportsNodes(spec.platform.type)) return { nodesNotReported: spec.platform.type };
        const nodes = nodeHealth(state);
        return nodes === undefined ? {} : { nodes };
      })(),
      failedMachines: (report?.machines ?? []).filter((machine) => machine.phase === 'Failed').map((machine) => `${machine.name}: ${machine.message ?? 'failed'}`),
      ...(blocked ? { blocked } : {}),
      deleting: state.deletionRequested,
    }),
    ...runtimeConditions(state, 'Fix the cause above if it needs a person (credentials, permissions); the deletion goes on by itself.'),
  ];
  const withAutoscaling = drafts.map((draft) =>
    draft.type === 'AutoscalingEnabled' && draft.status === 'True' && state.autoscaled ? { ...draft, message: `${draft.message} ${state.autoscaled.reason}` } : draft,
  );
  const withError = withAutoscaling.map((draft) => (draft.type === 'Ready' && draft.status === 'False' && state.lastError ? { ...draft, message: `${draft.message} Last error: ${state.lastError}` } : draft));
  const conditions = nextConditions(state.object.status?.conditions, withError, generation, now);
  return {
    observedGeneration: generation,
    replicas: report?.replicas ?? 0,
    readyReplicas: report?.readyReplicas ?? 0,
    availableReplicas: report?.availableReplicas ?? 0,
    updatedReplicas: report?.updatedReplicas ?? 0,
    ...(state.rolledOut?.version ? { version: state.rolledOut.version } : {}),
    machines: machinesOf(state),
    conditions,
  };
}

/** What visibility keeps, to rebuild the projection if Redis is lost. */
export function memoObject(object: NodePool): NodePool {
  return memoOf(object, ['observedGeneration', 'replicas', 'version']);
}
