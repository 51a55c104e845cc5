/**
 * Global resources: networks and firewalls (Compute Engine API v1 `networks` and `firewalls`:
 * insert, get, delete, list). Neither has labels in v1. A network is usable by firewalls and
 * instances once its insert operation is DONE (before that: resourceNotReady); it cannot be
 * deleted while a firewall or an instance uses it (resourceInUseByAnotherResource). A deleted
 * resource stays visible until its delete operation is DONE, and a second delete meanwhile is
 * refused as resourceNotReady.
 */
import { GceFailure, failures, gceTimestamp, isRecord, json, stringField, type GceAnswer, type GceRequest } from './http';
import { apiBase, checkName, referencedName, type ProjectContext } from './context';
import { compileFilter } from './filter';
import { newResourceId, requestIdOf } from './operations';
import { pageOf } from './paging';

type GlobalKind = 'networks' | 'firewalls';

interface GlobalRecord {
  readonly kind: GlobalKind;
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly readyAt: number;
  deleteRequestedAt?: number;
  goneAt?: number;
  /** The fields the client set, as stored. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** For a firewall: the network it belongs to. */
  readonly networkName?: string;
}

export interface NetworkUse {
  /** The resources (instances, forwarding rules; by path) that use a network and are not gone. */
  instancesUsing(networkName: string): string[];
}

const NETWORK_COLLECTION = /global\/networks/;

export class GlobalResources {
  private readonly records: Record<GlobalKind, Map<string, GlobalRecord>> = { networks: new Map(), firewalls: new Map() };
  private readonly uses: NetworkUse[] = [];

  constructor(private readonly context: ProjectContext) {
    const now = context.now();
    this.records.networks.set('default', { kind: 'networks', id: newResourceId(), name: 'default', createdAt: now, readyAt: now, fields: { autoCreateSubnetworks: true, description: 'Default network for the project' } });
  }

  /** Adds one more kind of network user (instances, forwarding rules). */
  setNetworkUse(use: NetworkUse): void {
    this.uses.push(use);
  }

  private path(kind: GlobalKind, name: string): string {
    return `projects/${this.context.project}/global/${kind}/${name}`;
  }

  private visible(record: GlobalRecord): boolean {
    return record.goneAt === undefined || this.context.now() < record.goneAt;
  }

  private sweep(kind: GlobalKind): void {
    for (const [name, record] of this.records[kind]) if (!this.visible(record)) this.records[kind].delete(name);
  }

  private find(kind: GlobalKind, name: string): GlobalRecord | undefined {
    this.sweep(kind);
    return this.records[kind].get(name);
  }

  /** A network instances and firewalls may attach to: the name, or a failure naming the field. */
  usableNetwork(field: string, reference: string): string {
    const name = referencedName(reference, this.context.project, NETWORK_COLLECTION);
    const record = name === undefined ? undefined : this.find('networks', name);
    if (name === undefined || !record || record.deleteRequestedAt !== undefined) {
      throw failures.invalid(field, reference, 'The referenced network resource cannot be found.');
    }
    if (this.context.now() < record.readyAt) throw failures.notReady(this.path('networks', name));
    return name;
  }

  private render(record: GlobalRecord, origin: string): Record<string, unknown> {
    const base = apiBase(origin, this.context.project);
    const common = {
      id: record.id,
      creationTimestamp: gceTimestamp(record.createdAt),
      name: record.name,
      ...(typeof record.fields.description === 'string' ? { description: record.fields.description } : {}),
      selfLink: `${base}/global/${record.kind}/${record.name}`,
    };
    if (record.kind === 'networks') {
      const auto = record.fields.autoCreateSubnetworks !== false;
      return {
        kind: 'compute#network',
        ...common,
        autoCreateSubnetworks: auto,
        ...(auto ? { subnetworks: [`${base}/regions/${this.context.region}/subnetworks/${record.name}`] } : {}),
        routingConfig: { routingMode: 'REGIONAL' },
        networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
        selfLinkWithId: `${base}/global/networks/${record.id}`,
      };
    }
    return {
      kind: 'compute#firewall',
      ...common,
      network: `${base}/global/networks/${record.networkName ?? 'default'}`,
      priority: typeof record.fields.priority === 'number' ? record.fields.priority : 1000,
      direction: stringField(record.fields, 'direction') ?? 'INGRESS',
      ...Object.fromEntries(['sourceRanges', 'destinationRanges', 'sourceTags', 'targetTags', 'allowed', 'denied'].flatMap((key) => (Array.isArray(record.fields[key]) ? [[key, record.fields[key]]] : []))),
      logConfig: { enable: false },
      disabled: record.fields.disabled === true,
    };
  }

  private firewallFields(body: Record<string, unknown>): { fields: Record<string, unknown>; networkName: string } {
    const allowed = body.allowed;
    const denied = body.denied;
    const rules = [...(Array.isArray(allowed) ? allowed : []), ...(Array.isArray(denied) ? denied : [])];
    if (rules.length === 0) throw failures.required('resource.allowed');
    rules.forEach((rule, index) => {
      if (!isRecord(rule) || typeof rule.IPProtocol !== 'string' || rule.IPProtocol === '') throw failures.required(`resource.allowed[${index}].IPProtocol`);
    });
    const direction = stringField(body, 'direction') ?? 'INGRESS';
    if (direction !== 'INGRESS' && direction !== 'EGRESS') throw failures.invalid('resource.direction', direction, "Must be 'INGRESS' or 'EGRESS'.");
    const networkName = this.usableNetwork('resource.network', stringField(body, 'network') ?? 'global/networks/default');
    return { fields: body, networkName };
  }

  private insert(kind: GlobalKind, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay('global', requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const body = isRecord(request.body) ? request.body : {};
    const name = checkName('resource.name', body.name);
    const { fields, networkName } = kind === 'firewalls' ? this.firewallFields(body) : { fields: body, networkName: undefined };
    if (this.find(kind, name)) throw failures.alreadyExists(this.path(kind, name));
    const createdAt = now();
    const record: GlobalRecord = { kind, id: newResourceId(), name, createdAt, readyAt: createdAt + timings.globalOperationMs, fields, ...(networkName !== undefined ? { networkName } : {}) };
    this.records[kind].set(name, record);
    const operation = operations.start({ scope: 'global', operationType: 'insert', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: record.readyAt });
    return json(200, operations.render(operation, request.origin));
  }

  private delete(kind: GlobalKind, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay('global', requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const record = this.find(kind, name);
    if (!record) throw failures.notFound(this.path(kind, name));
    if (record.deleteRequestedAt !== undefined || now() < record.readyAt) throw failures.notReady(this.path(kind, name));
    if (kind === 'networks') {
      const firewall = [...this.records.firewalls.values()].find((candidate) => this.visible(candidate) && candidate.networkName === name);
      const user = firewall ? this.path('firewalls', firewall.name) : this.uses.flatMap((use) => use.instancesUsing(name))[0];
      if (user !== undefined) throw failures.inUse(this.path(kind, name), user);
    }
    record.deleteRequestedAt = now();
    record.goneAt = record.deleteRequestedAt + timings.globalOperationMs;
    const operation = operations.start({ scope: 'global', operationType: 'delete', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: record.goneAt });
    return json(200, operations.render(operation, request.origin));
  }

  private list(kind: GlobalKind, request: GceRequest): GceAnswer {
    this.sweep(kind);
    const matches = compileFilter(request.query.get('filter'));
    const rendered = [...this.records[kind].values()].map((record) => this.render(record, request.origin)).filter(matches);
    const page = pageOf(rendered.map((resource) => ({ name: String(resource.name), resource })), request.query);
    return json(200, {
      kind: kind === 'networks' ? 'compute#networkList' : 'compute#firewallList',
      id: `projects/${this.context.project}/global/${kind}`,
      ...(page.items.length > 0 ? { items: page.items.map((item) => item.resource) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: `${apiBase(request.origin, this.context.project)}/global/${kind}`,
    });
  }

  /** Routes global/networks... and global/firewalls...; undefined for any other path. */
  route(request: GceRequest): GceAnswer | undefined {
    const [scope, collection, name, ...rest] = request.segments;
    if (scope !== 'global' || (collection !== 'networks' && collection !== 'firewalls') || rest.length > 0) return undefined;
    if (name === undefined) {
      if (request.method === 'GET') return this.list(collection, request);
      if (request.method === 'POST') return this.insert(collection, request);
    } else {
      if (request.method === 'GET') {
        const record = this.find(collection, name);
        if (!record) throw failures.notFound(this.path(collection, name));
        return json(200, this.render(record, request.origin));
      }
      if (request.method === 'DELETE') return this.delete(collection, name, request);
    }
    throw new GceFailure(405, 'httpMethodNotAllowed', `Method ${request.method} is not allowed on this resource.`);
  }
}
