/**
 * The Azure provider adapter: ProviderAdapter over Azure Resource Manager with
 * @azure/arm-compute (VMs), @azure/arm-network (virtual network, security group, the API's
 * internal load balancer), @azure/arm-privatedns (the API's private DNS record) and
 * @azure/arm-resources (resource groups, Resources - List), authenticated by @azure/identity.
 * Canonical tags are written with TAG_ENCODINGS.azure (Azure tag names may not contain '/')
 * and decoded on read, so callers only ever see canonical tags. How a worker builds the
 * options (credentials secret fields, environment, endpoints) is documented in options.ts.
 */
import { ProviderError, type ProviderAdapter } from '../types';
import { invalidField } from '../http-errors';
import { TAG_ENCODINGS } from '../tag-encoding';
import { deleteApiEndpoint, deleteApiResource, ensureApiEndpoint, listApiResources } from './api-endpoint';
import { createAzureClients } from './clients';
import { createMachine, deleteMachine, describeMachine, listMachineResources, listMachines, type MachineContext } from './machines';
import { attempt, deleteClusterGroup, deleteNetworkResource, ensureClusterNetwork, listNetworkResources, ownsClusterGroup } from './network';
import { requestTimeoutOf, type AzureAdapterOptions } from './options';
import { throwawaySshPublicKey } from './ssh-key';

export { azureAdapterOptionsFrom, AZURE_AUTHORITY_HOST_ENV, AZURE_ENDPOINT_ENV, AZURE_SECRET_FIELDS, type AzureAdapterOptions } from './options';

export function createAzureAdapter(options: AzureAdapterOptions): ProviderAdapter {
  const timeoutMs = requestTimeoutOf(options);
  let throwawayKey: Promise<string> | undefined;
  const context: MachineContext = {
    clients: createAzureClients(options),
    subscriptionId: options.subscriptionId,
    location: options.location,
    timeoutMs,
    sshPublicKey: () => {
      if (options.sshPublicKey) return Promise.resolve(options.sshPublicKey);
      throwawayKey ??= throwawaySshPublicKey();
      return throwawayKey;
    },
  };
  const deleteAny: ProviderAdapter['deleteMachine'] = (providerId) => deleteMachine(context, providerId);

  return {
    platform: 'azure',
    createMachine: (request) => createMachine(context, request),
    describeMachine: (name) => describeMachine(context, name),
    listMachines: (query) => listMachines(context, query),
    deleteMachine: deleteAny,

    async ensureClusterInfra(request) {
      let encodedTags: Record<string, string>;
      try {
        encodedTags = TAG_ENCODINGS.azure.encode(request.tags);
      } catch (error) {
        throw invalidField('azure', 'ensure cluster infrastructure', 'tags', `cannot be written as Azure tags: ${error instanceof Error ? error.message : String(error)}`);
      }
      const location = request.region || options.location;
      const network = await ensureClusterNetwork(context, request.infraId, location, encodedTags);
      const endpoint = await ensureApiEndpoint(context, { infraId: request.infraId, clusterName: request.clusterName, baseDomain: request.baseDomain, location, encodedTags });
      return { apiURL: `https://api.${request.clusterName}.${request.baseDomain}:6443`, resources: [...network, ...endpoint] };
    },

    async deleteClusterInfra(infraId, scope = {}) {
      // Everything of a cluster lives in its group: a group that is missing or not ours holds nothing to delete.
      if (!(await ownsClusterGroup(context, infraId, scope))) return;
      await deleteApiEndpoint(context, infraId, scope);
      await deleteClusterGroup(context, infraId);
    },

    async *listResources(query) {
      yield* listMachineResources(context, query);
      yield* listApiResources(context, query);
      yield* listNetworkResources(context, query);
    },

    /** Tags - Update At Scope with Merge: the resource's other tags stay. */
    async tagResource(resource, tags) {
      const operation = `tag ${resource.kind}`;
      const scope = resource.id.startsWith('azure://') ? resource.id.slice('azure://'.length) : resource.id;
      if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.test(scope)) throw invalidField('azure', operation, 'id', `"${resource.id}" is not an Azure resource ID`);
      let encoded: Record<string, string>;
      try {
        encoded = TAG_ENCODINGS.azure.encode(tags);
      } catch (error) {
        throw invalidField('azure', operation, 'tags', `cannot be written as Azure tags: ${error instanceof Error ? error.message : String(error)}`);
      }
      // The SDK puts the scope after the endpoint's own '/': it is given without its leading one.
      await attempt(context, operation, () => context.clients.resources.tagsOperations.updateAtScope(scope.replace(/^\/+/, ''), { operation: 'Merge', properties: { tags: encoded } }));
    },

    async deleteResource(resource) {
      switch (resource.kind) {
        case 'machine':
          return deleteAny(resource.id);
        case 'network':
        case 'securityGroup':
          return deleteNetworkResource(context, resource.kind, resource.id);
        case 'loadBalancer':
        case 'dnsRecord':
          return deleteApiResource(context, resource.kind, resource.id);
        default:
          throw new ProviderError('invalid', `azure delete ${resource.kind}: the Azure adapter makes no ${resource.kind} resources, so it cannot delete ${resource.id}`, { operation: `delete ${resource.kind}` });
      }
    },
  };
}
