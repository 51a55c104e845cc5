import { Type, type Static } from '@sinclair/typebox';
import { Conditions, DateTime, ClusterReference, IntOrPercent, LabelSelector, kubeObject, type KubeObject } from './common';
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
  },
  { additionalProperties: false },
);
export type MachineDeploymentSpec = Static<typeof MachineDeploymentSpec>;

export const MACHINE_DEPLOYMENT_PHASES = ['ScalingUp', 'ScalingDown', 'Running', 'Failed', 'Unknown'] as const;

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
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type MachineDeploymentStatus = Static<typeof MachineDeploymentStatus>;

export const MachineDeploymentSchema = kubeObject('MachineDeployment', MachineDeploymentSpec, MachineDeploymentStatus);
export type MachineDeployment = KubeObject<MachineDeploymentSpec, MachineDeploymentStatus>;

/** The label Slipway stamps on every Machine/MachineSet a MachineDeployment owns, and selects on by default. */
export const MACHINE_DEPLOYMENT_LABEL = 'slipway.dev/machine-deployment';
