/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/hostedclusters[/{name}]: the shared entity
 * routes over the HostedCluster workflow, and {name}/kubeconfig, the admin kubeconfig read
 * from the secret store on the server (never through a workflow). What a HostedCluster owns
 * (its NodePools, its control plane) its workflow deletes.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { HostedCluster } from '../../../crds/schemas/hosted-cluster';
import type { ControlPlanePlacement } from '../../../workflows/hosted-cluster/control-plane-api';
import { HOSTED_CLUSTER_KIND, HOSTED_CLUSTER_WORKFLOW_TYPE, deleteHostedCluster, getHostedCluster, patchHostedCluster, type HostedClusterInput } from '../../../workflows/hosted-cluster/definitions';
import { AdminKubeconfigUnavailable, readAdminKubeconfig } from '../../common/admin-kubeconfig';
import type { SecretStore } from '../../worker/secrets';
import { ProblemError } from '../problem';
import { entityAccess, entityRoutes, type EntityDefinition, type EntityRouteDeps } from './entity-routes';
import { ItemParams, problems } from './schemas';

export interface HostedClusterRouteDeps extends EntityRouteDeps {
  /** Where the admin kubeconfigs are kept (the worker's secret store). */
  readonly secrets: SecretStore;
  /** Where new hosted clusters' control planes run; local when absent. */
  readonly controlPlanePlacement?: ControlPlanePlacement;
}

/** The workflow's start input for an accepted object. */
export function hostedClusterStartInput(object: HostedCluster, config: { readonly managementId: string }, placement: ControlPlanePlacement = 'local'): HostedClusterInput {
  return { object, managementId: config.managementId, placement };
}

export const HOSTED_CLUSTER_WORKFLOW = { kind: HOSTED_CLUSTER_KIND, workflowType: HOSTED_CLUSTER_WORKFLOW_TYPE } as const;

export function hostedClusterEntity(placement: ControlPlanePlacement | undefined): EntityDefinition<'HostedCluster'> {
  return {
    ...HOSTED_CLUSTER_WORKFLOW,
    getObject: getHostedCluster,
    patchObject: patchHostedCluster,
    deleteObject: deleteHostedCluster,
    startInput: async (object, { config }) => hostedClusterStartInput(object, config, placement),
  };
}

export const hostedClusterRoutes: FastifyPluginAsyncTypebox<HostedClusterRouteDeps> = async (app, deps) => {
  const entity = hostedClusterEntity(deps.controlPlanePlacement);
  await app.register(entityRoutes(entity), deps);
  const routes = entityAccess(deps, entity);

  app.get(
    `${routes.itemPath}/kubeconfig`,
    {
      schema: {
        operationId: 'readHostedClusterKubeconfig',
        summary: 'Read the admin kubeconfig of the hosted cluster (YAML), once its control plane has made one',
        tags: [HOSTED_CLUSTER_KIND],
        params: ItemParams,
        response: {
          200: { description: 'The admin kubeconfig, which verifies the hosted API server\'s certificate', content: { 'application/yaml': { schema: Type.String() } } },
          ...problems(400, 401, 404, 409, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      const cluster = await routes.read(namespace, name);
      const secretName = cluster.status?.kubeconfig?.name;
      const notYet = `HostedCluster ${namespace}/${name} has no admin kubeconfig yet: its control plane is still being set up. Wait for condition Available (slipway wait --for=condition=Available hc/${name}), then ask again.`;
      if (!secretName) throw new ProblemError(409, 'kubeconfig-not-ready', notYet, [{ path: 'status.kubeconfig', message: 'not set yet' }]);
      try {
        const kubeconfig = await readAdminKubeconfig(deps.secrets, { namespace, name: secretName });
        request.log.info({ namespace, name }, 'admin kubeconfig read');
        return reply.type('application/yaml').send(kubeconfig);
      } catch (error) {
        if (!(error instanceof AdminKubeconfigUnavailable)) throw error;
        if (error.missing) throw new ProblemError(409, 'kubeconfig-not-ready', notYet, [{ path: 'status.kubeconfig.name', message: `secret ${secretName} is not there yet` }]);
        throw new ProblemError(503, 'kubeconfig-unreadable', `the admin kubeconfig of HostedCluster ${namespace}/${name} cannot be read: ${error.message}. The control plane rewrites it when it next reconciles; retry later, and report it if it persists.`);
      }
    },
  );
};
