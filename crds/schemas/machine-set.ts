import { Type, type Static } from '@sinclair/typebox';
import { Conditions, ClusterReference, LabelSelector, kubeObject, type KubeObject } from './common';
import { MachineTemplateSpec } from './machine';

/** MachineSet, after Cluster API's cluster.x-k8s.io/v1beta1 MachineSet; owned by a MachineDeployment. */

export const DELETE_POLICIES = ['Random', 'Newest', 'Oldest'] as const;
export type DeletePolicy = (typeof DELETE_POLICIES)[number];

export const DeletePolicySchema = Type.Union(
  DELETE_POLICIES.map((policy) => Type.Literal(policy)),
  { default: 'Random', description: 'Which machines go first when scaling down: Random, Newest or Oldest.' },
);

export const MachineSetSpec = Type.Object(
  {
    clusterName: ClusterReference,
    replicas: Type.Integer({ minimum: 0, maximum: 1000, default: 1 }),
    minReadySeconds: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    deletePolicy: Type.Optional(DeletePolicySchema),
    selector: LabelSelector,
    template: MachineTemplateSpec,
  },
  { additionalProperties: false },
);
export type MachineSetSpec = Static<typeof MachineSetSpec>;

export const MachineSetStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    /** The selector in label-query form, for the scale subresource. */
    selector: Type.Optional(Type.String()),
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
    fullyLabeledReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type MachineSetStatus = Static<typeof MachineSetStatus>;

export const MachineSetSchema = kubeObject('MachineSet', MachineSetSpec, MachineSetStatus);
export type MachineSet = KubeObject<MachineSetSpec, MachineSetStatus>;
