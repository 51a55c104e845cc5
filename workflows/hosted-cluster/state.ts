/**
 * The HostedCluster entity's state and the derivation of its status. The workflow mutates
 * HostedClusterState; deriveHostedClusterStatus turns it into what users read, through the
 * pure condition rules in planners/hosted.
 */
import { HOSTED_PLATFORM_KEYS, type HostedCluster, type HostedClusterSpec, type HostedClusterStatus } from '../../crds/schemas/hosted-cluster';
import type { PlatformName } from '../../crds/schemas/cluster-deployment';
import { memoOf, nextConditions, type EntityLifecycle } from '../entity/status';
import { hostedClusterConditions } from '../planners/hosted/hosted-cluster-conditions';
import { readReleaseImage } from '../planners/hosted/release';
import type { UpdateHistoryEntry } from '../planners/hosted/version-history';
import { runtimeConditions } from '../entity/conditions';
import type { OwnerReference } from '../entity/definitions';
import type { ControlPlaneSecrets, ControlPlaneStatus } from './control-plane-api';

export interface HostedClusterState extends EntityLifecycle {
  object: HostedCluster;
  readonly infraId: string;
  secrets?: ControlPlaneSecrets;
  /** The cloud network, load balancer and DNS of a non-simulated platform. */
  infrastructure: 'not-needed' | 'pending' | 'ready';
  infrastructureURL?: string;
  controlPlane?: ControlPlaneStatus;
  /** The control plane was Available once since it last rolled out; a later loss is Degraded. */
  everAvailable: boolean;
  history: UpdateHistoryEntry[];
  /** NodePools that named this cluster, by workflow ID: deleted before the control plane. */
  nodePools: Record<string, OwnerReference>;
}

export interface HostedPlatformTarget {
  readonly platform: PlatformName;
  readonly region: string;
  readonly credentialsSecretName?: string;
}

/** A HostedCluster's teardown cannot be abandoned: what is left to delete must go. */
const HOSTED_TEARDOWN_HINT = 'Fix the cause above if it needs a person (credentials, permissions); the deletion goes on by itself.';

/** The simulated platform's region when its block names none. */
export const DEFAULT_SIMULATED_REGION = 'local-1';

/** The provider, region and credentials a HostedCluster's spec.platform names. */
export function hostedPlatformOf(spec: HostedClusterSpec): HostedPlatformTarget {
  const { platform } = spec;
  switch (platform.type) {
    case 'Simulated':
      return { platform: 'simulated', region: platform.simulated?.region ?? DEFAULT_SIMULATED_REGION };
    case 'Azure':
      return { platform: 'azure', region: platform.azure?.location ?? '', credentialsSecretName: platform.azure?.credentialsSecretRef?.name };
    default: {
      const key = HOSTED_PLATFORM_KEYS[platform.type] as 'aws' | 'gcp' | 'vsphere' | 'baremetal';
      const block = platform[key];
      return { platform: key, region: block?.region ?? '', credentialsSecretName: block?.credentialsSecretRef?.name };
    }
  }
}

/** Only the simulated platform's control plane needs no cloud infrastructure. */
export function needsInfrastructure(spec: HostedClusterSpec): boolean {
  return spec.platform.type !== 'Simulated';
}

function endpointOf(url: string | undefined): { host: string; port: number } | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)) };
  } catch {
    return undefined;
  }
}

export function deriveHostedClusterStatus(state: HostedClusterState, now: string): HostedClusterStatus {
  const { spec } = state.object;
  const generation = state.object.metadata.generation ?? 1;
  const release = readReleaseImage(spec.release.image);
  const head = state.history[0];
  const controlPlaneUp = state.controlPlane?.etcd.available === true && state.controlPlane.kubeAPIServer.available === true;
  const drafts = [
    ...hostedClusterConditions({
      ...(release.ok ? { desiredVersion: release.version } : { invalidRelease: release.message }),
      infrastructure: state.infrastructure,
      ...(state.infrastructureURL ? { infrastructureEndpoint: state.infrastructureURL } : {}),
      ...(state.controlPlane ? { etcd: state.controlPlane.etcd, kubeAPIServer: state.controlPlane.kubeAPIServer } : {}),
      rolledOut: head?.image === spec.release.image && head.state === 'Completed',
      lostAvailability: state.everAvailable && state.controlPlane !== undefined && !controlPlaneUp,
      ...(state.lastError ? { lastError: state.lastError } : {}),
      deleting: state.deletionRequested,
    }),
    ...runtimeConditions(state, HOSTED_TEARDOWN_HINT),
  ];
  const conditions = nextConditions(state.object.status?.conditions, drafts, generation, now);
  const platform = hostedPlatformOf(spec);
  const endpoint = endpointOf(state.controlPlane?.apiServerURL);
  return {
    observedGeneration: generation,
    infraID: state.infraId,
    platform: spec.platform.type,
    region: platform.region,
    version: {
      desired: { image: spec.release.image, ...(release.ok ? { version: release.version } : {}) },
      history: state.history.map((entry) => ({ ...entry })),
      observedGeneration: generation,
    },
    ...(state.secrets ? { kubeconfig: { name: state.secrets.adminKubeconfigSecretName } } : {}),
    ...(endpoint ? { controlPlaneEndpoint: endpoint } : {}),
    conditions,
  };
}

/** What visibility keeps, to rebuild the projection if Redis is lost. */
export function memoObject(object: HostedCluster): HostedCluster {
  return memoOf(object, ['observedGeneration', 'infraID', 'platform', 'kubeconfig']);
}
