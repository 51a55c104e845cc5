import { Type, type Static } from '@sinclair/typebox';
import { Conditions, ConditionStatus, ClusterReference, IntOrPercent, kubeObject, type KubeObject } from './common';
import { PlatformTypeSchema, Release } from './hosted-cluster';

/**
 * NodePool, after HyperShift's hypershift.openshift.io/v1beta1 NodePool: a scalable set
 * of worker machines for one HostedCluster (same namespace, named by clusterName).
 * Machines are replaced on upgrade, or on the Simulated platform updated in place.
 */

const InstanceType = Type.String({ minLength: 1, maxLength: 64 });
const Image = Type.String({ minLength: 1, maxLength: 256 });
const GenericMachinePlatform = Type.Object({ instanceType: InstanceType, image: Type.Optional(Image) }, { additionalProperties: false });

export const NodePoolPlatform = Type.Object(
  {
    type: PlatformTypeSchema,
    simulated: Type.Optional(GenericMachinePlatform),
    aws: Type.Optional(
      Type.Object(
        {
          instanceType: InstanceType,
          ami: Type.Optional(Image),
          rootVolume: Type.Optional(
            Type.Object(
              {
                size: Type.Integer({ minimum: 8, maximum: 16384, description: 'GiB.' }),
                type: Type.Optional(Type.Union([Type.Literal('gp3'), Type.Literal('gp2'), Type.Literal('io1'), Type.Literal('io2'), Type.Literal('standard')])),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    azure: Type.Optional(
      Type.Object(
        {
          vmSize: InstanceType,
          image: Type.Optional(Type.Object({ type: Type.Literal('ImageID'), imageID: Image }, { additionalProperties: false })),
          osDisk: Type.Optional(Type.Object({ sizeGiB: Type.Integer({ minimum: 16, maximum: 32767 }) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    gcp: Type.Optional(Type.Object({ machineType: InstanceType, image: Type.Optional(Image) }, { additionalProperties: false })),
    vsphere: Type.Optional(GenericMachinePlatform),
    baremetal: Type.Optional(GenericMachinePlatform),
  },
  { additionalProperties: false },
);
export type NodePoolPlatform = Static<typeof NodePoolPlatform>;

export const NodePoolRollingUpdate = Type.Object(
  {
    maxUnavailable: IntOrPercent({ default: 0 }),
    maxSurge: IntOrPercent({ default: 1 }),
  },
  { additionalProperties: false, default: {} },
);

export const NodePoolManagement = Type.Object(
  {
    upgradeType: Type.Union([Type.Literal('Replace'), Type.Literal('InPlace')], {
      default: 'Replace',
      description: 'Replace: machines are replaced by new ones on upgrade. InPlace: machines are updated where they run, in batches of inPlace.maxUnavailable (the Simulated platform only).',
    }),
    inPlace: Type.Optional(
      Type.Object(
        { maxUnavailable: IntOrPercent({ default: 1, description: 'Machines updated at once: a count or a percentage of replicas (rounded down, at least 1).' }) },
        { additionalProperties: false },
      ),
    ),
    replace: Type.Object(
      {
        strategy: Type.Union([Type.Literal('RollingUpdate'), Type.Literal('OnDelete')], { default: 'RollingUpdate' }),
        rollingUpdate: Type.Optional(NodePoolRollingUpdate),
      },
      { additionalProperties: false, default: {} },
    ),
    autoRepair: Type.Boolean({ default: false, description: 'Replace machines that stay unhealthy.' }),
  },
  { additionalProperties: false, default: {} },
);

export const NodePoolSpec = Type.Object(
  {
    clusterName: ClusterReference,
    release: Release,
    platform: NodePoolPlatform,
    /** Exactly one of replicas and autoScaling. */
    replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    autoScaling: Type.Optional(
      Type.Object(
        { min: Type.Integer({ minimum: 0, maximum: 1000, default: 1 }), max: Type.Integer({ minimum: 1, maximum: 1000 }) },
        { additionalProperties: false },
      ),
    ),
    management: NodePoolManagement,
    arch: Type.Union([Type.Literal('amd64'), Type.Literal('arm64')], { default: 'amd64' }),
    pausedUntil: Type.Optional(
      Type.String({ pattern: '^(true|[0-9]{4}-[0-9]{2}-[0-9]{2}T.*)$', description: '"true" pauses reconciliation until removed; an RFC 3339 time pauses it until then.' }),
    ),
  },
  { additionalProperties: false },
);
export type NodePoolSpec = Static<typeof NodePoolSpec>;

/** One machine of the pool as its MachineDeployment reports it, with the Node it registered in the hosted cluster. */
export const NodePoolMachine = Type.Object(
  {
    name: Type.String(),
    providerID: Type.Optional(Type.String()),
    phase: Type.String(),
    ready: Type.Boolean(),
    message: Type.Optional(Type.String()),
    node: Type.Optional(
      Type.Object(
        { name: Type.String(), ready: ConditionStatus, reason: Type.Optional(Type.String()), lastHeartbeat: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type NodePoolMachine = Static<typeof NodePoolMachine>;

export const NodePoolStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    version: Type.Optional(Type.String()),
    machines: Type.Optional(Type.Array(NodePoolMachine)),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type NodePoolStatus = Static<typeof NodePoolStatus>;

export const NodePoolSchema = kubeObject('NodePool', NodePoolSpec, NodePoolStatus);
export type NodePool = KubeObject<NodePoolSpec, NodePoolStatus>;
