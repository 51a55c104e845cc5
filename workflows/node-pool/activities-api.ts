/**
 * What a NodePool's autoscaler reads from its hosted API server, beyond the Nodes
 * (control-plane-api.ts listHostedNodes). Implemented by the worker with the cluster's admin
 * kubeconfig, which never leaves the activity.
 */
import type { MachineIdentity } from '../entity/activities-api';
import type { HostedClusterRef } from '../hosted-cluster/control-plane-api';
import type { Resources } from '../planners/hosted/autoscaling';

export interface AutoscalingObservation {
  /** What one Node of the pool offers to Pods (its allocatable CPU in millicores and memory in bytes). */
  readonly nodeAllocatable: Resources;
  /** Pods the scheduler found no Node for (PodScheduled=False, reason Unschedulable), with when (ISO 8601). */
  readonly pendingPods: readonly { readonly name: string; readonly requests: Resources; readonly pendingSince: string }[];
  /** The pool's Nodes, each with whether any Pod other than DaemonSet and mirror Pods runs on it. */
  readonly nodes: readonly { readonly name: string; readonly machineName?: string; readonly empty: boolean }[];
}

/**
 * InPlace upgrades: changes the version a machine runs without replacing it, and returns once
 * it runs it. Only providers whose machines can do that implement it (the simulated one, by
 * validation); idempotent, so a retry of a machine already at the version does nothing.
 */
export interface InPlaceActivities {
  updateMachineInPlace(input: MachineIdentity & { readonly version: string; readonly releaseImage: string }): Promise<void>;
}

export interface AutoscalingActivities {
  readAutoscalingInput(input: { readonly ref: HostedClusterRef; readonly nodePool: string }): Promise<AutoscalingObservation>;
}
