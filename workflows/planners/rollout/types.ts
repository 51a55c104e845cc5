/**
 * The rollout planner's vocabulary: what the MachineDeployment entity workflow tells the
 * planner about the world, and the actions the planner answers with. The planner is a pure
 * function of these values (and of `now`, which the caller passes in); it does no I/O and
 * reads no clock.
 */

export type IntOrPercent = number | string;
export type RolloutStrategyType = 'RollingUpdate' | 'OnDelete';
export type DeletePolicy = 'Random' | 'Newest' | 'Oldest';

export interface RolloutSpec {
  readonly replicas: number;
  readonly strategy: {
    readonly type: RolloutStrategyType;
    readonly maxSurge?: IntOrPercent;
    readonly maxUnavailable?: IntOrPercent;
    readonly deletePolicy?: DeletePolicy;
  };
  readonly minReadySeconds: number;
  readonly paused: boolean;
  /** The template revision the spec asks for (a hash of the machine template). */
  readonly revision: string;
  /** Old MachineSets kept (scaled to zero) for undo; default 1. */
  readonly revisionHistoryLimit?: number;
}

/** One MachineSet: the machines of one template revision. */
export interface PlannedMachineSet {
  readonly name: string;
  readonly revision: string;
  /** The MachineSet's desired size (its spec.replicas), which the planner moves. */
  readonly replicas: number;
  /** Monotonic: a higher number is a newer MachineSet; `undo` targets an older one. */
  readonly revisionNumber: number;
}

export type PlannedMachineState =
  /** Created in the cloud (or being created), not yet Ready. */
  | 'Provisioning'
  /** Infrastructure running and node healthy. */
  | 'Ready'
  /** Was Ready and no longer is (node unhealthy, or the cloud reports a problem). */
  | 'NotReady'
  /** The cloud reported the machine failed; it will never become Ready. */
  | 'Failed'
  /** Deletion has started; it still counts towards the total until it is gone. */
  | 'Deleting';

export interface PlannedMachine {
  readonly name: string;
  readonly machineSet: string;
  /** Milliseconds since the epoch. Orders machines for the Newest/Oldest policies. */
  readonly createdAt: number;
  readonly state: PlannedMachineState;
  /** When the machine last became Ready (ms since the epoch); set only while state is Ready. */
  readonly readySince?: number;
  /** The slipway.dev/delete-machine annotation is set on it. */
  readonly deleteAnnotated?: boolean;
  /** Judged unhealthy by the health check (see health.ts). */
  readonly unhealthy?: boolean;
}

export interface RolloutInput {
  readonly spec: RolloutSpec;
  readonly machineSets: readonly PlannedMachineSet[];
  readonly machines: readonly PlannedMachine[];
  /** Milliseconds since the epoch; the planner's only notion of time. */
  readonly now: number;
}

export type RolloutAction =
  /**
   * Start a MachineSet for spec.revision. Its name is the revision itself (unique within one
   * MachineDeployment), so later actions of the same plan can refer to it; the applier gives
   * it the next revisionNumber.
   */
  | { readonly type: 'createMachineSet'; readonly machineSet: string; readonly revision: string; readonly replicas: number; readonly reason: string }
  | { readonly type: 'scaleMachineSet'; readonly machineSet: string; readonly replicas: number; readonly reason: string }
  /** Create one machine in this MachineSet; the applier names it. */
  | { readonly type: 'createMachine'; readonly machineSet: string; readonly reason: string }
  | { readonly type: 'deleteMachine'; readonly machine: string; readonly reason: string }
  /** Remove an empty old MachineSet beyond revisionHistoryLimit. */
  | { readonly type: 'deleteMachineSet'; readonly machineSet: string; readonly reason: string };

export interface RolloutCounts {
  /** Machines that exist (including ones being deleted). */
  readonly replicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  /** Machines of spec.revision that are not being deleted. */
  readonly updatedReplicas: number;
  /** max(0, spec.replicas - availableReplicas), as Cluster API reports it. */
  readonly unavailableReplicas: number;
}

export interface RolloutPlan {
  readonly actions: readonly RolloutAction[];
  readonly counts: RolloutCounts;
  /** True when every machine is of spec.revision, available, and there are exactly spec.replicas. */
  readonly complete: boolean;
  /** When there are no actions and the rollout is not complete: what it waits for, for a person. */
  readonly waitingFor?: string;
  /** Earliest `now` at which the plan could change without any outside event (minReadySeconds expiring). */
  readonly recheckAt?: number;
}
