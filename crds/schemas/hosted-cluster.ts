import { Type, type Static } from '@sinclair/typebox';
import { Conditions, DateTime, InfraSafeName, LocalObjectReference, kubeObject, type KubeObject } from './common';

/**
 * HostedCluster, after HyperShift's hypershift.openshift.io/v1beta1 HostedCluster: a
 * control plane Slipway hosts, whose workers come from NodePools. Field names are
 * HyperShift's; the platform blocks keep only what Slipway's provider adapters act on,
 * plus credentialsSecretRef, since Slipway authenticates with a credentials Secret
 * rather than cloud roles.
 */

/** HyperShift's platform type names, restricted to the platforms Slipway has adapters for. */
export const HOSTED_PLATFORM_TYPES = ['Simulated', 'AWS', 'Azure', 'GCP', 'VSphere', 'BareMetal'] as const;
export type HostedPlatformType = (typeof HOSTED_PLATFORM_TYPES)[number];

/** The platform block key each type uses, and the matching ClusterDeployment platform name. */
export const HOSTED_PLATFORM_KEYS = {
  Simulated: 'simulated',
  AWS: 'aws',
  Azure: 'azure',
  GCP: 'gcp',
  VSphere: 'vsphere',
  BareMetal: 'baremetal',
} as const satisfies Record<HostedPlatformType, string>;

export const PlatformTypeSchema = Type.Union(
  HOSTED_PLATFORM_TYPES.map((type) => Type.Literal(type)),
  { description: 'Which platform block is in use; exactly that block must be set.' },
);

const Region = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$' });
const credentialsSecretRef = Type.Optional(LocalObjectReference);

const RegionalPlatform = Type.Object({ region: Region, credentialsSecretRef }, { additionalProperties: false });

export const HostedClusterPlatform = Type.Object(
  {
    type: PlatformTypeSchema,
    simulated: Type.Optional(Type.Object({ region: Region }, { additionalProperties: false })),
    aws: Type.Optional(RegionalPlatform),
    azure: Type.Optional(Type.Object({ location: Region, credentialsSecretRef }, { additionalProperties: false })),
    gcp: Type.Optional(
      Type.Object({ project: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), region: Region, credentialsSecretRef }, { additionalProperties: false }),
    ),
    vsphere: Type.Optional(RegionalPlatform),
    baremetal: Type.Optional(RegionalPlatform),
  },
  { additionalProperties: false },
);
export type HostedClusterPlatform = Static<typeof HostedClusterPlatform>;

export const Release = Type.Object(
  { image: Type.String({ minLength: 1, maxLength: 512, description: 'The release image, e.g. quay.io/openshift-release-dev/ocp-release:4.20.1-x86_64.' }) },
  { additionalProperties: false },
);

const Cidr = Type.String({
  pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$|^[0-9a-fA-F:]+/[0-9]{1,3}$',
  description: 'An IPv4 or IPv6 CIDR, e.g. 10.132.0.0/14.',
});

export const ClusterNetworking = Type.Object(
  {
    clusterNetwork: Type.Optional(
      Type.Array(Type.Object({ cidr: Cidr, hostPrefix: Type.Optional(Type.Integer({ minimum: 1, maximum: 128 })) }, { additionalProperties: false }), {
        default: [{ cidr: '10.132.0.0/14', hostPrefix: 23 }],
      }),
    ),
    serviceNetwork: Type.Optional(Type.Array(Type.Object({ cidr: Cidr }, { additionalProperties: false }), { default: [{ cidr: '172.31.0.0/16' }] })),
    machineNetwork: Type.Optional(Type.Array(Type.Object({ cidr: Cidr }, { additionalProperties: false }))),
    networkType: Type.Optional(
      Type.Union([Type.Literal('OVNKubernetes'), Type.Literal('OpenShiftSDN'), Type.Literal('Calico'), Type.Literal('Other')], { default: 'OVNKubernetes' }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export const AVAILABILITY_POLICIES = ['HighlyAvailable', 'SingleReplica'] as const;
const AvailabilityPolicy = (defaultValue: (typeof AVAILABILITY_POLICIES)[number], description: string) =>
  Type.Union(AVAILABILITY_POLICIES.map((policy) => Type.Literal(policy)), { default: defaultValue, description });

export const SERVICE_TYPES = ['APIServer', 'OAuthServer', 'Konnectivity', 'Ignition', 'OVNSbDb'] as const;

export const ServicePublishingStrategyMapping = Type.Object(
  {
    service: Type.Union(SERVICE_TYPES.map((service) => Type.Literal(service))),
    servicePublishingStrategy: Type.Object(
      {
        type: Type.Union([Type.Literal('LoadBalancer'), Type.Literal('NodePort'), Type.Literal('Route')]),
        nodePort: Type.Optional(
          Type.Object({ address: Type.String({ minLength: 1 }), port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })) }, { additionalProperties: false }),
        ),
        loadBalancer: Type.Optional(Type.Object({ hostname: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
        route: Type.Optional(Type.Object({ hostname: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const EtcdSpec = Type.Object(
  {
    managementType: Type.Literal('Managed', { description: 'Slipway runs etcd for the hosted control plane; Unmanaged (bring your own etcd) is not supported.' }),
    managed: Type.Optional(
      Type.Object(
        {
          storage: Type.Object(
            {
              type: Type.Literal('PersistentVolume'),
              persistentVolume: Type.Optional(
                Type.Object(
                  {
                    size: Type.Optional(Type.String({ pattern: '^[0-9]+(Ki|Mi|Gi|Ti)?$', description: 'A Kubernetes quantity, e.g. 8Gi.' })),
                    storageClassName: Type.Optional(Type.String({ minLength: 1 })),
                  },
                  { additionalProperties: false },
                ),
              ),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, default: { managementType: 'Managed' } },
);

export const HostedClusterSpec = Type.Object(
  {
    release: Release,
    clusterID: Type.Optional(Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', description: 'A UUID; Slipway makes one when absent.' })),
    infraID: Type.Optional(InfraSafeName),
    platform: HostedClusterPlatform,
    controllerAvailabilityPolicy: AvailabilityPolicy('HighlyAvailable', 'Replicas of the hosted control-plane components: HighlyAvailable (3) or SingleReplica.'),
    infrastructureAvailabilityPolicy: AvailabilityPolicy('SingleReplica', 'Replicas of the infrastructure components that run on the workers.'),
    dns: Type.Object(
      {
        baseDomain: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
        baseDomainPrefix: Type.Optional(Type.String({ maxLength: 63, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$' })),
      },
      { additionalProperties: false },
    ),
    networking: ClusterNetworking,
    etcd: EtcdSpec,
    services: Type.Optional(Type.Array(ServicePublishingStrategyMapping)),
    pullSecret: Type.Optional(LocalObjectReference),
    sshKey: Type.Optional(LocalObjectReference),
    pausedUntil: Type.Optional(
      Type.String({ pattern: '^(true|[0-9]{4}-[0-9]{2}-[0-9]{2}T.*)$', description: '"true" pauses reconciliation until removed; an RFC 3339 time pauses it until then.' }),
    ),
  },
  { additionalProperties: false },
);
export type HostedClusterSpec = Static<typeof HostedClusterSpec>;

export const UpdateHistoryEntry = Type.Object(
  {
    state: Type.Union([Type.Literal('Completed'), Type.Literal('Partial')]),
    version: Type.String(),
    image: Type.String(),
    startedTime: DateTime(),
    completionTime: Type.Optional(DateTime()),
  },
  { additionalProperties: false },
);

export const HostedClusterStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    infraID: Type.Optional(Type.String()),
    platform: Type.Optional(Type.String()),
    region: Type.Optional(Type.String()),
    version: Type.Optional(
      Type.Object(
        {
          desired: Type.Object({ image: Type.String(), version: Type.Optional(Type.String()) }, { additionalProperties: false }),
          history: Type.Optional(Type.Array(UpdateHistoryEntry)),
          observedGeneration: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    ),
    kubeconfig: Type.Optional(LocalObjectReference),
    kubeadminPassword: Type.Optional(LocalObjectReference),
    controlPlaneEndpoint: Type.Optional(
      Type.Object({ host: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) }, { additionalProperties: false }),
    ),
    ignitionEndpoint: Type.Optional(Type.String()),
    conditions: Type.Optional(Conditions),
  },
  { additionalProperties: false },
);
export type HostedClusterStatus = Static<typeof HostedClusterStatus>;

export const HostedClusterSchema = kubeObject('HostedCluster', HostedClusterSpec, HostedClusterStatus);
export type HostedCluster = KubeObject<HostedClusterSpec, HostedClusterStatus>;
