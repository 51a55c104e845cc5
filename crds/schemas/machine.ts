import { Type, type Static } from '@sinclair/typebox';
import { Conditions, DateTime, ClusterReference, ObjectName, TemplateMeta, kubeObject, type KubeObject } from './common';

/**
 * Machine, after Cluster API's cluster.x-k8s.io Machine. Cluster API points at a
 * provider-specific template (infrastructureRef, e.g. an AWSMachineTemplate); Slipway
 * carries the little a provider adapter needs inline, under `infrastructure`, and takes the
 * platform, region and credentials from the cluster named by clusterName.
 */

export const MachineInfrastructure = Type.Object(
  {
    instanceType: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'The cloud machine size: an EC2 instance type, an Azure VM size, a GCE machine type, a vSphere/bare-metal profile name.',
    }),
    image: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'The boot image (AMI, image ID, template). Defaults to the cluster release image for the platform.' }),
    ),
  },
  { additionalProperties: false },
);
export type MachineInfrastructure = Static<typeof MachineInfrastructure>;

export const MachineBootstrap = Type.Object(
  {
    dataSecretName: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'A Secret in the same namespace holding the bootstrap (user) data.' })),
  },
  { additionalProperties: false },
);

const machineSpecProperties = {
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The Kubernetes/OpenShift version the machine runs, e.g. v1.34.2 or 4.20.1.' })),
  bootstrap: Type.Optional(MachineBootstrap),
  infrastructure: MachineInfrastructure,
};

/** The machine spec inside a MachineSet/MachineDeployment template; clusterName defaults to the owner's. */
export const MachineTemplateMachineSpec = Type.Object(
  {
    clusterName: Type.Optional(ClusterReference),
    ...machineSpecProperties,
  },
  { additionalProperties: false },
);

export const MachineTemplateSpec = Type.Object(
  {
    metadata: Type.Optional(TemplateMeta),
    spec: MachineTemplateMachineSpec,
  },
  { additionalProperties: false },
);
export type MachineTemplateSpec = Static<typeof MachineTemplateSpec>;

export const MachineSpec = Type.Object(
  {
    clusterName: ClusterReference,
    ...machineSpecProperties,
    providerID: Type.Optional(Type.String({ minLength: 1, description: 'Set by Slipway once the cloud machine exists, e.g. aws:///us-east-1a/i-0abc.' })),
  },
  { additionalProperties: false },
);
export type MachineSpec = Static<typeof MachineSpec>;

export const MACHINE_PHASES = ['Pending', 'Provisioning', 'Provisioned', 'Running', 'Deleting', 'Deleted', 'Failed', 'Unknown'] as const;
export type MachinePhaseName = (typeof MACHINE_PHASES)[number];

export const MachineAddress = Type.Object(
  {
    type: Type.Union([
      Type.Literal('Hostname'),
      Type.Literal('ExternalIP'),
      Type.Literal('InternalIP'),
      Type.Literal('ExternalDNS'),
      Type.Literal('InternalDNS'),
    ]),
    address: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const MachineStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    phase: Type.Optional(Type.Union(MACHINE_PHASES.map((phase) => Type.Literal(phase)))),
    providerID: Type.Optional(Type.String()),
    nodeRef: Type.Optional(Type.Object({ name: ObjectName }, { additionalProperties: false })),
    addresses: Type.Optional(Type.Array(MachineAddress)),
    infrastructureReady: Type.Optional(Type.Boolean()),
    bootstrapReady: Type.Optional(Type.Boolean()),
    lastUpdated: Type.Optional(DateTime()),
    failureReason: Type.Optional(Type.String()),
    failureMessage: Type.Optional(Type.String()),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type MachineStatus = Static<typeof MachineStatus>;

export const MachineSchema = kubeObject('Machine', MachineSpec, MachineStatus);
export type Machine = KubeObject<MachineSpec, MachineStatus>;
