/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/nodepools[/{name}]: the shared entity
 * routes over the NodePool workflow, and the autoscaling/v1 scale subresource. A new NodePool
 * joins the HostedCluster its spec.clusterName names, in the same namespace; its machines go to
 * that cluster's platform and are tagged with its infra ID.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { NodePool } from '../../../crds/schemas/node-pool';
import { cloudNameProblems } from '../../../providers/cloud-names';
import { entityWorkflowId } from '../../../workflows/entity/ids';
import { HOSTED_CLUSTER_KIND, getHostedCluster } from '../../../workflows/hosted-cluster/definitions';
import { hostedPlatformOf } from '../../../workflows/hosted-cluster/state';
import { NODE_POOL_KIND, NODE_POOL_WORKFLOW_TYPE, deleteNodePool, getNodePool, patchNodePool, type NodePoolInput, type NodePoolPlacement } from '../../../workflows/node-pool/definitions';
import { nodePoolMachineDeploymentName } from '../../../workflows/node-pool/machine-deployment';
import { longestMachineName } from '../../../workflows/planners/names';
import { ProblemError } from '../problem';
import { entityAccess, entityRoutes, queryEntityWorkflow, type EntityDefinition, type EntityRouteDeps, type StartInputDeps } from './entity-routes';
import { registerScaleRoutes, scaleFor, type Scale } from './scale';

/** The HostedCluster a new NodePool joins: its identity, platform and infra ID, read from its workflow. */
export async function nodePoolPlacementFor(object: NodePool, deps: StartInputDeps): Promise<NodePoolPlacement> {
  const namespace = object.metadata.namespace ?? 'default';
  const clusterName = object.spec.clusterName;
  const workflowId = entityWorkflowId(HOSTED_CLUSTER_KIND, namespace, clusterName);
  const missing = () =>
    new ProblemError(422, 'unknown-cluster', `spec.clusterName names HostedCluster ${namespace}/${clusterName}, which does not exist. Create the HostedCluster first, then its NodePools.`, [
      { path: 'spec.clusterName', message: `no HostedCluster "${clusterName}" in namespace "${namespace}"` },
    ]);
  const snapshot = await queryEntityWorkflow(deps, HOSTED_CLUSTER_KIND, namespace, clusterName, getHostedCluster);
  if (!snapshot || snapshot.deleted) throw missing();
  const cluster = snapshot.object;
  if (cluster.metadata.deletionTimestamp) {
    throw new ProblemError(409, 'cluster-being-deleted', `HostedCluster ${namespace}/${clusterName} is being deleted; no NodePool can join it. Wait for the deletion to finish and create the cluster again, or name another cluster.`, [
      { path: 'spec.clusterName', message: `HostedCluster "${clusterName}" is being deleted` },
    ]);
  }
  if (object.spec.platform.type !== cluster.spec.platform.type) {
    throw new ProblemError(422, 'invalid-object', `NodePool ${namespace}/${object.metadata.name} is for platform ${object.spec.platform.type}, but HostedCluster ${namespace}/${clusterName} runs on ${cluster.spec.platform.type}. Give the NodePool the cluster's platform type and a ${cluster.spec.platform.type} block.`, [
      { path: 'spec.platform.type', message: `must be ${cluster.spec.platform.type}, the platform of HostedCluster "${clusterName}"` },
    ]);
  }
  const infraId = cluster.status?.infraID;
  if (!infraId) {
    throw new ProblemError(409, 'cluster-not-ready', `HostedCluster ${namespace}/${clusterName} has no infrastructure ID yet. Retry in a moment.`, [
      { path: 'spec.clusterName', message: `HostedCluster "${clusterName}" has not reported status.infraID yet` },
    ]);
  }
  const nameProblems = cloudNameProblems(infraId, longestMachineName(nodePoolMachineDeploymentName(object)));
  if (nameProblems.length > 0) {
    throw new ProblemError(422, 'invalid-object', `NodePool ${namespace}/${object.metadata.name} would give its machines names some cloud refuses: ${nameProblems.join(' ')} Choose a shorter name.`, nameProblems.map((message) => ({ path: 'metadata.name', message })));
  }
  const platform = hostedPlatformOf(cluster.spec);
  return {
    cluster: { kind: HOSTED_CLUSTER_KIND, name: clusterName, uid: cluster.metadata.uid ?? '', workflowId },
    target: {
      platform: platform.platform,
      region: platform.region,
      ...(platform.credentialsSecretName ? { credentialsRef: { namespace, name: platform.credentialsSecretName } } : {}),
    },
    infraId,
  };
}

/** A Scale of the NodePool: spec.replicas, or under autoscaling the size the autoscaler chose (status.replicas). */
export function nodePoolScaleOf(object: NodePool): Scale {
  const machineDeployment = nodePoolMachineDeploymentName(object);
  return scaleFor(object, { spec: object.spec.replicas ?? object.status?.replicas ?? 0, status: object.status?.replicas ?? 0, selector: `slipway.dev/machine-deployment=${machineDeployment}` });
}

export const NODE_POOL_ENTITY: EntityDefinition<'NodePool'> = {
  kind: NODE_POOL_KIND,
  workflowType: NODE_POOL_WORKFLOW_TYPE,
  getObject: getNodePool,
  patchObject: patchNodePool,
  deleteObject: deleteNodePool,
  startInput: async (object, deps): Promise<NodePoolInput> => ({
    object,
    managementId: deps.config.managementId,
    placement: await nodePoolPlacementFor(object, deps),
    ...(deps.config.nodePoolScaleUpAfterSeconds !== undefined ? { scaleUpAfterSeconds: deps.config.nodePoolScaleUpAfterSeconds } : {}),
    ...(deps.config.nodePoolScaleDownAfterSeconds !== undefined ? { scaleDownAfterSeconds: deps.config.nodePoolScaleDownAfterSeconds } : {}),
  }),
};

export const nodePoolRoutes: FastifyPluginAsyncTypebox<EntityRouteDeps> = async (app, deps) => {
  await app.register(entityRoutes(NODE_POOL_ENTITY), deps);
  registerScaleRoutes(app, entityAccess(deps, NODE_POOL_ENTITY), {
    kind: NODE_POOL_KIND,
    scaleOf: nodePoolScaleOf,
    replicasPatch: (replicas, current) => {
      if (current.spec.autoScaling) {
        throw new ProblemError(409, 'autoscaling-enabled', `NodePool ${current.metadata.namespace ?? 'default'}/${current.metadata.name} is autoscaled between ${current.spec.autoScaling.min} and ${current.spec.autoScaling.max}; its size is not set by hand. Change spec.autoScaling, or remove it (a merge patch { "spec": { "autoScaling": null, "replicas": N } }) to set the size yourself.`, [
          { path: 'spec.replicas', message: 'cannot be set while spec.autoScaling is' },
        ]);
      }
      return { spec: { replicas } };
    },
  });
};
