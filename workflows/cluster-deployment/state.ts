/**
 * The ClusterDeployment entity's state and the pure derivation of its Kubernetes-style
 * status. The workflow mutates ClusterState; deriveStatus turns it into what users read.
 */
import type { Condition } from '../../crds/schemas/common';
import type { ClusterDeployment, ClusterDeploymentSpec, ClusterDeploymentStatus, MachineStatusSummary, PlatformName } from '../../crds/schemas/cluster-deployment';
import type { MachineRole } from '../../providers/types';
import type { PoolReport } from '../machine-deployment/definitions';
import { poolReportSettled } from '../machine-deployment/pool-report';

export { poolReportSettled };
import { memoOf, nextConditions, type EntityLifecycle } from '../entity/status';
import { runtimeConditions } from '../entity/conditions';
import type { OwnerReference } from '../entity/definitions';

export type Stage =
  | 'Pending'
  | 'Infrastructure'
  | 'ControlPlane'
  | 'Workers'
  | 'Provisioned'
  | 'CleaningUpAttempt'
  | 'ProvisionFailed'
  | 'Deprovisioning'
  | 'Deleted'
  | 'Abandoned';

export type MachineRecordPhase = 'Provisioning' | 'Running' | 'Deleting' | 'Failed';

export interface MachineRecord {
  readonly name: string;
  readonly role: MachineRole;
  readonly pool: string;
  readonly serial: number;
  readonly attempt: number;
  providerId?: string;
  phase: MachineRecordPhase;
  message?: string;
  since: string;
}

export interface InstallAttempt {
  attempt: number;
  startedAt: string;
  finishedAt?: string;
  outcome: 'InProgress' | 'Succeeded' | 'Failed' | 'Cancelled';
  message?: string;
}

export interface PoolRecord {
  readonly machineDeployment: string;
  readonly workflowId: string;
  /** The owned spec last sent to the MachineDeployment, as JSON, so it is sent only on change. */
  sentSpec: string;
  /** The template revision the pool should end up on. */
  revision: string;
  /** What the MachineDeployment last reported. */
  report?: PoolReport;
  /** Another MachineDeployment holds the pool's name: what to do about it. This cluster never touches it. */
  conflict?: string;
}

export interface ClusterState extends EntityLifecycle {
  object: ClusterDeployment;
  readonly infraId: string;
  stage: Stage;
  apiURL?: string;
  installedTimestamp?: string;
  attempts: InstallAttempt[];
  /** Orders machines by age, across the cluster. */
  nextSerial: number;
  /** Control-plane machines; workers belong to the pools' MachineDeployments. */
  machines: Record<string, MachineRecord>;
  /** The worker pools, each a MachineDeployment this cluster owns, by pool name. */
  pools: Record<string, PoolRecord>;
  /** Standalone MachineDeployments placed on this cluster, by workflow ID: deleted before the cluster. */
  members: Record<string, OwnerReference>;
}

export const DEFAULT_INSTALL_ATTEMPTS_LIMIT = 3;
export const DEFAULT_CONTROL_PLANE_REPLICAS = 3;
/**
 * The machine size a pool gets when its spec names none, per platform: each cloud's own size
 * names (the OpenShift installer's defaults where it has them); on bare metal and vSphere,
 * the host class or VM size class an inventory or template set is expected to define.
 */
export const DEFAULT_INSTANCE_TYPE: Readonly<Record<PlatformName, { readonly controlPlane: string; readonly worker: string }>> = {
  simulated: { controlPlane: 'm6i.xlarge', worker: 'm6i.large' },
  aws: { controlPlane: 'm6i.xlarge', worker: 'm6i.large' },
  azure: { controlPlane: 'Standard_D8s_v5', worker: 'Standard_D4s_v5' },
  gcp: { controlPlane: 'n2-standard-4', worker: 'n2-standard-4' },
  vsphere: { controlPlane: 'control-plane', worker: 'worker' },
  baremetal: { controlPlane: 'control-plane', worker: 'worker' },
};
export const DEFAULT_WORKER_POOL = 'worker';
export const DEFAULT_IMAGE = 'rhcos-4.16';

export interface PlatformTarget {
  readonly platform: PlatformName;
  readonly region: string;
  readonly credentialsSecretName?: string;
}

export function platformOf(spec: ClusterDeploymentSpec): PlatformTarget {
  const [platform, details] = Object.entries(spec.platform).find(([, value]) => value !== undefined) ?? [];
  if (!platform || !details) throw new Error('spec.platform names no platform; validation should have refused this object');
  return { platform: platform as PlatformName, region: details.region, credentialsSecretName: details.credentialsSecretRef?.name };
}

export function desiredWorkerPools(spec: ClusterDeploymentSpec): { name: string; replicas: number; instanceType: string }[] {
  return (spec.compute ?? []).map((pool) => ({
    name: pool.name,
    replicas: pool.replicas,
    instanceType: pool.platform?.instanceType ?? DEFAULT_INSTANCE_TYPE[platformOf(spec).platform].worker,
  }));
}

/** "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64" -> "4.16.3". */
export function versionFromReleaseImage(releaseImage: string | undefined): string | undefined {
  if (!releaseImage) return undefined;
  const tag = releaseImage.includes('@') ? undefined : releaseImage.split(':').at(-1);
  return tag?.match(/^v?(\d+\.\d+(?:\.\d+)?)/)?.[1] ?? tag;
}

const PROVISION_REASON: Record<Stage, { status: Condition['status']; reason: string; message: string }> = {
  Pending: { status: 'False', reason: 'Pending', message: 'Waiting to start provisioning.' },
  Infrastructure: { status: 'False', reason: 'Provisioning', message: 'Creating network, load balancer and API DNS record.' },
  ControlPlane: { status: 'False', reason: 'Provisioning', message: 'Creating control-plane machines.' },
  Workers: { status: 'False', reason: 'Provisioning', message: 'Creating worker machines.' },
  Provisioned: { status: 'True', reason: 'Provisioned', message: 'The cluster is installed.' },
  CleaningUpAttempt: { status: 'False', reason: 'CleaningUpFailedAttempt', message: 'An install attempt failed; removing what it made before the next one.' },
  ProvisionFailed: { status: 'False', reason: 'ProvisionFailed', message: 'Every install attempt failed. Read status.installAttempts, fix the cause, then delete and recreate the cluster.' },
  Deprovisioning: { status: 'False', reason: 'Deprovisioning', message: 'Deleting workers, control plane, then infrastructure.' },
  Deleted: { status: 'False', reason: 'Deprovisioned', message: 'Every cloud resource of this cluster is gone.' },
  Abandoned: { status: 'False', reason: 'DeprovisionAbandoned', message: 'Deletion finished without removing every cloud resource, because spec.preserveOnDelete was set; what was left is tagged with status.infraID.' },
};

function machineSummary(machine: MachineRecord): MachineStatusSummary {
  const ready = machine.phase === 'Running';
  return {
    name: machine.name,
    role: machine.role,
    pool: machine.pool,
    ...(machine.providerId ? { providerID: machine.providerId } : {}),
    phase: machine.phase,
    conditions: [
      {
        type: 'Ready',
        status: ready ? 'True' : 'False',
        reason: machine.phase,
        message: machine.message ?? (ready ? 'The machine is running.' : `The machine is ${machine.phase.toLowerCase()}.`),
        lastTransitionTime: machine.since,
      },
    ],
  };
}

/** As Cluster API counts: replicas are the machines that exist, deleting ones included. */
function poolCounts(name: string, machines: readonly MachineRecord[]) {
  const members = machines.filter((machine) => machine.pool === name);
  const ready = members.filter((machine) => machine.phase === 'Running').length;
  const updated = members.filter((machine) => machine.phase !== 'Deleting').length;
  return { name, replicas: members.length, readyReplicas: ready, availableReplicas: ready, updatedReplicas: updated };
}

function poolSettled(pool: ReturnType<typeof poolCounts>, desired: number): boolean {
  return pool.replicas === desired && pool.readyReplicas === desired;
}

function reportedCounts(name: string, report: PoolReport | undefined) {
  return {
    name,
    replicas: report?.replicas ?? 0,
    readyReplicas: report?.readyReplicas ?? 0,
    availableReplicas: report?.availableReplicas ?? 0,
    updatedReplicas: report?.updatedReplicas ?? 0,
  };
}

function reportedMachines(pool: string, report: PoolReport | undefined): MachineStatusSummary[] {
  return (report?.machines ?? []).map((machine) => ({
    name: machine.name,
    role: 'worker',
    pool,
    ...(machine.providerID ? { providerID: machine.providerID } : {}),
    phase: machine.phase,
    conditions: [
      {
        type: 'Ready',
        status: machine.ready ? 'True' : 'False',
        reason: machine.phase,
        message: machine.message ?? (machine.ready ? 'The machine runs and its node is Ready.' : `The machine is ${machine.phase}.`),
        lastTransitionTime: machine.since,
      },
    ],
  }));
}

export function deriveStatus(state: ClusterState, now: string): ClusterDeploymentStatus {
  const spec = state.object.spec;
  const previous = state.object.status?.conditions ?? [];
  const machines = Object.values(state.machines).sort((a, b) => a.serial - b.serial);
  const controlPlaneDesired = spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
  const controlPlane = poolCounts('master', machines);
  const desiredPools = desiredWorkerPools(spec);
  const workerPools = desiredPools.map((pool) => reportedCounts(pool.name, state.pools[pool.name]?.report));
  const generation = state.object.metadata.generation ?? 1;
  const provision = PROVISION_REASON[state.stage];
  const conflicts = Object.values(state.pools).flatMap((pool) => (pool.conflict ? [pool.conflict] : []));
  const workersReady = desiredPools.every((pool) => {
    const record = state.pools[pool.name];
    return record !== undefined && poolReportSettled(record.report, { replicas: pool.replicas, revision: record.revision });
  });
  const controlPlaneReady = poolSettled(controlPlane, controlPlaneDesired);
  const installed = state.installedTimestamp !== undefined && state.stage === 'Provisioned';

  const inputs = [
    {
      type: 'InfrastructureReady',
      status: state.apiURL ? 'True' : 'False',
      reason: state.apiURL ? 'InfrastructureCreated' : 'WaitingForInfrastructure',
      message: state.apiURL ? `API load balancer and DNS answer at ${state.apiURL}.` : 'Network, load balancer and API DNS record are not there yet.',
    },
    {
      type: 'ControlPlaneReady',
      status: controlPlaneReady ? 'True' : 'False',
      reason: controlPlaneReady ? 'AllMachinesRunning' : 'WaitingForMachines',
      message: `${controlPlane.readyReplicas} of ${controlPlaneDesired} control-plane machines are running.`,
    },
    {
      type: 'WorkersReady',
      status: workersReady ? 'True' : 'False',
      reason: conflicts.length > 0 ? 'PoolNameTaken' : workersReady ? 'AllMachinesRunning' : 'WaitingForMachines',
      message:
        conflicts.length > 0
          ? conflicts.join(' ')
          : workerPools.map((pool, index) => `${pool.name}: ${pool.readyReplicas} of ${desiredPools[index]?.replicas ?? 0} running`).join('; ') || 'No worker pools.',
    },
    ...runtimeConditions(state),
    { type: 'Provisioned', ...provision, message: state.lastError && !installed ? `${provision.message} Last error: ${state.lastError}` : provision.message },
    {
      type: 'Ready',
      status: installed && workersReady && controlPlaneReady && !state.deletionRequested ? 'True' : 'False',
      reason: state.deletionRequested ? 'Deleting' : installed ? (workersReady ? 'Ready' : 'ScalingWorkers') : provision.reason,
      message: state.deletionRequested
        ? 'The cluster is being deleted.'
        : installed
          ? workersReady
            ? 'The cluster is installed and every machine is running.'
            : 'The cluster is installed; worker pools are scaling.'
          : provision.message,
    },
  ] as const;
  const conditions = nextConditions(previous, inputs, generation, now);

  const platform = platformOf(spec);
  const version = versionFromReleaseImage(spec.provisioning?.releaseImage);
  return {
    observedGeneration: generation,
    infraID: state.infraId,
    platform: platform.platform,
    region: platform.region,
    ...(version ? { installVersion: version } : {}),
    ...(state.apiURL ? { apiURL: state.apiURL } : {}),
    ...(state.installedTimestamp ? { installedTimestamp: state.installedTimestamp } : {}),
    installRestarts: Math.max(0, state.attempts.length - 1),
    installAttempts: state.attempts.map((attempt) => ({ ...attempt })),
    provisionStatus: provision.reason,
    controlPlane,
    workerPools,
    machines: [...machines.map(machineSummary), ...Object.entries(state.pools).flatMap(([pool, record]) => reportedMachines(pool, record.report))],
    conditions,
  };
}

/**
 * What visibility keeps of the object, to rebuild the Redis projection if Redis is lost:
 * spec and a status summary. It changes only when the summary does, so it costs few
 * history events, and the next status change refreshes the projection in full.
 */
export function memoObject(object: ClusterDeployment): ClusterDeployment {
  return memoOf(object, ['observedGeneration', 'infraID', 'platform', 'region', 'installVersion', 'apiURL', 'installedTimestamp', 'provisionStatus']);
}
