/**
 * A ClusterDeployment's worker pools as the MachineDeployments it owns: one per entry of
 * spec.compute, named <cluster>-<pool>. Pure; runs in the workflow sandbox.
 */
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import { GROUP_VERSION } from '../../crds/schemas/common';
import { validateObject } from '../../crds/validate';
import type { OwnedSpec } from '../machine-deployment/definitions';
import { templateRevision } from '../planners/rollout/index';
import { poolMachineDeploymentName } from '../planners/names';
import { desiredWorkerPools, versionFromReleaseImage } from './state';

export const CLUSTER_DEPLOYMENT_LABEL = 'slipway.dev/cluster-deployment';
export const POOL_LABEL = 'slipway.dev/pool';


export interface DesiredPool {
  readonly pool: string;
  readonly object: MachineDeployment;
  /** The template revision the pool's machines should end up on. */
  readonly revision: string;
}

/** The MachineDeployment for each worker pool, defaulted and validated as if it had come through the API. */
export function desiredPoolDeployments(cluster: ClusterDeployment, uidPrefix: string, now: string): DesiredPool[] {
  const namespace = cluster.metadata.namespace ?? 'default';
  const version = versionFromReleaseImage(cluster.spec.provisioning?.releaseImage);
  return desiredWorkerPools(cluster.spec).map((pool) => {
    const name = poolMachineDeploymentName(cluster.metadata.name, pool.name);
    const manifest = {
      apiVersion: GROUP_VERSION,
      kind: 'MachineDeployment',
      metadata: {
        name,
        namespace,
        uid: `${uidPrefix}-${pool.name}`,
        generation: 1,
        creationTimestamp: now,
        labels: { [CLUSTER_DEPLOYMENT_LABEL]: cluster.metadata.name, [POOL_LABEL]: pool.name },
      },
      spec: {
        clusterName: cluster.metadata.name,
        replicas: pool.replicas,
        template: { spec: { ...(version ? { version } : {}), infrastructure: { instanceType: pool.instanceType } } },
      },
    };
    const validated = validateObject('MachineDeployment', manifest);
    if (!validated.ok) {
      throw new Error(`worker pool ${pool.name} does not make a valid MachineDeployment: ${validated.errors.map((error) => `${error.path}: ${error.message}`).join('; ')}`);
    }
    return { pool: pool.name, object: validated.object, revision: templateRevision(validated.object.spec.template) };
  });
}

export function ownedSpecOf(object: MachineDeployment): OwnedSpec {
  return { replicas: object.spec.replicas, template: object.spec.template };
}
