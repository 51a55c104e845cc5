/**
 * Unmanaged zonal instance groups of Compute Engine API v1 (`instanceGroups.insert`, `get`,
 * `delete`, `list`, `addInstances`, `removeInstances`, `listInstances` under
 * /compute/v1/projects/{p}/zones/{z}/instanceGroups[/{name}[/{method}]]), each mutation answering
 * a zonal Operation.
 *
 * As the reference describes: a group has no labels; its `network` is set at insert or by the
 * first instance added, and every member must be in that network and the group's zone; adding a
 * member twice is 400 memberAlreadyExists; an instance that is deleted leaves its groups by itself
 * (a new instance of the same name is not a member); deleting a group leaves its instances alone,
 * but a group a backend service uses cannot be deleted (resourceInUseByAnotherResource), and a
 * group keeps its network in use. `listInstances` is a POST whose body picks `instanceState`
 * (ALL or RUNNING), paged like every list. Removing an instance that is not a member is refused
 * here as 400 memberNotFound.
 */
import { createHash } from 'node:crypto';
import { GceFailure, failures, gceTimestamp, isRecord, json, stringField, type GceAnswer, type GceRequest } from './http';
import { apiBase, checkName, type ProjectContext } from './context';
import { compileFilter } from './filter';
import type { Instances } from './instances';
import type { GlobalResources } from './networks';
import { newResourceId, requestIdOf, type OperationType } from './operations';
import { pageOf } from './paging';

interface GroupRecord {
  readonly id: string;
  readonly zone: string;
  readonly name: string;
  readonly createdAt: number;
  readonly readyAt: number;
  deleteRequestedAt?: number;
  goneAt?: number;
  readonly description: string | undefined;
  readonly namedPorts: readonly unknown[];
  networkName: string | undefined;
  /** Member instance name to the id of the instance that was added: a later instance of that name is not a member. */
  readonly members: Map<string, string>;
}

/** Who uses a group (backend services, by path), given the group's `zone/name`. */
export type GroupUse = (key: string) => string[];

const INSTANCE_COLLECTION = /zones\/([^/]+)\/instances/;
const GROUP_COLLECTION = /zones\/([^/]+)\/instanceGroups/;
const INSTANCE_STATES = ['ALL', 'RUNNING'];

export class InstanceGroups {
  private readonly records = new Map<string, GroupRecord>();
  private groupUse: GroupUse = () => [];

  constructor(
    private readonly context: ProjectContext,
    private readonly globals: GlobalResources,
    private readonly instances: Instances,
  ) {
    globals.setNetworkUse({
      instancesUsing: (network) => [...this.records.values()].filter((record) => this.visible(record) && record.networkName === network).map((record) => this.path(record.zone, record.name)),
    });
  }

  /** Backend services register here, so a group they use cannot be deleted. */
  setGroupUse(use: GroupUse): void {
    this.groupUse = use;
  }

  private path(zone: string, name: string): string {
    return `projects/${this.context.project}/zones/${zone}/instanceGroups/${name}`;
  }

  private instancePath(zone: string, name: string): string {
    return `projects/${this.context.project}/zones/${zone}/instances/${name}`;
  }

  private visible(record: GroupRecord): boolean {
    return record.goneAt === undefined || this.context.now() < record.goneAt;
  }

  private find(zone: string, name: string): GroupRecord | undefined {
    for (const [key, record] of this.records) if (!this.visible(record)) this.records.delete(key);
    return this.records.get(`${zone}/${name}`);
  }

  /** The members whose instance is still the one that was added. */
  private members(record: GroupRecord): { name: string; status: string }[] {
    const live: { name: string; status: string }[] = [];
    for (const [name, id] of record.members) {
      const instance = this.instances.live(record.zone, name);
      if (instance && instance.id === id) live.push({ name, status: instance.status });
      else record.members.delete(name);
    }
    return live;
  }

  /**
   * A group reference a backend service may use: `zone/name` of a group that exists and is
   * ready, else GCE's refusal naming the field.
   */
  usable(field: string, reference: string): string {
    const match = new RegExp(`^(?:https?://[^/]+/compute/v1/)?(?:projects/([^/]+)/)?${GROUP_COLLECTION.source}/([^/]+)$`).exec(reference);
    const [, project, zone = '', name = ''] = match ?? [];
    const record = match && (project === undefined || project === this.context.project) ? this.find(zone, name) : undefined;
    if (!record || record.deleteRequestedAt !== undefined) throw failures.invalid(field, reference, 'The referenced instance group resource cannot be found.');
    if (this.context.now() < record.readyAt) throw failures.notReady(this.path(zone, name));
    return `${zone}/${name}`;
  }

  /** The group's network, once it has one: an internal backend service checks its backends are in its network. */
  networkOf(key: string): string | undefined {
    return this.records.get(key)?.networkName;
  }

  /** The full URL of a group by its `zone/name`. */
  link(origin: string, key: string): string {
    const [zone = '', name = ''] = key.split('/');
    return `${apiBase(origin, this.context.project)}/zones/${zone}/instanceGroups/${name}`;
  }

  private render(record: GroupRecord, origin: string): Record<string, unknown> {
    const base = apiBase(origin, this.context.project);
    const members = this.members(record);
    return {
      kind: 'compute#instanceGroup',
      id: record.id,
      creationTimestamp: gceTimestamp(record.createdAt),
      name: record.name,
      ...(record.description !== undefined ? { description: record.description } : {}),
      ...(record.namedPorts.length > 0 ? { namedPorts: record.namedPorts } : {}),
      ...(record.networkName !== undefined
        ? { network: `${base}/global/networks/${record.networkName}`, subnetwork: `${base}/regions/${this.context.region}/subnetworks/${record.networkName}` }
        : {}),
      fingerprint: createHash('sha256').update(JSON.stringify([record.id, ...members.map((member) => member.name)])).digest('base64').slice(0, 12),
      zone: `${base}/zones/${record.zone}`,
      size: members.length,
      selfLink: `${base}/zones/${record.zone}/instanceGroups/${record.name}`,
    };
  }

  private started(zone: string, operationType: OperationType, record: GroupRecord, requestId: string | undefined, origin: string, doneAt: number): GceAnswer {
    const { operations } = this.context;
    const operation = operations.start({ scope: `zones/${zone}`, operationType, targetPath: this.path(zone, record.name), targetId: record.id, requestId, doneAt });
    return json(200, operations.render(operation, origin));
  }

  private insert(zone: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(`zones/${zone}`, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const body = isRecord(request.body) ? request.body : {};
    const name = checkName('resource.name', body.name);
    const network = stringField(body, 'network');
    const networkName = network === undefined ? undefined : this.globals.usableNetwork('resource.network', network);
    const namedPorts = Array.isArray(body.namedPorts) ? body.namedPorts : [];
    namedPorts.forEach((port, index) => {
      if (!isRecord(port) || typeof port.name !== 'string' || port.name === '') throw failures.required(`resource.namedPorts[${index}].name`);
      if (typeof port.port !== 'number' || !Number.isInteger(port.port) || port.port < 1 || port.port > 65535) throw failures.invalid(`resource.namedPorts[${index}].port`, String(port.port), 'Must be a port from 1 to 65535.');
    });
    if (this.find(zone, name)) throw failures.alreadyExists(this.path(zone, name));
    const createdAt = now();
    const record: GroupRecord = { id: newResourceId(), zone, name, createdAt, readyAt: createdAt + timings.globalOperationMs, description: stringField(body, 'description'), namedPorts, networkName, members: new Map() };
    this.records.set(`${zone}/${name}`, record);
    return this.started(zone, 'insert', record, requestId, request.origin, record.readyAt);
  }

  private delete(zone: string, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(`zones/${zone}`, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const record = this.find(zone, name);
    if (!record) throw failures.notFound(this.path(zone, name));
    if (record.deleteRequestedAt !== undefined || now() < record.readyAt) throw failures.notReady(this.path(zone, name));
    const user = this.groupUse(`${zone}/${name}`)[0];
    if (user !== undefined) throw failures.inUse(this.path(zone, name), user);
    record.deleteRequestedAt = now();
    record.goneAt = record.deleteRequestedAt + timings.globalOperationMs;
    return this.started(zone, 'delete', record, requestId, request.origin, record.goneAt);
  }

  /** The instance names a membership request names, each checked to be an instance reference in the group's zone. */
  private referencedInstances(record: GroupRecord, body: unknown): string[] {
    const listed = isRecord(body) && Array.isArray(body.instances) ? body.instances : [];
    if (listed.length === 0) throw failures.required('resource.instances');
    return listed.map((entry, index) => {
      const field = `resource.instances[${index}].instance`;
      const reference = isRecord(entry) ? stringField(entry, 'instance') : undefined;
      if (reference === undefined || reference === '') throw failures.required(field);
      const match = new RegExp(`^(?:https?://[^/]+/compute/v1/)?(?:projects/([^/]+)/)?${INSTANCE_COLLECTION.source}/([^/]+)$`).exec(reference);
      const [, project, zone, name] = match ?? [];
      if (!match || name === undefined || (project !== undefined && project !== this.context.project)) throw failures.invalid(field, reference, 'Must be an instance URL such as zones/<zone>/instances/<name>.');
      if (zone !== record.zone) throw failures.invalid(field, reference, `Instance must be in zone '${record.zone}', the zone of the instance group.`);
      return name;
    });
  }

  private membership(zone: string, name: string, action: 'addInstances' | 'removeInstances', request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(`zones/${zone}`, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const record = this.find(zone, name);
    if (!record || record.deleteRequestedAt !== undefined) throw failures.notFound(this.path(zone, name));
    if (now() < record.readyAt) throw failures.notReady(this.path(zone, name));
    const names = this.referencedInstances(record, request.body);
    const current = new Set(this.members(record).map((member) => member.name));
    if (action === 'addInstances') {
      const found = names.map((instanceName) => {
        const instance = this.instances.live(zone, instanceName);
        if (!instance) throw failures.notFound(this.instancePath(zone, instanceName));
        if (current.has(instanceName)) throw new GceFailure(400, 'memberAlreadyExists', `Resource '${this.instancePath(zone, instanceName)}' is already a member of '${this.path(zone, name)}'.`);
        return { instanceName, instance };
      });
      const network = record.networkName ?? found[0]?.instance.networkName;
      for (const { instanceName, instance } of found) {
        if (instance.networkName !== network) {
          throw failures.invalid('resource.instances', this.instancePath(zone, instanceName), `Instance is in network '${instance.networkName}', but all instances of the group must be in network '${network ?? ''}'.`);
        }
      }
      record.networkName = network;
      for (const { instanceName, instance } of found) record.members.set(instanceName, instance.id);
    } else {
      for (const instanceName of names) {
        if (!current.has(instanceName)) throw new GceFailure(400, 'memberNotFound', `Resource '${this.instancePath(zone, instanceName)}' is not a member of '${this.path(zone, name)}'.`);
      }
      for (const instanceName of names) record.members.delete(instanceName);
    }
    return this.started(zone, action, record, requestId, request.origin, now() + timings.globalOperationMs);
  }

  private listInstances(zone: string, name: string, request: GceRequest): GceAnswer {
    const record = this.find(zone, name);
    if (!record) throw failures.notFound(this.path(zone, name));
    const state = isRecord(request.body) ? (stringField(request.body, 'instanceState') ?? 'ALL') : 'ALL';
    if (!INSTANCE_STATES.includes(state)) throw failures.invalid('resource.instanceState', state, `Must be one of ${INSTANCE_STATES.join(', ')}.`);
    const base = apiBase(request.origin, this.context.project);
    const matches = compileFilter(request.query.get('filter'));
    const rendered = this.members(record)
      .filter((member) => state === 'ALL' || member.status === 'RUNNING')
      .map((member) => ({ name: member.name, resource: { instance: `${base}/zones/${zone}/instances/${member.name}`, status: member.status } }))
      .filter((item) => matches(item.resource));
    const page = pageOf(rendered, request.query);
    return json(200, {
      kind: 'compute#instanceGroupsListInstances',
      id: `${this.path(zone, name)}/listInstances`,
      ...(page.items.length > 0 ? { items: page.items.map((item) => item.resource) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: `${base}/zones/${zone}/instanceGroups/${name}/listInstances`,
    });
  }

  private list(zone: string, request: GceRequest): GceAnswer {
    this.find(zone, '');
    const matches = compileFilter(request.query.get('filter'));
    const rendered = [...this.records.values()].filter((record) => record.zone === zone).map((record) => this.render(record, request.origin)).filter(matches);
    const page = pageOf(rendered.map((resource) => ({ name: String(resource.name), resource })), request.query);
    return json(200, {
      kind: 'compute#instanceGroupList',
      id: `projects/${this.context.project}/zones/${zone}/instanceGroups`,
      ...(page.items.length > 0 ? { items: page.items.map((item) => item.resource) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: `${apiBase(request.origin, this.context.project)}/zones/${zone}/instanceGroups`,
    });
  }

  /** Routes zones/{zone}/instanceGroups...; undefined for any other path. */
  route(request: GceRequest): GceAnswer | undefined {
    const [scope, zone, collection, name, method, ...rest] = request.segments;
    if (scope !== 'zones' || zone === undefined || collection !== 'instanceGroups' || rest.length > 0) return undefined;
    if (!this.context.zones.has(zone)) throw failures.invalid('zone', zone, 'Unknown zone.');
    if (name === undefined) {
      if (request.method === 'GET') return this.list(zone, request);
      if (request.method === 'POST') return this.insert(zone, request);
    } else if (method === undefined) {
      if (request.method === 'GET') {
        const record = this.find(zone, name);
        if (!record) throw failures.notFound(this.path(zone, name));
        return json(200, this.render(record, request.origin));
      }
      if (request.method === 'DELETE') return this.delete(zone, name, request);
    } else if (request.method === 'POST') {
      if (method === 'addInstances' || method === 'removeInstances') return this.membership(zone, name, method, request);
      if (method === 'listInstances') return this.listInstances(zone, name, request);
      throw new GceFailure(404, 'notFound', `The requested URL ${request.segments.join('/')} was not found on this server.`);
    }
    throw new GceFailure(405, 'httpMethodNotAllowed', `Method ${request.method} is not allowed on this resource.`);
  }

  /** The group and its members' names as GCE would list them now, for tests. */
  peek(zone: string, name: string, origin: string): { readonly group: Record<string, unknown>; readonly members: readonly string[] } | undefined {
    const record = this.find(zone, name);
    if (!record) return undefined;
    return { group: this.render(record, origin), members: this.members(record).map((member) => member.name).sort() };
  }
}
