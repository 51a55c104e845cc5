/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments[/{name}]: the
 * shared entity routes (entity-routes.ts) over the ClusterDeployment workflow. What a cluster
 * owns (its pools, the standalone MachineDeployments that joined it) its workflow deletes.
 */
import { CLUSTER_DEPLOYMENT_KIND, deleteClusterDeployment, getClusterDeployment, patchClusterDeployment, type ClusterDeploymentInput } from '../../../workflows/cluster-deployment/definitions';
import { entityRoutes } from './entity-routes';

export const CLUSTER_DEPLOYMENT_WORKFLOW = { kind: CLUSTER_DEPLOYMENT_KIND, workflowType: 'clusterDeploymentWorkflow' } as const;

/** The plugin; its options are the routes' dependencies (EntityRouteDeps). */
export const clusterDeploymentRoutes = entityRoutes({
  ...CLUSTER_DEPLOYMENT_WORKFLOW,
  getObject: getClusterDeployment,
  patchObject: patchClusterDeployment,
  deleteObject: deleteClusterDeployment,
  startInput: async (object, { config }): Promise<ClusterDeploymentInput> => ({ object, managementId: config.managementId }),
});
