/**
 * The cluster's API load balancer on Compute Engine: an internal passthrough Network Load Balancer
 * made of a regional TCP health check on 6443, a regional backend service (INTERNAL, TCP) and an
 * internal regional forwarding rule on port 6443 in the cluster network, all named `<infraId>-api`
 * (different collections, so the one name does not clash). The forwarding rule carries the
 * canonical tags as labels; health checks and backend services have no labels in v1, so theirs
 * ride in the description as for networks (labels.ts). One without this cluster's tags is never
 * treated as ours. The backend service's one backend is the cluster's unmanaged instance group
 * (instance-group.ts), which control-plane machines join and leave; a backend service found
 * without it (made before the group existed) is patched to name it, with its fingerprint.
 *
 * Each is looked up by name before it is inserted with a requestId derived from the cluster's
 * identity and creation time (a cluster made again later gets new ones), and alreadyExists means
 * an earlier attempt made it. Regional operations are polled with regionOperations.get.
 */
import type { protos } from '@google-cloud/compute';
import { pageGuard } from '../paging';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags, type CloudResource, type ClusterInfraRequest, type TagQuery } from '../types';
import type { Gce } from './compute';
import { deleteAndSettle, settleOperation } from './operations';
import { GceError } from './errors';
import type { ApiInstanceGroups } from './instance-group';
import { GCE_NAME, operationIn } from './instances';
import { canonicalTagsOf, describeWithTags, encodeLabels, listedBy, nameFilter, tagsInDescription } from './labels';
import { requestIdFor } from './request-id';

type Operation = protos.google.cloud.compute.v1.IOperation;
type ForwardingRule = protos.google.cloud.compute.v1.IForwardingRule;
export type LbCollection = 'healthChecks' | 'backendServices' | 'forwardingRules';

interface Found {
  readonly name?: string | null;
  readonly description?: string | null;
  readonly labels?: Readonly<Record<string, string>> | null;
  readonly IPAddress?: string | null;
  readonly backends?: readonly { readonly group?: string | null }[] | null;
  readonly fingerprint?: string | null;
}

const KUBE_API_PORT = 6443;
/** Delete order: what uses another goes before it. */
export const LB_DELETE_ORDER: readonly LbCollection[] = ['forwardingRules', 'backendServices', 'healthChecks'];
const SINGULAR: Readonly<Record<LbCollection, string>> = { healthChecks: 'health check', backendServices: 'backend service', forwardingRules: 'forwarding rule' };

export function loadBalancerName(infraId: string): string {
  return `${infraId}-api`;
}


function tagsOf(collection: LbCollection, found: Found): CanonicalTags {
  return collection === 'forwardingRules' ? canonicalTagsOf(found.labels) : tagsInDescription(found.description);
}

export interface LoadBalancer {
  readonly resources: readonly CloudResource[];
  /** The forwarding rule's internal address, which the API record points at. */
  readonly address: string;
}

export interface LoadBalancerOperations {
  ensureLoadBalancer(request: ClusterInfraRequest, network: string): Promise<LoadBalancer>;
  /** Forwarding rule, backend service, health check; a missing one is fine. */
  deleteLoadBalancer(infraId: string, managementId?: string): Promise<void>;
  listLoadBalancerResources(query: TagQuery): AsyncGenerator<CloudResource>;
  /** Deletes it when the id is one of this module's; false when it is not. */
  deleteLoadBalancerResource(resource: CloudResource): Promise<boolean>;
}

export function loadBalancerOperations(gce: Gce, groups: ApiInstanceGroups): LoadBalancerOperations {
  const region = gce.region;

  const resourceOf = async (collection: LbCollection, name: string, tags: CanonicalTags): Promise<CloudResource> => ({
    kind: 'loadBalancer',
    id: `projects/${await gce.project()}/regions/${region}/${collection}/${name}`,
    name,
    tags,
  });

  const get = async (operation: string, collection: LbCollection, name: string): Promise<Found | undefined> => {
    try {
      return await gce.call(operation, async (clients, settings, project): Promise<Found> => {
        if (collection === 'healthChecks') return (await clients.regionHealthChecks.get({ project, region, healthCheck: name }, settings))[0];
        if (collection === 'backendServices') return (await clients.regionBackendServices.get({ project, region, backendService: name }, settings))[0];
        return (await clients.forwardingRules.get({ project, region, forwardingRule: name }, settings))[0] as Found;
      });
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return undefined;
      throw error;
    }
  };

  const settle = (operation: string, started: Operation): Promise<void> =>
    settleOperation(gce, operation, started, (name) => async (clients, settings, project) => (await clients.regionOperations.get({ project, region, operation: name }, settings))[0]);

  const checkOurs = (operation: string, collection: LbCollection, found: Found, infraId: string, managementId: string | undefined): CanonicalTags => {
    const tags = tagsOf(collection, found);
    const ours = tags[TAG.cluster] === infraId && tags[TAG.management] !== undefined && (managementId === undefined || tags[TAG.management] === managementId);
    if (!ours) {
      throw new ProviderError('invalid', `gcp ${operation}: ${SINGULAR[collection]} ${found.name ?? '?'} exists but is not this cluster's (it has no Slipway tags for ${infraId}); remove or rename it`, { operation });
    }
    return tags;
  };

  const insert = async (operation: string, collection: LbCollection, requestId: string, body: Record<string, unknown>): Promise<void> => {
    let started: Operation;
    try {
      const [answer] = await gce.call(operation, (clients, settings, project) => {
        if (collection === 'healthChecks') return clients.regionHealthChecks.insert({ project, region, requestId, healthCheckResource: body }, settings);
        if (collection === 'backendServices') return clients.regionBackendServices.insert({ project, region, requestId, backendServiceResource: body }, settings);
        return clients.forwardingRules.insert({ project, region, requestId, forwardingRuleResource: body }, settings);
      });
      started = operationIn(answer);
    } catch (error) {
      if (error instanceof GceError && error.reason === 'alreadyExists') return;
      throw error;
    }
    await settle(operation, started);
  };

  const ensure = async (request: ClusterInfraRequest, collection: LbCollection, body: () => Record<string, unknown>): Promise<Found & { tags: CanonicalTags }> => {
    const operation = `create cluster ${SINGULAR[collection]}`;
    const name = loadBalancerName(request.infraId);
    let found = await get(operation, collection, name);
    if (!found) {
      const token = [request.infraId, request.tags[TAG.management] ?? '', request.tags[TAG.createdAt] ?? ''].join('|');
      await insert(operation, collection, requestIdFor(`${collection}.insert`, token), body());
      found = await get(operation, collection, name);
      if (!found) throw new ProviderError('retryable', `gcp ${operation}: ${name} was made but cannot be read back yet (the call is retried)`, { operation });
    }
    return { ...found, tags: checkOurs(operation, collection, found, request.infraId, request.tags[TAG.management]) };
  };

  /** Names the group as the backend service's backend when it does not yet (a service made before groups were). */
  const attachBackend = async (name: string, found: Found, backend: { readonly group: string; readonly balancingMode: string }): Promise<void> => {
    const operation = 'attach cluster API backends';
    if ((found.backends ?? []).some((existing) => existing.group?.endsWith(backend.group))) return;
    const backendServiceResource = { backends: [...(found.backends ?? []), backend], ...(found.fingerprint ? { fingerprint: found.fingerprint } : {}) };
    const [answer] = await gce.call(operation, (clients, settings, project) => clients.regionBackendServices.patch({ project, region, backendService: name, backendServiceResource }, settings));
    await settle(operation, operationIn(answer));
  };

  const remove = async (collection: LbCollection, name: string, infraId: string, managementId?: string): Promise<void> => {
    const operation = `delete cluster ${SINGULAR[collection]}`;
    const found = await get(operation, collection, name);
    if (!found) return;
    checkOurs(operation, collection, found, infraId, managementId);
    await deleteAndSettle(
      gce,
      operation,
      (clients, settings, project) => {
        if (collection === 'healthChecks') return clients.regionHealthChecks.delete({ project, region, healthCheck: name }, settings);
        if (collection === 'backendServices') return clients.regionBackendServices.delete({ project, region, backendService: name }, settings);
        return clients.forwardingRules.delete({ project, region, forwardingRule: name }, settings);
      },
      (answer) => settle(operation, answer),
    );
  };

  const listCollection = async function* (collection: LbCollection, query: TagQuery): AsyncGenerator<CloudResource> {
    const operation = `list cluster ${SINGULAR[collection]}s`;
    const infraId = query[TAG.cluster];
    if (infraId !== undefined && !GCE_NAME.test(infraId)) return;
    const filter = infraId !== undefined ? nameFilter(loadBalancerName(infraId)) : undefined;
    const guard = pageGuard('gcp', operation);
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const listRequest = { project: await gce.project(), region, maxResults: gce.pageSize, ...(filter ? { filter } : {}), ...(token ? { pageToken: token } : {}) };
      const [items, next] = await gce.call(operation, async (clients, settings) => {
        const options = { ...settings, autoPaginate: false };
        if (collection === 'healthChecks') {
          const [found, , page] = await clients.regionHealthChecks.list(listRequest, options);
          return [found as Found[], page?.nextPageToken] as const;
        }
        if (collection === 'backendServices') {
          const [found, , page] = await clients.regionBackendServices.list(listRequest, options);
          return [found as Found[], page?.nextPageToken] as const;
        }
        const [found, , page] = await clients.forwardingRules.list(listRequest, options);
        return [found as Found[], page?.nextPageToken] as const;
      });
      for (const item of items) {
        const tags = tagsOf(collection, item);
        if (item.name && listedBy(tags, query)) yield await resourceOf(collection, item.name, tags);
      }
      pageToken = next || undefined;
      if (pageToken) guard.next(pageToken);
    } while (pageToken);
  };

  return {
    async ensureLoadBalancer(request, network) {
      const { infraId } = request;
      const tags: CanonicalTags = { ...request.tags, [TAG.cluster]: infraId };
      const name = loadBalancerName(infraId);
      const regional = `regions/${region}`;
      const healthCheck = await ensure(request, 'healthChecks', () => ({
        name,
        type: 'TCP',
        tcpHealthCheck: { port: KUBE_API_PORT },
        checkIntervalSec: 5,
        timeoutSec: 5,
        description: describeWithTags('create cluster health check', `Slipway cluster ${infraId}: Kubernetes API health`, tags),
      }));
      const group = await groups.ensureApiInstanceGroup(request, network);
      const backend = { group: group.link, balancingMode: 'CONNECTION' };
      const backendService = await ensure(request, 'backendServices', () => ({
        name,
        loadBalancingScheme: 'INTERNAL',
        protocol: 'TCP',
        healthChecks: [`${regional}/healthChecks/${name}`],
        network: `global/networks/${network}`,
        backends: [backend],
        description: describeWithTags('create cluster backend service', `Slipway cluster ${infraId}: Kubernetes API backends`, tags),
      }));
      await attachBackend(name, backendService, backend);
      const rule: ForwardingRule = {
        name,
        loadBalancingScheme: 'INTERNAL',
        IPProtocol: 'TCP',
        ports: [String(KUBE_API_PORT)],
        network: `global/networks/${network}`,
        backendService: `${regional}/backendServices/${name}`,
        labels: encodeLabels('create cluster forwarding rule', tags),
        description: `Slipway cluster ${infraId}: Kubernetes API`,
      };
      const forwardingRule = await ensure(request, 'forwardingRules', () => ({ ...rule }));
      const address = forwardingRule.IPAddress;
      if (!address) throw new ProviderError('retryable', `gcp create cluster forwarding rule: ${name} has no address yet (the call is retried)`, { operation: 'create cluster forwarding rule' });
      return {
        address,
        resources: [
          await resourceOf('healthChecks', name, healthCheck.tags),
          group.resource,
          await resourceOf('backendServices', name, backendService.tags),
          await resourceOf('forwardingRules', name, forwardingRule.tags),
        ],
      };
    },

    async deleteLoadBalancer(infraId, managementId) {
      for (const collection of LB_DELETE_ORDER) {
        // The group goes once no backend service names it, before the network it sits in.
        if (collection === 'healthChecks') await groups.deleteApiInstanceGroup(infraId, managementId);
        await remove(collection, loadBalancerName(infraId), infraId, managementId);
      }
    },

    async *listLoadBalancerResources(query) {
      for (const collection of LB_DELETE_ORDER) {
        if (collection === 'healthChecks') yield* groups.listApiInstanceGroups(query);
        yield* listCollection(collection, query);
      }
    },

    async deleteLoadBalancerResource(resource) {
      if (await groups.deleteApiInstanceGroupResource(resource)) return true;
      const match = /^projects\/[^/]+\/regions\/[^/]+\/(healthChecks|backendServices|forwardingRules)\/([^/]+)$/.exec(resource.id);
      const collection = match?.[1];
      const name = match?.[2];
      if (collection !== 'healthChecks' && collection !== 'backendServices' && collection !== 'forwardingRules') return false;
      const infraId = resource.tags[TAG.cluster];
      if (!name || infraId === undefined) throw new ProviderError('invalid', `gcp delete resource: "${resource.id}" has no cluster tag`, { operation: 'delete resource' });
      await remove(collection, name, infraId);
      return true;
    },
  };
}
