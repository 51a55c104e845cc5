/**
 * The simulated cloud's provider adapter: ProviderAdapter over the cloud's HTTP API
 * (providers/simulated/cloud-server.ts). Canonical tags are stored as they are: this
 * cloud, like EC2, allows '/' and '.' in tag keys.
 */
import type { CanonicalTags, CloudMachine, NodeReport, CloudResource, CloudResourceKind, ClusterInfra, ClusterInfraRequest, MachineCreateRequest, ProviderAdapter, TagQuery } from '../types';
import { UNMETERED, apiClassOfMethod, type CallMeter } from '../rate-limit';
import { ProviderError } from '../types';
import { isOwned, type OwnershipScope } from '../tags';
import { pageGuard } from '../paging';

export interface SimulatedAdapterOptions {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  readonly requestTimeoutMs?: number;
  readonly pageSize?: number;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

interface WireResource {
  kind: CloudResourceKind;
  id: string;
  name: string;
  tags: CanonicalTags;
  createdAt?: string;
  phase?: CloudMachine['phase'];
  privateIp?: string;
  node?: NodeReport | null;
}

const INFRA_COLLECTION: Record<Exclude<CloudResourceKind, 'machine'>, string> = {
  network: 'networks',
  securityGroup: 'securitygroups',
  loadBalancer: 'loadbalancers',
  dnsRecord: 'dnsrecords',
};
/** Teardown order: what depends on a resource goes before it. */
const INFRA_DELETE_ORDER: readonly Exclude<CloudResourceKind, 'machine'>[] = ['dnsRecord', 'loadBalancer', 'securityGroup', 'network'];

function toMachine(wire: WireResource): CloudMachine {
  return {
    providerId: `simulated://${wire.id}`,
    name: wire.name,
    phase: wire.phase ?? 'pending',
    tags: wire.tags,
    ...(wire.createdAt ? { createdAt: wire.createdAt } : {}),
    ...(wire.privateIp ? { privateIp: wire.privateIp } : {}),
    ...(wire.node !== undefined ? { node: wire.node } : {}),
  };
}

function machineId(providerId: string): string {
  return providerId.replace(/^simulated:\/\//, '');
}

function classify(status: number, message: string, retryAfter: string | null, operation: string): ProviderError {
  if (status === 429) {
    const seconds = Number(retryAfter);
    return new ProviderError('throttled', `simulated cloud throttled ${operation}: ${message}`, {
      operation,
      status,
      ...(Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}),
    });
  }
  if (status === 404) return new ProviderError('notFound', `${operation}: ${message}`, { operation, status });
  if (status === 403) return new ProviderError('quota', `${operation}: ${message}`, { operation, status });
  if (status === 400 || status === 422) return new ProviderError('invalid', `${operation}: ${message}`, { operation, status });
  if (status === 401) return new ProviderError('credentials', `${operation}: the simulated cloud refused the credentials; check the credentials secret`, { operation, status });
  return new ProviderError('retryable', `${operation}: simulated cloud answered ${status}: ${message}`, { operation, status });
}

export function createSimulatedAdapter(options: SimulatedAdapterOptions): ProviderAdapter {
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  // The simulated cloud's largest page: a quiet fleet's observer pass costs one call per page.
  const pageSize = options.pageSize ?? 500;

  const meter = options.meter ?? UNMETERED;
  const call = async <T>(operation: string, method: string, path: string, body?: unknown): Promise<T | undefined> => {
    await meter(apiClassOfMethod(method));
    let response: Response;
    try {
      response = await fetch(new URL(path, options.baseUrl), {
        method,
        headers: {
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'the connection failed';
      throw new ProviderError('retryable', `${operation}: ${reason}`, { operation });
    }
    if (response.status === 204) return undefined;
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON; keep the raw text
      }
      throw classify(response.status, message, response.headers.get('retry-after'), operation);
    }
    return JSON.parse(text) as T;
  };

  async function* pages(path: string, query: TagQuery, extra: Record<string, string> = {}): AsyncGenerator<WireResource> {
    const guard = pageGuard('simulated', `list ${path}`);
    let pageToken: string | undefined;
    do {
      const params = new URLSearchParams({ pageSize: String(pageSize), ...extra, ...(pageToken ? { pageToken } : {}) });
      for (const [key, value] of Object.entries(query)) params.append('tag', `${key}=${value}`);
      const page = await call<{ items: WireResource[]; nextPageToken?: string }>('list', 'GET', `${path}?${params}`);
      for (const item of page?.items ?? []) yield item;
      pageToken = page?.nextPageToken;
      if (pageToken) guard.next(pageToken);
    } while (pageToken);
  }

  const describeMachine = async (name: string): Promise<CloudMachine | undefined> => {
    for await (const item of pages('/v1/machines', {}, { name })) {
      const machine = toMachine(item);
      if (machine.phase !== 'terminated') return machine;
    }
    return undefined;
  };

  const deleteMachine = async (providerId: string): Promise<void> => {
    try {
      await call('delete machine', 'DELETE', `/v1/machines/${encodeURIComponent(machineId(providerId))}`);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return;
      throw error;
    }
  };

  const deleteResource = async (resource: CloudResource): Promise<void> => {
    if (resource.kind === 'machine') return deleteMachine(resource.id.startsWith('simulated://') ? resource.id : `simulated://${resource.id}`);
    try {
      await call(`delete ${resource.kind}`, 'DELETE', `/v1/${INFRA_COLLECTION[resource.kind]}/${encodeURIComponent(resource.id)}`);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return;
      throw error;
    }
  };

  const ensure = async (kind: Exclude<CloudResourceKind, 'machine'>, body: Record<string, unknown>): Promise<CloudResource> => {
    const created = await call<WireResource>(`create ${kind}`, 'POST', `/v1/${INFRA_COLLECTION[kind]}`, body);
    if (!created) throw new ProviderError('retryable', `create ${kind}: empty answer`);
    return { kind, id: created.id, name: created.name, tags: created.tags };
  };

  return {
    platform: 'simulated',

    async createMachine(request: MachineCreateRequest): Promise<CloudMachine> {
      // The cloud dedupes by token too, but a lookup by name is what makes a create safe on
      // clouds that ignore tokens; every adapter does it, so this one does as well.
      const existing = await describeMachine(request.name);
      if (existing) return existing;
      const created = await call<WireResource>('create machine', 'POST', '/v1/machines', {
        name: request.name,
        instanceType: request.instanceType,
        image: request.image,
        tags: request.tags,
        idempotencyToken: request.idempotencyToken,
        ...(request.bootstrap ? { bootstrap: request.bootstrap } : {}),
      });
      if (!created) throw new ProviderError('retryable', 'create machine: empty answer');
      return toMachine(created);
    },

    describeMachine,

    async *listMachines(query: TagQuery): AsyncIterable<CloudMachine> {
      for await (const item of pages('/v1/machines', query)) yield toMachine(item);
    },

    deleteMachine,

    async ensureClusterInfra(request: ClusterInfraRequest): Promise<ClusterInfra> {
      const apiHost = `api.${request.clusterName}.${request.baseDomain}`;
      const network = await ensure('network', { name: `${request.infraId}-vpc`, tags: request.tags, region: request.region, cidr: '10.0.0.0/16' });
      const securityGroup = await ensure('securityGroup', { name: `${request.infraId}-sg`, tags: request.tags, networkId: network.id });
      const loadBalancer = await ensure('loadBalancer', { name: `${request.infraId}-api`, tags: request.tags, networkId: network.id, port: '6443' });
      const dnsRecord = await ensure('dnsRecord', { name: apiHost, tags: request.tags, target: loadBalancer.id });
      return { apiURL: `https://${apiHost}:6443`, resources: [network, securityGroup, loadBalancer, dnsRecord] };
    },

    async deleteClusterInfra(infraId: string, scope: OwnershipScope = {}): Promise<void> {
      const found: CloudResource[] = [];
      for await (const item of pages('/v1/resources', { 'slipway.dev/cluster': infraId })) {
        if (item.kind !== 'machine' && isOwned(item.tags, infraId, scope)) found.push({ kind: item.kind, id: item.id, name: item.name, tags: item.tags });
      }
      for (const kind of INFRA_DELETE_ORDER) {
        for (const resource of found.filter((candidate) => candidate.kind === kind)) await deleteResource(resource);
      }
    },

    async *listResources(query: TagQuery): AsyncIterable<CloudResource> {
      for await (const item of pages('/v1/resources', query)) {
        yield { kind: item.kind, id: item.kind === 'machine' ? `simulated://${item.id}` : item.id, name: item.name, tags: item.tags, ...(item.createdAt ? { createdAt: item.createdAt } : {}) };
      }
    },

    deleteResource,

    async tagResource(resource: CloudResource, tags: CanonicalTags): Promise<void> {
      const id = resource.kind === 'machine' ? machineId(resource.id) : resource.id;
      await call(`tag ${resource.kind}`, 'PATCH', `/v1/resources/${encodeURIComponent(id)}/tags`, { tags });
    },
  };
}
