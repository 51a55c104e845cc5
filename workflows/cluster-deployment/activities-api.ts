/**
 * What the ClusterDeployment workflow asks of its activities. Inputs carry references
 * (platform, region, credentials secret name), never a credential.
 */
import type { MachinePhase, MachineRole } from '../../providers/types';
import type { PlatformName } from '../../crds/schemas/cluster-deployment';

export interface ProviderTarget {
  readonly platform: PlatformName;
  readonly region: string;
  /** Resolved inside the activity from the secret store; absent means the worker's default profile. */
  readonly credentialsRef?: { readonly namespace: string; readonly name: string };
}

export interface MachineIdentity {
  readonly target: ProviderTarget;
  readonly infraId: string;
  /** Together with machineName and attempt, the source of the cloud idempotency token. */
  readonly workflowId: string;
  readonly machineName: string;
  readonly attempt: number;
}

export interface CreateMachineInput extends MachineIdentity {
  readonly managementId: string;
  readonly role: MachineRole;
  readonly pool: string;
  readonly instanceType: string;
  readonly image: string;
}

export interface MachineResult {
  readonly providerId: string;
  readonly phase: MachinePhase;
}

export interface ClusterActivities {
  ensureClusterInfra(input: {
    readonly target: ProviderTarget;
    readonly infraId: string;
    readonly clusterName: string;
    readonly baseDomain: string;
    readonly managementId: string;
  }): Promise<{ readonly apiURL: string }>;
  createMachine(input: CreateMachineInput): Promise<MachineResult>;
  /** Heartbeats while it polls; fails non-retryably with type MachineFailed if the machine fails. */
  awaitMachineRunning(input: MachineIdentity): Promise<MachineResult>;
  /** Deletes the machine and waits until the cloud reports it gone. Missing is fine. */
  deleteMachine(input: MachineIdentity): Promise<void>;
  deleteClusterInfra(input: { readonly target: ProviderTarget; readonly infraId: string }): Promise<void>;
  /** Deletes anything still tagged with this infra ID and management ID; returns how many it found. */
  sweepCluster(input: { readonly target: ProviderTarget; readonly infraId: string; readonly managementId: string }): Promise<{ readonly deleted: number }>;
}

export interface ProjectionActivities {
  projectObject(input: { readonly kind: string; readonly object: unknown; readonly deleted: boolean }): Promise<void>;
}

export const MACHINE_FAILED = 'MachineFailed';
