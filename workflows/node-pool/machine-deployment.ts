/**
 * The MachineDeployment a NodePool runs its machines through, as a ClusterDeployment's worker
 * pools do: replicas, the machine template (version from the release, size and image from the
 * platform block) and the rollout strategy from spec.management.replace. Pure.
 */
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import type { NodePool, NodePoolPlatform } from '../../crds/schemas/node-pool';
import { GROUP_VERSION } from '../../crds/schemas/common';
import { validateObject } from '../../crds/validate';
import { templateRevision } from '../planners/rollout/index';
import type { OwnedSpec } from '../machine-deployment/definitions';
import { poolMachineDeploymentName } from '../planners/names';
import { readReleaseImage } from '../planners/hosted/release';

export const NODE_POOL_LABEL = 'slipway.dev/node-pool';
export const HOSTED_CLUSTER_LABEL = 'slipway.dev/hosted-cluster';

export interface DesiredMachineDeployment {
  readonly object: MachineDeployment;
  readonly revision: string;
}

/** The machine size and boot image the platform block names. */
export function machineInfrastructure(platform: NodePoolPlatform): { instanceType: string; image?: string } {
  const withImage = (instanceType: string, image: string | undefined) => ({ instanceType, ...(image ? { image } : {}) });
  switch (platform.type) {
    case 'AWS':
      return withImage(platform.aws?.instanceType ?? '', platform.aws?.ami);
    case 'Azure':
      return withImage(platform.azure?.vmSize ?? '', platform.azure?.image?.imageID);
    case 'GCP':
      return withImage(platform.gcp?.machineType ?? '', platform.gcp?.image);
    case 'Simulated':
      return withImage(platform.simulated?.instanceType ?? '', platform.simulated?.image);
    case 'VSphere':
      return withImage(platform.vsphere?.instanceType ?? '', platform.vsphere?.image);
    case 'BareMetal':
      return withImage(platform.baremetal?.instanceType ?? '', platform.baremetal?.image);
  }
}

/** The name of a NodePool's MachineDeployment: <cluster>-<nodepool>, as a ClusterDeployment names its pools'. */
export function nodePoolMachineDeploymentName(pool: NodePool): string {
  return poolMachineDeploymentName(pool.spec.clusterName, pool.metadata.name);
}

/** What the NodePool decides of its MachineDeployment's spec, as it sends it: size, template and rollout strategy. */
export function ownedSpecOf(desired: DesiredMachineDeployment): OwnedSpec & { strategy: MachineDeployment['spec']['strategy'] } {
  const { spec } = desired.object;
  return { replicas: spec.replicas, template: spec.template, strategy: spec.strategy };
}

/** The uid of a NodePool's MachineDeployment, from which its machines' idempotency tokens derive. */
export function machineDeploymentUid(pool: NodePool): string {
  return `${pool.metadata.uid ?? pool.metadata.name}-machines`;
}

export function desiredMachineDeployment(pool: NodePool, replicas: number, now: string): DesiredMachineDeployment {
  const release = readReleaseImage(pool.spec.release.image);
  const { replace } = pool.spec.management;
  const manifest = {
    apiVersion: GROUP_VERSION,
    kind: 'MachineDeployment',
    metadata: {
      name: nodePoolMachineDeploymentName(pool),
      namespace: pool.metadata.namespace ?? 'default',
      uid: machineDeploymentUid(pool),
      generation: 1,
      creationTimestamp: now,
      labels: { [NODE_POOL_LABEL]: pool.metadata.name, [HOSTED_CLUSTER_LABEL]: pool.spec.clusterName },
    },
    spec: {
      clusterName: pool.spec.clusterName,
      replicas,
      // An InPlace pool's version changes where its machines run (the NodePool does it), so its template carries none: a release change never replaces a machine.
      template: { spec: { ...(release.ok && pool.spec.management.upgradeType !== 'InPlace' ? { version: release.version } : {}), infrastructure: machineInfrastructure(pool.spec.platform) } },
      strategy: { type: replace.strategy, ...(replace.strategy === 'RollingUpdate' && replace.rollingUpdate ? { rollingUpdate: replace.rollingUpdate } : {}) },
    },
  };
  const validated = validateObject('MachineDeployment', manifest);
  if (!validated.ok) {
    throw new Error(`NodePool ${pool.metadata.name} does not make a valid MachineDeployment: ${validated.errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`);
  }
  return { object: validated.object, revision: templateRevision(validated.object.spec.template) };
}
