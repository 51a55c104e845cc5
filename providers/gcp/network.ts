/**
 * A cluster's infrastructure on Compute Engine: an auto-mode VPC network `<infraId>-net` and a
 * firewall `<infraId>-api` that lets the Kubernetes API port in from the network's addresses to
 * the cluster's machines (network tag `<infraId>`). Neither resource has labels in GCE v1, so both
 * are found by their exact names and carry their canonical tags in the description (labels.ts);
 * one without Slipway's tags there is never treated as ours. Names, not prefixes: `<infraId>-`
 * would also match the resources of a cluster whose infra ID extends this one.
 *
 * Each is looked up before it is inserted, and alreadyExists means an earlier attempt made it.
 * Ensure and delete wait for the global operations (a firewall needs its network to be ready; a
 * network cannot go while its firewall exists), polling globalOperations.get with a short timeout
 * per call rather than holding a globalOperations.wait open for up to two minutes.
 * Machines are placed in the cluster's network once it exists, else in the project's default one.
 */
import type { protos } from '@google-cloud/compute';
import { infrastructureNotReady } from '../http-errors';
import { pageGuard } from '../paging';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags, type CloudResource, type ClusterInfra, type ClusterInfraRequest, type TagQuery } from '../types';
import type { Gce } from './compute';
import { deleteAndSettle, settleOperation } from './operations';
import { GceError } from './errors';
import { describeWithTags, listedBy, nameFilter, tagsInDescription } from './labels';
import { GCE_NAME, operationIn } from './instances';

type Operation = protos.google.cloud.compute.v1.IOperation;
type Collection = 'networks' | 'firewalls';

const KUBE_API_PORT = '6443';
/** The address range of an auto-mode network's subnetworks, in every region. */
const AUTO_MODE_RANGE = '10.128.0.0/9';
/** The longest name a suffix can be added to and still be a GCE name. */
const MAX_INFRA_ID_LENGTH = 59;

const KIND: Readonly<Record<Collection, CloudResource['kind']>> = { networks: 'network', firewalls: 'securityGroup' };

export function networkName(infraId: string): string {
  return `${infraId}-net`;
}

export function firewallName(infraId: string): string {
  return `${infraId}-api`;
}

interface Described {
  readonly name?: string | null;
  readonly description?: string | null;
}


export interface NetworkOperations {
  ensureClusterInfra(request: ClusterInfraRequest): Promise<ClusterInfra>;
  /** Refuses (leaves) a firewall or network that lacks our management tag (the given one, when set) or the cluster's tag. */
  deleteClusterInfra(infraId: string, managementId?: string): Promise<void>;
  /** Firewalls, then networks: the order they can be deleted in. */
  listNetworkResources(query: TagQuery): AsyncGenerator<CloudResource>;
  deleteNetworkResource(resource: CloudResource): Promise<void>;
  /** The network a cluster's machines attach to; a retryable "infrastructure not ready" error while it is missing. */
  networkFor(infraId: string): Promise<string>;
}

export function networkOperations(gce: Gce): NetworkOperations {
  const placed = new Map<string, string>();

  const resourceOf = async (collection: Collection, name: string, tags: CanonicalTags): Promise<CloudResource> => ({
    kind: KIND[collection],
    id: `projects/${await gce.project()}/global/${collection}/${name}`,
    name,
    tags,
  });

  const get = async (operation: string, collection: Collection, name: string): Promise<Described | undefined> => {
    try {
      return await gce.call(operation, async (clients, settings, project) =>
        collection === 'networks' ? (await clients.networks.get({ project, network: name }, settings))[0] : (await clients.firewalls.get({ project, firewall: name }, settings))[0],
      );
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return undefined;
      throw error;
    }
  };

  const settle = (operation: string, started: Operation): Promise<void> =>
    settleOperation(gce, operation, started, (name) => async (clients, settings, project) => (await clients.globalOperations.get({ project, operation: name }, settings))[0]);

  /** Throws unless the resource carries this cluster's management and cluster tags. */
  const checkOurs = (operation: string, collection: Collection, found: Described, infraId: string, managementId: string | undefined): CanonicalTags => {
    const tags = tagsInDescription(found.description);
    const ours = tags[TAG.cluster] === infraId && tags[TAG.management] !== undefined && (managementId === undefined || tags[TAG.management] === managementId);
    if (!ours) {
      throw new ProviderError('invalid', `gcp ${operation}: ${collection === 'networks' ? 'network' : 'firewall'} ${found.name ?? '?'} exists but is not this cluster's (its description has no Slipway tags for ${infraId}); remove or rename it`, { operation });
    }
    return tags;
  };

  const insert = async (operation: string, collection: Collection, body: protos.google.cloud.compute.v1.INetwork | protos.google.cloud.compute.v1.IFirewall): Promise<void> => {
    let started: Operation;
    try {
      const [answer] = await gce.call(operation, (clients, settings, project) =>
        collection === 'networks' ? clients.networks.insert({ project, networkResource: body }, settings) : clients.firewalls.insert({ project, firewallResource: body }, settings),
      );
      started = operationIn(answer);
    } catch (error) {
      // Made by an earlier attempt whose answer was lost; the caller reads it back.
      if (error instanceof GceError && error.reason === 'alreadyExists') return;
      throw error;
    }
    await settle(operation, started);
  };

  const ensure = async (request: ClusterInfraRequest, collection: Collection, name: string, body: () => protos.google.cloud.compute.v1.INetwork | protos.google.cloud.compute.v1.IFirewall): Promise<CloudResource> => {
    const operation = `create cluster ${collection === 'networks' ? 'network' : 'firewall'}`;
    const managementId = request.tags[TAG.management];
    let found = await get(operation, collection, name);
    if (!found) {
      await insert(operation, collection, body());
      found = await get(operation, collection, name);
      if (!found) throw new ProviderError('retryable', `gcp ${operation}: ${name} was made but cannot be read back yet (the call is retried)`, { operation });
    }
    return resourceOf(collection, name, checkOurs(operation, collection, found, request.infraId, managementId));
  };

  /** Deletes one of the cluster's resources and waits until it is gone; a missing one is fine. */
  const remove = async (collection: Collection, name: string, infraId: string, managementId?: string): Promise<void> => {
    const operation = `delete cluster ${collection === 'networks' ? 'network' : 'firewall'}`;
    const found = await get(operation, collection, name);
    if (!found) return;
    checkOurs(operation, collection, found, infraId, managementId);
    await deleteAndSettle(
      gce,
      operation,
      (clients, settings, project) => (collection === 'networks' ? clients.networks.delete({ project, network: name }, settings) : clients.firewalls.delete({ project, firewall: name }, settings)),
      (answer) => settle(operation, answer),
    );
  };

  const listCollection = async function* (collection: Collection, query: TagQuery): AsyncGenerator<CloudResource> {
    const operation = `list cluster ${collection}`;
    const infraId = query[TAG.cluster];
    // With the cluster known, only one name can match; otherwise every resource is read, page by page.
    const filter = infraId !== undefined ? nameFilter(collection === 'networks' ? networkName(infraId) : firewallName(infraId)) : undefined;
    if (infraId !== undefined && !GCE_NAME.test(infraId)) return;
    const guard = pageGuard('gcp', operation);
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const request = { project: await gce.project(), maxResults: gce.pageSize, ...(filter ? { filter } : {}), ...(token ? { pageToken: token } : {}) };
      const [items, next] = await gce.call(operation, async (clients, settings) => {
        const options = { ...settings, autoPaginate: false };
        if (collection === 'networks') {
          const [found, , page] = await clients.networks.list(request, options);
          return [found satisfies Described[], page?.nextPageToken] as const;
        }
        const [found, , page] = await clients.firewalls.list(request, options);
        return [found satisfies Described[], page?.nextPageToken] as const;
      });
      for (const item of items) {
        const tags = tagsInDescription(item.description);
        if (item.name && listedBy(tags, query)) yield await resourceOf(collection, item.name, tags);
      }
      pageToken = next || undefined;
      if (pageToken) guard.next(pageToken);
    } while (pageToken);
  };

  return {
    async ensureClusterInfra(request) {
      const { infraId } = request;
      if (!GCE_NAME.test(infraId) || infraId.length > MAX_INFRA_ID_LENGTH) {
        throw new ProviderError('invalid', `gcp create cluster network: infraId "${infraId}" must be a Compute Engine name of at most ${MAX_INFRA_ID_LENGTH} characters`, { operation: 'create cluster network' });
      }
      const tags: CanonicalTags = { ...request.tags, [TAG.cluster]: infraId };
      const network = await ensure(request, 'networks', networkName(infraId), () => ({
        name: networkName(infraId),
        autoCreateSubnetworks: true,
        routingConfig: { routingMode: 'REGIONAL' },
        description: describeWithTags('create cluster network', `Slipway cluster ${infraId}: network`, tags),
      }));
      const firewall = await ensure(request, 'firewalls', firewallName(infraId), () => ({
        name: firewallName(infraId),
        network: `global/networks/${networkName(infraId)}`,
        direction: 'INGRESS',
        priority: 1000,
        allowed: [{ IPProtocol: 'tcp', ports: [KUBE_API_PORT] }],
        sourceRanges: [AUTO_MODE_RANGE],
        targetTags: [infraId],
        description: describeWithTags('create cluster firewall', `Slipway cluster ${infraId}: Kubernetes API from the cluster network`, tags),
      }));
      placed.set(infraId, networkName(infraId));
      return { apiURL: `https://api.${request.clusterName}.${request.baseDomain}:${KUBE_API_PORT}`, resources: [network, firewall] };
    },

    async deleteClusterInfra(infraId, managementId) {
      placed.delete(infraId);
      if (!GCE_NAME.test(infraId)) return;
      await remove('firewalls', firewallName(infraId), infraId, managementId);
      await remove('networks', networkName(infraId), infraId, managementId);
    },

    async *listNetworkResources(query) {
      yield* listCollection('firewalls', query);
      yield* listCollection('networks', query);
    },

    async deleteNetworkResource(resource) {
      const match = /^projects\/[^/]+\/global\/(networks|firewalls)\/([^/]+)$/.exec(resource.id);
      const collection = match?.[1] === 'networks' || match?.[1] === 'firewalls' ? match[1] : undefined;
      const name = match?.[2];
      const infraId = resource.tags[TAG.cluster];
      if (!collection || !name || infraId === undefined) {
        throw new ProviderError('invalid', `gcp delete resource: "${resource.id}" is not a cluster network or firewall of this adapter`, { operation: 'delete resource' });
      }
      if (collection === 'networks') placed.delete(infraId);
      await remove(collection, name, infraId);
    },

    async networkFor(infraId) {
      const known = placed.get(infraId);
      if (known) return known;
      const found = await get('create machine', 'networks', networkName(infraId));
      const tags = tagsInDescription(found?.description);
      if (!found || tags[TAG.cluster] !== infraId || tags[TAG.management] === undefined) {
        throw infrastructureNotReady('gcp', 'create machine', infraId, `the network ${networkName(infraId)} tagged for the cluster`);
      }
      placed.set(infraId, networkName(infraId));
      return networkName(infraId);
    },
  };
}
