/**
 * What entity workflows ask of the cloud and the projection, whatever their kind. Inputs
 * carry references (platform, region, credentials secret name), never a credential.
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
  readonly workflowId: string;
  /**
   * The uid of the object the machine belongs to: with machineName and attempt, the source of
   * the cloud idempotency token, so a same-name object created later gets fresh tokens.
   */
  readonly uid?: string;
  readonly machineName: string;
  readonly attempt: number;
}

export interface CreateMachineInput extends MachineIdentity {
  readonly managementId: string;
  readonly role: MachineRole;
  readonly pool: string;
  readonly instanceType: string;
  readonly image: string;
  /**
   * The owner marker (planners/names.ts ownerMarker) of a standalone MachineDeployment, tagged
   * slipway.dev/owner on its machines, so its cluster's teardown and sweeps leave them to it.
   */
  readonly owner?: string;
  /**
   * A hosted cluster's NodePool machine: it registers a Node in this cluster's API server. The
   * activity resolves the join credentials from the secret store; the workflow carries this reference only.
   */
  readonly hostedCluster?: { readonly namespace: string; readonly name: string; readonly uid: string };
}

export interface MachineResult {
  readonly providerId: string;
  readonly phase: MachinePhase;
}

export interface MachineActivities {
  createMachine(input: CreateMachineInput): Promise<MachineResult>;
  /** Heartbeats while it polls; fails non-retryably with type MachineFailed if the machine fails. */
  awaitMachineRunning(input: MachineIdentity): Promise<MachineResult>;
  /** Deletes the machine and waits until the cloud reports it gone. Missing is fine. */
  deleteMachine(input: MachineIdentity): Promise<void>;
}

export interface ProjectionActivities {
  projectObject(input: { readonly kind: string; readonly object: unknown; readonly deleted: boolean }): Promise<void>;
}

export const MACHINE_FAILED = 'MachineFailed';
