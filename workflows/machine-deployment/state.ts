/**
 * The MachineDeployment entity's state, how it reads to the planners, and the pure
 * derivation of its Kubernetes-style status.
 */
import type { Condition } from '../../crds/schemas/common';
import type { MachineDeployment, MachineDeploymentStatus } from '../../crds/schemas/machine-deployment';
import type { MachineTemplateSpec } from '../../crds/schemas/machine';
import type { NodeReport } from '../../providers/types';
import { setCondition } from '../planners/conditions';
import type { PlannedMachine, PlannedMachineSet, RolloutCounts, RolloutSpec } from '../planners/rollout/types';
import type { PoolReport, PoolReporting } from './definitions';
import { poolReportSettled } from './pool-report';
import { runtimeConditions, type CredentialsState } from '../entity/conditions';

export interface MachineSetRecord {
  readonly name: string;
  readonly revision: string;
  readonly revisionNumber: number;
  replicas: number;
  readonly template: MachineTemplateSpec;
}

export interface MachineRecord {
  readonly name: string;
  readonly machineSet: string;
  /** Workflow time (ms) when the machine was asked for. */
  readonly createdAt: number;
  providerId?: string;
  /** The cloud has reported this machine at least once; if it then vanishes, someone deleted it. */
  seenInCloud: boolean;
  cloudPhase?: 'pending' | 'running' | 'stopping' | 'terminated' | 'failed';
  node?: NodeReport | null;
  readySince?: number;
  wasReady: boolean;
  deleting: boolean;
  /** Can never become Ready: the cloud failed it, or its create was refused. */
  failed: boolean;
  message?: string;
  annotations: Record<string, string>;
  /** Being replaced by the health check. */
  remediating: boolean;
  /** ISO time of the last phase change, for conditions. */
  since: string;
}

export interface MachineDeploymentState {
  object: MachineDeployment;
  machineSets: Record<string, MachineSetRecord>;
  machines: Record<string, MachineRecord>;
  nextMachineIndex: number;
  nextRevisionNumber: number;
  /** The last observation's fingerprints by machine name: what the cloud observer last reported. */
  lastObservation: Record<string, string>;
  /** Consecutive failed creates, for backing off before the next replacement. */
  createFailures: number;
  deletionRequested: boolean;
  deleted: boolean;
  /** The deletion has reached the list projection: GET answers 404 only from then on, so it never runs ahead of LIST. */
  removalListed?: boolean;
  /** Remediation was refused (too many unhealthy): the reason, for a condition. */
  remediationBlocked?: { reason: string; message: string };
  credentials?: CredentialsState;
  /** A standalone MachineDeployment has told its cluster it runs there. */
  joined?: boolean;
  /** The owner abandoned deletion (preserveOnDelete): the machines left are kept. */
  preserveResources?: boolean;
  /** The subscription the cloud observer holds for this entity, as JSON: sent again only when it changes. */
  subscribedAs?: string;
}

export const DELETE_MACHINE_ANNOTATION = 'slipway.dev/delete-machine';
export const SKIP_REMEDIATION_ANNOTATION = 'slipway.dev/skip-remediation';

export type MachinePhaseName = 'Provisioning' | 'Running' | 'NotReady' | 'Failed' | 'Deleting';

/** True when the node (if the provider reports nodes) says Ready. */
export function nodeReady(node: NodeReport | null | undefined): boolean {
  if (node === undefined) return true;
  if (node === null) return false;
  return node.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

export function machineReady(machine: MachineRecord): boolean {
  return !machine.deleting && !machine.failed && machine.cloudPhase === 'running' && nodeReady(machine.node);
}

export function machinePhase(machine: MachineRecord): MachinePhaseName {
  if (machine.deleting) return 'Deleting';
  if (machine.failed) return 'Failed';
  if (machineReady(machine)) return 'Running';
  return machine.wasReady ? 'NotReady' : 'Provisioning';
}

export function rolloutSpecOf(object: MachineDeployment, revision: string): RolloutSpec {
  const { spec } = object;
  const rolling = spec.strategy.rollingUpdate;
  return {
    replicas: spec.replicas,
    strategy: {
      type: spec.strategy.type,
      ...(rolling?.maxSurge !== undefined ? { maxSurge: rolling.maxSurge } : {}),
      ...(rolling?.maxUnavailable !== undefined ? { maxUnavailable: rolling.maxUnavailable } : {}),
      ...(rolling?.deletePolicy !== undefined ? { deletePolicy: rolling.deletePolicy } : {}),
    },
    minReadySeconds: spec.minReadySeconds,
    paused: spec.paused,
    revision,
    revisionHistoryLimit: spec.revisionHistoryLimit,
  };
}

export function plannedMachineSets(state: MachineDeploymentState): PlannedMachineSet[] {
  return Object.values(state.machineSets).map(({ name, revision, revisionNumber, replicas }) => ({ name, revision, revisionNumber, replicas }));
}

export function plannedMachines(state: MachineDeploymentState): PlannedMachine[] {
  return Object.values(state.machines).map((machine) => {
    const phase = machinePhase(machine);
    const planned: PlannedMachine = {
      name: machine.name,
      machineSet: machine.machineSet,
      createdAt: machine.createdAt,
      state: phase === 'Running' ? 'Ready' : phase,
      ...(phase === 'Running' && machine.readySince !== undefined ? { readySince: machine.readySince } : {}),
      ...(machine.annotations[DELETE_MACHINE_ANNOTATION] !== undefined ? { deleteAnnotated: true } : {}),
      ...(machine.remediating || machine.failed ? { unhealthy: true } : {}),
    };
    return planned;
  });
}

function machineCondition(machine: MachineRecord): Condition {
  const phase = machinePhase(machine);
  const ready = phase === 'Running';
  const messages: Record<MachinePhaseName, string> = {
    Provisioning: machine.cloudPhase === 'running' ? 'The machine runs; waiting for its node to report Ready.' : 'The cloud is booting the machine.',
    Running: 'The machine runs and its node is Ready.',
    NotReady: 'The machine was Ready and its node no longer is.',
    Failed: 'The machine can never become Ready; it will be replaced.',
    Deleting: 'The machine is being deleted.',
  };
  return { type: 'Ready', status: ready ? 'True' : 'False', reason: phase, message: machine.message ?? messages[phase], lastTransitionTime: machine.since };
}

export function deriveStatus(state: MachineDeploymentState, counts: RolloutCounts, revision: string, now: string): MachineDeploymentStatus {
  const { spec } = state.object;
  const generation = state.object.metadata.generation ?? 1;
  const machines = Object.values(state.machines).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  const current = state.machineSets[revision];
  const rollingOut = counts.updatedReplicas < spec.replicas || counts.replicas !== spec.replicas;
  const complete = !rollingOut && counts.availableReplicas === spec.replicas && counts.readyReplicas === spec.replicas;
  const inputs: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>[] = [
    ...runtimeConditions(state),
    {
      type: 'Available',
      status: counts.availableReplicas >= spec.replicas ? 'True' : 'False',
      reason: counts.availableReplicas >= spec.replicas ? 'MinimumReplicasAvailable' : 'WaitingForAvailableMachines',
      message: `${counts.availableReplicas} of ${spec.replicas} machines are available.`,
    },
    {
      type: 'RollingOut',
      status: rollingOut ? 'True' : 'False',
      reason: rollingOut ? (spec.paused ? 'Paused' : 'RollingOut') : 'NotRollingOut',
      message: rollingOut ? `${counts.updatedReplicas} of ${spec.replicas} machines are of revision ${revision}.` : `Every machine is of revision ${revision}.`,
    },
    {
      type: 'Paused',
      status: spec.paused ? 'True' : 'False',
      reason: spec.paused ? 'Paused' : 'NotPaused',
      message: spec.paused ? 'Template changes do not roll out until spec.paused is false (slipway rollout resume).' : 'Changes roll out as they arrive.',
    },
    ...(spec.healthCheck
      ? [
          {
            type: 'RemediationAllowed',
            status: state.remediationBlocked ? ('False' as const) : ('True' as const),
            reason: state.remediationBlocked?.reason ?? 'RemediationAllowed',
            message: state.remediationBlocked?.message ?? 'Unhealthy machines are replaced as they are found.',
          },
        ]
      : []),
    {
      type: 'Ready',
      status: complete && !state.deletionRequested ? 'True' : 'False',
      reason: state.deletionRequested ? 'Deleting' : complete ? 'Ready' : spec.paused ? 'Paused' : 'RollingOut',
      message: state.deletionRequested
        ? 'The MachineDeployment is being deleted.'
        : complete
          ? `All ${spec.replicas} machines are of revision ${revision} and available.`
          : `${counts.availableReplicas} of ${spec.replicas} machines available, ${counts.updatedReplicas} updated, ${counts.replicas} in total.`,
    },
  ];
  const conditions = inputs.reduce<Condition[]>((list, input) => setCondition(list, { ...input, observedGeneration: generation }, now), [...(state.object.status?.conditions ?? [])]);
  const phase = state.deletionRequested || counts.replicas > spec.replicas ? 'ScalingDown' : counts.replicas < spec.replicas ? 'ScalingUp' : 'Running';
  return {
    observedGeneration: generation,
    selector: Object.entries(spec.selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`).join(','),
    replicas: counts.replicas,
    readyReplicas: counts.readyReplicas,
    availableReplicas: counts.availableReplicas,
    updatedReplicas: counts.updatedReplicas,
    unavailableReplicas: counts.unavailableReplicas,
    phase,
    revision,
    ...(current ? { revisionNumber: current.revisionNumber } : {}),
    machineSets: Object.values(state.machineSets)
      .sort((a, b) => b.revisionNumber - a.revisionNumber)
      .map((set) => {
        const members = machines.filter((machine) => machine.machineSet === set.name);
        const ready = members.filter(machineReady);
        const availableCount = ready.filter((machine) => machine.readySince !== undefined && Date.parse(now) - machine.readySince >= spec.minReadySeconds * 1000).length;
        return { name: `${state.object.metadata.name}-${set.name}`, revision: set.revision, revisionNumber: set.revisionNumber, replicas: set.replicas, readyReplicas: ready.length, availableReplicas: availableCount };
      }),
    machines: machines.map((machine) => ({
      name: machine.name,
      machineSet: `${state.object.metadata.name}-${machine.machineSet}`,
      ...(machine.providerId ? { providerID: machine.providerId } : {}),
      phase: machinePhase(machine),
      conditions: [machineCondition(machine)],
    })),
    conditions,
  };
}

/** What visibility keeps of the object (to rebuild the projection): spec and a few counts. */
export function memoObject(object: MachineDeployment): MachineDeployment {
  const { status, ...withoutStatus } = object;
  return {
    ...withoutStatus,
    status: {
      ...(status?.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
      ...(status?.replicas !== undefined ? { replicas: status.replicas } : {}),
      ...(status?.availableReplicas !== undefined ? { availableReplicas: status.availableReplicas } : {}),
      ...(status?.updatedReplicas !== undefined ? { updatedReplicas: status.updatedReplicas } : {}),
      ...(status?.phase !== undefined ? { phase: status.phase } : {}),
    },
  };
}

/**
 * What decides whether the owner hears of a change. Each report is a signal, a workflow task on
 * both sides, so not every change is one:
 * - 'every-change': counts, revision and each machine's readiness and message, not a machine's
 *   passing phase (the owner's view of a phase may lag until the machine is ready);
 * - 'readiness': what the owner acts on and what needs a person: the desired revision and
 *   replicas, whether the pool has settled on them, which machines are ready, and any machine's
 *   message. Machines appearing, and counts moving on the way, are left to the next report.
 */
export function poolReportKey(report: PoolReport, reporting: PoolReporting = 'every-change'): string {
  if (reporting === 'every-change') return JSON.stringify({ ...report, machines: report.machines.map(({ name, ready, message }) => ({ name, ready, message })) });
  return readinessKey({
    revision: report.revision,
    desiredReplicas: report.desiredReplicas,
    deleted: report.deleted,
    settled: poolReportSettled(report, { replicas: report.desiredReplicas, revision: report.revision }),
    readyReplicas: report.readyReplicas,
    availableReplicas: report.availableReplicas,
    machines: report.machines.filter((machine) => machine.ready || machine.message !== undefined).map(({ name, ready, message }) => ({ name, ready, message })),
  });
}

interface ReadinessKey {
  readonly revision: string;
  readonly desiredReplicas: number;
  readonly deleted: boolean;
  readonly settled: boolean;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly machines: readonly { readonly name: string; readonly ready: boolean; readonly message?: string }[];
}

/** In a fixed order, so that keys built from a report and from a spec compare equal field for field. */
const readinessKey = (key: ReadinessKey) => JSON.stringify([key.revision, key.desiredReplicas, key.deleted, key.settled, key.readyReplicas, key.availableReplicas, key.machines]);

/**
 * The report an owner that reports on readiness has in mind before the first one arrives: the
 * pool as asked for, not settled, nothing ready. A pool starts from it, so it does not report
 * its machines merely being made; a pool of no replicas is settled at once and says so.
 */
export function unreportedPoolKey(object: MachineDeployment, revision: string): string {
  return readinessKey({ revision, desiredReplicas: object.spec.replicas, deleted: false, settled: false, readyReplicas: 0, availableReplicas: 0, machines: [] });
}

/** What a pool's MachineDeployment tells its owning cluster: counts, revision and machines. */
export function poolReportOf(state: MachineDeploymentState, pool: string, revision: string): PoolReport {
  const { object } = state;
  const status = object.status ?? {};
  return {
    pool,
    machineDeployment: object.metadata.name,
    observedGeneration: status.observedGeneration ?? 0,
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    revision,
    desiredReplicas: object.spec.replicas,
    deleted: state.deleted,
    machines: Object.values(state.machines).map((machine) => ({
      name: machine.name,
      ...(machine.providerId ? { providerID: machine.providerId } : {}),
      phase: machinePhase(machine),
      ready: machineReady(machine),
      ...(machine.message ? { message: machine.message } : {}),
      since: machine.since,
    })),
  };
}
