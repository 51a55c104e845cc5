/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments[/{name}]: the
 * shared entity routes (entity-routes.ts) over the ClusterDeployment workflow.
 */
import type { FastifyInstance } from 'fastify';
import { CLUSTER_DEPLOYMENT_KIND, deleteClusterDeployment, getClusterDeployment, patchClusterDeployment, type ClusterDeploymentInput } from '../../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../../workflows/entity/ids';
import { WorkflowNotFoundError } from '@temporalio/client';
import { POOL_LABEL } from '../../../workflows/cluster-deployment/pools';
import { MACHINE_DEPLOYMENT_KIND, deleteMachineDeployment } from '../../../workflows/machine-deployment/definitions';
import { registerEntityRoutes, type EntityRouteDeps, type EntityRoutes } from './entity-routes';

/**
 * Deleting a cluster deletes the standalone MachineDeployments that name it, as deleting a
 * Cluster API Cluster deletes its MachineDeployments: left running, they would recreate their
 * machines on a cluster that no longer exists. (Its own worker pools it deletes itself.)
 */
async function deleteStandaloneMachineDeployments(namespace: string, clusterName: string, deps: EntityRouteDeps): Promise<void> {
  const { items } = await deps.projection.list(MACHINE_DEPLOYMENT_KIND, { namespace });
  const referring = items.filter((item) => {
    const object = item as { metadata: { name: string; labels?: Record<string, string> }; spec?: { clusterName?: string } };
    return object.spec?.clusterName === clusterName && object.metadata.labels?.[POOL_LABEL] === undefined;
  });
  await Promise.all(
    referring.map(async (item) => {
      const handle = deps.temporal.workflow.getHandle(entityWorkflowId(MACHINE_DEPLOYMENT_KIND, namespace, item.metadata.name));
      await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: new Date().toISOString() }] }).catch((error: unknown) => {
        if (!(error instanceof WorkflowNotFoundError) && !/already completed/i.test(String(error))) throw error;
      });
    }),
  );
}

export const CLUSTER_DEPLOYMENT_WORKFLOW = { kind: CLUSTER_DEPLOYMENT_KIND, workflowType: 'clusterDeploymentWorkflow' } as const;

export function registerClusterDeploymentRoutes(app: FastifyInstance, deps: EntityRouteDeps): EntityRoutes<typeof CLUSTER_DEPLOYMENT_KIND> {
  return registerEntityRoutes(app, deps, {
    ...CLUSTER_DEPLOYMENT_WORKFLOW,
    getObject: getClusterDeployment,
    patchObject: patchClusterDeployment,
    deleteObject: deleteClusterDeployment,
    startInput: async (object, { config }): Promise<ClusterDeploymentInput> => ({ object, managementId: config.managementId }),
    afterDeleteAccepted: deleteStandaloneMachineDeployments,
  });
}
