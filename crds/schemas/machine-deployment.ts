import { Type, type Static } from '@sinclair/typebox';
import { Conditions, ConditionStatus, DateTime, ClusterReference, IntOrPercent, LabelSelector, kubeObject, type KubeObject } from './common';
import { MachineTemplateSpec } from './machine';
import { DeletePolicySchema } from './machine-set';

/**
 * MachineDeployment, after Cluster API's cluster.x-k8s.io/v1beta1 MachineDeployment (the
 * v1beta1 field layout; v1beta2 manifests are converted into it by crds/upstream).
 */

export const ROLLOUT_STRATEGIES = ['RollingUpdate', 'OnDelete'] as const;
export type RolloutStrategyType = (typeof ROLLOUT_STRATEGIES)[number];

export const MachineRollingUpdate = Type.Object(
  {
    maxSurge: IntOrPercent({ default: 1, description: 'Machines that may exist above replicas during a rollout: a count or a percentage of replicas (rounded up).' }),
    maxUnavailable: IntOrPercent({ default: 0, description: 'Machines that may be unavailable during a rollout: a count or a percentage of replicas (rounded down).' }),
    deletePolicy: DeletePolicySchema,
  },
  { additionalProperties: false, default: {} },
);
export type MachineRollingUpdate = Static<typeof MachineRollingUpdate>;

export const MachineDeploymentStrategy = Type.Object(
  {
    type: Type.Union(ROLLOUT_STRATEGIES.map((strategy) => Type.Literal(strategy)), {
      default: 'RollingUpdate',
      description: 'RollingUpdate replaces machines under maxSurge/maxUnavailable; OnDelete replaces a machine only when it is deleted.',
    }),
    rollingUpdate: Type.Optional(MachineRollingUpdate),
  },
  { additionalProperties: false, default: {} },
);
export type MachineDeploymentStrategy = Static<typeof MachineDeploymentStrategy>;

/**
 * Machine health checking with Cluster API's MachineHealthCheck semantics, attached to the
 * MachineDeployment it watches (as Cluster API's ClusterClass topology does) rather than
 * matched by a separate selector object.
 */
export const UnhealthyCondition = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 316, description: 'A node condition type, e.g. Ready.' }),
    status: ConditionStatus,
    timeoutSeconds: Type.Integer({ minimum: 0, maximum: 86_400, description: 'How long the node must be in this condition before the machine counts as unhealthy.' }),
  },
  { additionalProperties: false },
);

export const MachineHealthCheckSpec = Type.Object(
  {
    unhealthyConditions: Type.Array(UnhealthyCondition, {
      maxItems: 16,
      default: [
        { type: 'Ready', status: 'Unknown', timeoutSeconds: 300 },
        { type: 'Ready', status: 'False', timeoutSeconds: 300 },
      ],
    }),
    nodeStartupTimeoutSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 600, description: 'A machine whose node has not joined this long after creation is unhealthy; 0 disables the check.' }),
    maxUnhealthy: Type.Optional(IntOrPercent({ description: 'Remediation stops while more machines than this are unhealthy: a count or a percentage.' })),
    unhealthyRange: Type.Optional(Type.String({ pattern: '^\\[[0-9]+-[0-9]+\\]$', description: 'Remediation runs only while the number of unhealthy machines is in this range, e.g. "[1-3]". Overrides maxUnhealthy.' })),
    maxInFlight: Type.Optional(IntOrPercent({ description: 'At most this many machines are remediated at once: a count or a percentage.' })),
    checkIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3_600, default: 30, description: 'How often the cloud and the nodes are looked at.' }),
  },
  { additionalProperties: false },
);
export type MachineHealthCheckSpec = Static<typeof MachineHealthCheckSpec>;

export const MachineDeploymentSpec = Type.Object(
  {
    clusterName: ClusterReference,
    replicas: Type.Integer({ minimum: 0, maximum: 1000, default: 1 }),
    /** Optional here: when absent, Slipway selects on the slipway.dev/machine-deployment label it stamps on the template. */
    selector: Type.Optional(LabelSelector),
    template: MachineTemplateSpec,
    strategy: MachineDeploymentStrategy,
    minReadySeconds: Type.Integer({ minimum: 0, default: 0, description: 'Seconds a new machine must be ready before it counts as available.' }),
    revisionHistoryLimit: Type.Integer({ minimum: 0, default: 1, description: 'Old MachineSets kept (scaled to zero) for rollback.' }),
    paused: Type.Boolean({ default: false, description: 'While true, template changes do not roll out.' }),
    rolloutAfter: Type.Optional(DateTime('Roll out all machines again after this time, even without a template change.')),
    healthCheck: Type.Optional(MachineHealthCheckSpec),
  },
  { additionalProperties: false },
);
export type MachineDeploymentSpec = Static<typeof MachineDeploymentSpec>;

export const MACHINE_DEPLOYMENT_PHASES = ['ScalingUp', 'ScalingDown', 'Running', 'Failed', 'Unknown'] as const;

export const MachineSetSummary = Type.Object(
  {
    name: Type.String(),
    revision: Type.String(),
    revisionNumber: Type.Integer({ minimum: 0 }),
    replicas: Type.Integer({ minimum: 0 }),
    readyReplicas: Type.Integer({ minimum: 0 }),
    availableReplicas: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type MachineSetSummary = Static<typeof MachineSetSummary>;

export const OwnedMachineSummary = Type.Object(
  {
    name: Type.String(),
    machineSet: Type.String(),
    providerID: Type.Optional(Type.String()),
    phase: Type.String(),
    conditions: Conditions,
  },
  { additionalProperties: false },
);
export type OwnedMachineSummary = Static<typeof OwnedMachineSummary>;

export const MachineDeploymentStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    /** The selector in label-query form, for the scale subresource. */
    selector: Type.Optional(Type.String()),
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    unavailableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    phase: Type.Optional(Type.Union(MACHINE_DEPLOYMENT_PHASES.map((phase) => Type.Literal(phase)))),
    /** The template revision the spec asks for, and the revision number its MachineSet has. */
    revision: Type.Optional(Type.String()),
    revisionNumber: Type.Optional(Type.Integer({ minimum: 0 })),
    machineSets: Type.Optional(Type.Array(MachineSetSummary)),
    machines: Type.Optional(Type.Array(OwnedMachineSummary)),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type MachineDeploymentStatus = Static<typeof MachineDeploymentStatus>;

export const MachineDeploymentSchema = kubeObject('MachineDeployment', MachineDeploymentSpec, MachineDeploymentStatus);
export type MachineDeployment = KubeObject<MachineDeploymentSpec, MachineDeploymentStatus>;

/** The label Slipway stamps on every Machine/MachineSet a MachineDeployment owns, and selects on by default. */
export const MACHINE_DEPLOYMENT_LABEL = 'slipway.dev/machine-deployment';
