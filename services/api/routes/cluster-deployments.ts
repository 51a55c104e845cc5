/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments[/{name}]: the
 * shared entity routes (entity-routes.ts) over the ClusterDeployment workflow. What a cluster
 * owns (its pools, the standalone MachineDeployments that joined it) its workflow deletes.
 */
import { CLUSTER_DEPLOYMENT_KIND, deleteClusterDeployment, getClusterDeployment, patchClusterDeployment, type ClusterDeploymentInput } from '../../../workflows/cluster-deployment/definitions';
import type { ClusterDeployment } from '../../../crds/schemas/cluster-deployment';
import type { SlipwayConfig } from '../../common/config';
import { entityRoutes, type EntityDefinition } from './entity-routes';

export const CLUSTER_DEPLOYMENT_WORKFLOW = { kind: CLUSTER_DEPLOYMENT_KIND, workflowType: 'clusterDeploymentWorkflow' } as const;

/** The workflow's start input for an accepted object, whether it came through REST or as a custom resource. */
export function clusterDeploymentStartInput(object: ClusterDeployment, config: Pick<SlipwayConfig, 'managementId'>): ClusterDeploymentInput {
  return { object, managementId: config.managementId };
}

/** The entity's workflow names and start input. */
export const clusterDeploymentEntity: EntityDefinition<'ClusterDeployment'> = {
  ...CLUSTER_DEPLOYMENT_WORKFLOW,
  getObject: getClusterDeployment,
  patchObject: patchClusterDeployment,
  deleteObject: deleteClusterDeployment,
  startInput: async (object, { config }) => clusterDeploymentStartInput(object, config),
};

/** The plugin; its options are the routes' dependencies (EntityRouteDeps). */
export const clusterDeploymentRoutes = entityRoutes(clusterDeploymentEntity);
