import { Type, type Static, type TOptional } from '@sinclair/typebox';
import { Conditions, InfraSafeName, LocalObjectReference, kubeObject, type KubeObject } from './common';

/**
 * ClusterDeployment, after Hive's hive.openshift.io/v1 ClusterDeployment. Hive keeps
 * machine counts in the install-config secret; we carry them inline (controlPlane,
 * compute) with install-config's field names, so nothing needs a secret to read.
 */

export const PLATFORMS = ['simulated', 'aws', 'azure', 'gcp', 'vsphere', 'baremetal'] as const;
export type PlatformName = (typeof PLATFORMS)[number];

const PlatformDetails = Type.Object(
  {
    region: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' }),
    credentialsSecretRef: Type.Optional(LocalObjectReference),
  },
  { additionalProperties: false },
);

/** Exactly one key, as in Hive: `platform: { aws: { region: us-east-1 } }`. */
export const Platform = Type.Object(
  Object.fromEntries(PLATFORMS.map((name) => [name, Type.Optional(PlatformDetails)])) as Record<
    PlatformName,
    TOptional<typeof PlatformDetails>
  >,
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
);
export type Platform = Static<typeof Platform>;

export const MachinePoolPlatform = Type.Object(
  {
    instanceType: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const ControlPlaneConfig = Type.Object(
  {
    replicas: Type.Integer({ minimum: 1, maximum: 7, default: 3 }),
    platform: Type.Optional(MachinePoolPlatform),
  },
  { additionalProperties: false, default: {} },
);

export const ComputePool = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 20, pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$' }),
    replicas: Type.Integer({ minimum: 0, maximum: 500 }),
    platform: Type.Optional(MachinePoolPlatform),
  },
  { additionalProperties: false },
);
export type ComputePool = Static<typeof ComputePool>;

export const ClusterDeploymentSpec = Type.Object(
  {
    clusterName: InfraSafeName,
    baseDomain: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
    platform: Platform,
    provisioning: Type.Optional(
      Type.Object(
        { releaseImage: Type.Optional(Type.String({ minLength: 1 })) },
        { additionalProperties: false },
      ),
    ),
    controlPlane: Type.Optional(ControlPlaneConfig),
    compute: Type.Optional(Type.Array(ComputePool, { maxItems: 1 })),
    installAttemptsLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 3 })),
    pullSecretRef: Type.Optional(LocalObjectReference),
    preserveOnDelete: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ClusterDeploymentSpec = Static<typeof ClusterDeploymentSpec>;

export const MachinePoolStatus = Type.Object(
  {
    name: Type.String(),
    replicas: Type.Integer(),
    readyReplicas: Type.Integer(),
    availableReplicas: Type.Integer(),
    updatedReplicas: Type.Integer(),
  },
  { additionalProperties: false },
);

export const MachineStatusSummary = Type.Object(
  {
    name: Type.String(),
    role: Type.String(),
    pool: Type.String(),
    providerID: Type.Optional(Type.String()),
    phase: Type.String(),
    conditions: Conditions,
  },
  { additionalProperties: false },
);
export type MachineStatusSummary = Static<typeof MachineStatusSummary>;

export const ClusterDeploymentStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    infraID: Type.Optional(Type.String()),
    platform: Type.Optional(Type.String()),
    region: Type.Optional(Type.String()),
    installVersion: Type.Optional(Type.String()),
    apiURL: Type.Optional(Type.String()),
    installedTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
    installRestarts: Type.Optional(Type.Integer()),
    /** One entry per install attempt: when it started, how it ended and why. */
    installAttempts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            attempt: Type.Integer(),
            startedAt: Type.String(),
            finishedAt: Type.Optional(Type.String()),
            outcome: Type.String(),
            message: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    provisionStatus: Type.Optional(Type.String()),
    controlPlane: Type.Optional(MachinePoolStatus),
    workerPools: Type.Optional(Type.Array(MachinePoolStatus)),
    machines: Type.Optional(Type.Array(MachineStatusSummary)),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type ClusterDeploymentStatus = Static<typeof ClusterDeploymentStatus>;

export const ClusterDeploymentSchema = kubeObject('ClusterDeployment', ClusterDeploymentSpec, ClusterDeploymentStatus);
export type ClusterDeployment = KubeObject<ClusterDeploymentSpec, ClusterDeploymentStatus>;
