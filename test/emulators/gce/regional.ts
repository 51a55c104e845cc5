/**
 * Regional load-balancing resources of Compute Engine API v1: regionHealthChecks,
 * regionBackendServices and forwardingRules (insert, get, delete, list under
 * /compute/v1/projects/{p}/regions/{r}/{healthChecks|backendServices|forwardingRules}), each
 * answering a regional Operation (regionOperations.get / wait, routed in emulator.ts).
 *
 * As the reference describes: health checks and backend services have no labels; forwarding rules
 * have `labels` (with a `labelFingerprint`), which forwardingRules.setLabels (POST
 * .../forwardingRules/{name}/setLabels with {labels, labelFingerprint}) replaces: a stale
 * fingerprint is 412 conditionNotMet, a missing one 400 required. A backend service of loadBalancingScheme INTERNAL
 * needs exactly one regional health check; an INTERNAL forwarding rule needs a network (auto-mode
 * here, so no subnetwork is asked for), a backend service, and gets an `IPAddress` from the
 * region's subnetwork range (10.128.0.0/20), taken from the top so it never meets an instance's.
 * A backend service's `backends` name zonal instance groups (instance-groups.ts) that must exist,
 * be in its network, and balance by CONNECTION when it is INTERNAL; regionBackendServices.patch
 * changes them, checking the fingerprint. A resource is usable once its insert operation is DONE;
 * one that another uses cannot be deleted (resourceInUseByAnotherResource): a health check or
 * instance group while a backend service names it, a backend service while a rule does, and a
 * forwarding rule or backend service keeps its network in use.
 */
import { createHash } from 'node:crypto';
import { GceFailure, failures, gceTimestamp, isRecord, json, stringField, type GceAnswer, type GceRequest } from './http';
import { apiBase, checkName, referencedName, type ProjectContext } from './context';
import { compileFilter } from './filter';
import type { InstanceGroups } from './instance-groups';
import type { GlobalResources } from './networks';
import { newResourceId, requestIdOf } from './operations';
import { pageOf } from './paging';

type RegionalKind = 'healthChecks' | 'backendServices' | 'forwardingRules';
/** What a regional resource can refer to; an instance group's name is `zone/name`. */
type UsedKind = RegionalKind | 'networks' | 'instanceGroups';
type Uses = readonly { readonly kind: UsedKind; readonly name: string }[];

interface RegionalRecord {
  readonly kind: RegionalKind;
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly readyAt: number;
  deleteRequestedAt?: number;
  goneAt?: number;
  /** A patch replaces what it names; the fingerprint changes with every change. */
  fields: Readonly<Record<string, unknown>>;
  /** Names of what this one refers to: a backend service's health check, network and backend groups, a rule's backend service and network. */
  uses: Uses;
  version: number;
  readonly ipAddress?: string;
}

const KINDS: readonly RegionalKind[] = ['healthChecks', 'backendServices', 'forwardingRules'];
const LIST_KIND: Readonly<Record<RegionalKind, string>> = { healthChecks: 'compute#healthCheckList', backendServices: 'compute#backendServiceList', forwardingRules: 'compute#forwardingRuleList' };
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const SCHEMES = ['INTERNAL', 'EXTERNAL', 'INTERNAL_MANAGED', 'EXTERNAL_MANAGED'];

const labelFingerprintOf = (labels: Readonly<Record<string, unknown>>): string => createHash('sha256').update(JSON.stringify(labels)).digest('base64').slice(0, 12);

function isKind(value: string | undefined): value is RegionalKind {
  return value === 'healthChecks' || value === 'backendServices' || value === 'forwardingRules';
}

export class RegionalResources {
  private readonly records: Record<RegionalKind, Map<string, RegionalRecord>> = { healthChecks: new Map(), backendServices: new Map(), forwardingRules: new Map() };
  /** Addresses handed out, counting down from 10.128.15.254. */
  private nextAddress = 15 * 256 + 254;

  constructor(
    private readonly context: ProjectContext,
    private readonly globals: GlobalResources,
    private readonly groups: InstanceGroups,
  ) {
    globals.setNetworkUse({ instancesUsing: (network) => this.users('networks', network) });
    groups.setGroupUse((key) => this.users('instanceGroups', key));
  }

  private path(kind: RegionalKind, name: string): string {
    return `projects/${this.context.project}/regions/${this.context.region}/${kind}/${name}`;
  }

  private visible(record: RegionalRecord): boolean {
    return record.goneAt === undefined || this.context.now() < record.goneAt;
  }

  private find(kind: RegionalKind, name: string): RegionalRecord | undefined {
    for (const [key, record] of this.records[kind]) if (!this.visible(record)) this.records[kind].delete(key);
    return this.records[kind].get(name);
  }

  private users(kind: UsedKind, name: string): string[] {
    return KINDS.flatMap((candidate) =>
      [...this.records[candidate].values()].filter((record) => this.visible(record) && record.uses.some((use) => use.kind === kind && use.name === name)).map((record) => this.path(candidate, record.name)),
    );
  }

  /** A regional reference that exists and is ready, else GCE's refusal naming the field. */
  private usable(field: string, kind: RegionalKind, reference: string): string {
    const name = referencedName(reference, this.context.project, new RegExp(`regions/${this.context.region}/${kind}`));
    const record = name === undefined ? undefined : this.find(kind, name);
    if (name === undefined || !record || record.deleteRequestedAt !== undefined) throw failures.invalid(field, reference, `The referenced ${kind === 'healthChecks' ? 'health check' : 'backend service'} resource cannot be found.`);
    if (this.context.now() < record.readyAt) throw failures.notReady(this.path(kind, name));
    return name;
  }

  private checkLabels(body: Record<string, unknown>): void {
    if (body.labels === undefined) return;
    if (!isRecord(body.labels)) throw failures.invalid('resource.labels', String(body.labels), 'Labels must be a map.');
    for (const [key, value] of Object.entries(body.labels)) {
      if (!LABEL_KEY.test(key)) throw failures.invalid(`resource.labels[${key}]`, key, 'Label keys must start with a lowercase letter and hold only lowercase letters, digits, _ and -, at most 63.');
      if (typeof value !== 'string' || !LABEL_VALUE.test(value)) throw failures.invalid(`resource.labels[${key}]`, String(value), 'Label values hold only lowercase letters, digits, _ and -, at most 63.');
    }
  }

  /** A backend service's `backends`: each an instance group that exists, in the service's network; CONNECTION balancing for an internal one. */
  private backendGroups(body: Record<string, unknown>, scheme: string, network: string | undefined): Uses {
    if (body.backends === undefined || body.backends === null) return [];
    if (!Array.isArray(body.backends)) throw failures.invalid('resource.backends', String(body.backends), 'Must be a list of backends.');
    const seen = new Set<string>();
    return body.backends.map((backend, index) => {
      const field = `resource.backends[${index}]`;
      const group = isRecord(backend) ? stringField(backend, 'group') : undefined;
      if (group === undefined || group === '') throw failures.required(`${field}.group`);
      const key = this.groups.usable(`${field}.group`, group);
      if (seen.has(key)) throw failures.invalid(`${field}.group`, group, 'Duplicate backend group.');
      seen.add(key);
      const mode = isRecord(backend) ? (stringField(backend, 'balancingMode') ?? 'CONNECTION') : 'CONNECTION';
      if (scheme === 'INTERNAL' && mode !== 'CONNECTION') throw failures.invalid(`${field}.balancingMode`, mode, 'Balancing mode must be CONNECTION for an INTERNAL backend service.');
      const groupNetwork = this.groups.networkOf(key);
      if (scheme === 'INTERNAL' && network !== undefined && groupNetwork !== undefined && groupNetwork !== network) {
        throw failures.invalid(`${field}.group`, group, `The instance group is in network '${groupNetwork}', not in the backend service's network '${network}'.`);
      }
      return { kind: 'instanceGroups' as const, name: key };
    });
  }

  private checked(kind: RegionalKind, body: Record<string, unknown>): { uses: Uses; ipAddress?: string } {
    if (kind === 'healthChecks') {
      const type = stringField(body, 'type');
      if (type === undefined) throw failures.required('resource.type');
      if (type === 'TCP' && !isRecord(body.tcpHealthCheck)) throw failures.required('resource.tcpHealthCheck');
      return { uses: [] };
    }
    const scheme = stringField(body, 'loadBalancingScheme') ?? 'EXTERNAL';
    if (!SCHEMES.includes(scheme)) throw failures.invalid('resource.loadBalancingScheme', scheme, `Must be one of ${SCHEMES.join(', ')}.`);
    if (kind === 'backendServices') {
      const checks = Array.isArray(body.healthChecks) ? body.healthChecks : [];
      if (scheme === 'INTERNAL' && checks.length !== 1) throw failures.invalid('resource.healthChecks', String(checks.length), 'Backend services of an internal load balancer need exactly one regional health check.');
      const uses: Uses = checks.map((check, index) => ({ kind: 'healthChecks' as const, name: this.usable(`resource.healthChecks[${index}]`, 'healthChecks', String(check)) }));
      const network = stringField(body, 'network');
      const networkName = network === undefined ? undefined : this.globals.usableNetwork('resource.network', network);
      const backends = this.backendGroups(body, scheme, networkName);
      return { uses: [...uses, ...(networkName === undefined ? [] : [{ kind: 'networks' as const, name: networkName }]), ...backends] };
    }
    this.checkLabels(body);
    const backend = stringField(body, 'backendService');
    if (backend === undefined) throw failures.required('resource.backendService');
    const uses: { kind: UsedKind; name: string }[] = [{ kind: 'backendServices', name: this.usable('resource.backendService', 'backendServices', backend) }];
    if (scheme === 'INTERNAL') {
      uses.push({ kind: 'networks', name: this.globals.usableNetwork('resource.network', stringField(body, 'network') ?? 'global/networks/default') });
    }
    const given = stringField(body, 'IPAddress');
    if (given !== undefined) return { uses, ipAddress: given };
    const counter = this.nextAddress;
    this.nextAddress -= 1;
    return { uses, ipAddress: `10.128.${counter >> 8}.${counter & 255}` };
  }

  private render(record: RegionalRecord, origin: string): Record<string, unknown> {
    const base = apiBase(origin, this.context.project);
    const regionLink = `${base}/regions/${this.context.region}`;
    const { fields } = record;
    const common = {
      id: record.id,
      creationTimestamp: gceTimestamp(record.createdAt),
      name: record.name,
      ...(typeof fields.description === 'string' ? { description: fields.description } : {}),
      region: regionLink,
      selfLink: `${regionLink}/${record.kind}/${record.name}`,
    };
    const link = (kind: RegionalKind | 'networks'): string | undefined => {
      const used = record.uses.find((use) => use.kind === kind);
      if (!used) return undefined;
      return kind === 'networks' ? `${base}/global/networks/${used.name}` : `${regionLink}/${kind}/${used.name}`;
    };
    if (record.kind === 'healthChecks') {
      return { kind: 'compute#healthCheck', ...common, type: fields.type, ...(isRecord(fields.tcpHealthCheck) ? { tcpHealthCheck: fields.tcpHealthCheck } : {}), checkIntervalSec: fields.checkIntervalSec ?? 5, timeoutSec: fields.timeoutSec ?? 5, healthyThreshold: fields.healthyThreshold ?? 2, unhealthyThreshold: fields.unhealthyThreshold ?? 2 };
    }
    if (record.kind === 'backendServices') {
      const network = link('networks');
      const given = Array.isArray(fields.backends) ? fields.backends : [];
      const backends = record.uses
        .filter((use) => use.kind === 'instanceGroups')
        .map((use, index) => {
          const backend: unknown = given[index];
          const mode = isRecord(backend) ? (stringField(backend, 'balancingMode') ?? 'CONNECTION') : 'CONNECTION';
          return { group: this.groups.link(origin, use.name), balancingMode: mode };
        });
      return {
        kind: 'compute#backendService',
        ...common,
        loadBalancingScheme: fields.loadBalancingScheme ?? 'EXTERNAL',
        protocol: fields.protocol ?? 'TCP',
        healthChecks: record.uses.filter((use) => use.kind === 'healthChecks').map((use) => `${regionLink}/healthChecks/${use.name}`),
        ...(network ? { network } : {}),
        ...(backends.length > 0 ? { backends } : {}),
        sessionAffinity: fields.sessionAffinity ?? 'NONE',
        fingerprint: this.fingerprint(record),
      };
    }
    const labels = isRecord(fields.labels) ? fields.labels : {};
    const network = link('networks');
    return {
      kind: 'compute#forwardingRule',
      ...common,
      IPAddress: record.ipAddress,
      IPProtocol: fields.IPProtocol ?? 'TCP',
      ...(Array.isArray(fields.ports) ? { ports: fields.ports } : {}),
      loadBalancingScheme: fields.loadBalancingScheme ?? 'EXTERNAL',
      backendService: link('backendServices'),
      ...(network ? { network, subnetwork: `${regionLink}/subnetworks/${network.split('/').at(-1) ?? ''}` } : {}),
      networkTier: 'PREMIUM',
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      labelFingerprint: labelFingerprintOf(labels),
    };
  }

  private insert(kind: RegionalKind, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `regions/${this.context.region}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const body = isRecord(request.body) ? request.body : {};
    const name = checkName('resource.name', body.name);
    const { uses, ipAddress } = this.checked(kind, body);
    if (this.find(kind, name)) throw failures.alreadyExists(this.path(kind, name));
    const createdAt = now();
    const record: RegionalRecord = { kind, id: newResourceId(), name, createdAt, readyAt: createdAt + timings.globalOperationMs, fields: body, uses, version: 0, ...(ipAddress !== undefined ? { ipAddress } : {}) };
    this.records[kind].set(name, record);
    const operation = operations.start({ scope, operationType: 'insert', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: record.readyAt });
    return json(200, operations.render(operation, request.origin));
  }

  private fingerprint(record: RegionalRecord): string {
    return createHash('sha256').update(`${record.id}/${record.version}`).digest('base64').slice(0, 12);
  }

  /**
   * regionBackendServices.patch: the fields the body names replace the service's (its backends,
   * most often); a `fingerprint` other than the current one is 412 conditionNotMet, as GCE's
   * optimistic locking answers a patch made from a stale read.
   */
  private patch(kind: RegionalKind, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `regions/${this.context.region}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    if (kind !== 'backendServices') throw new GceFailure(405, 'httpMethodNotAllowed', `Method PATCH is not allowed on this resource.`);
    const record = this.find(kind, name);
    if (!record || record.deleteRequestedAt !== undefined) throw failures.notFound(this.path(kind, name));
    if (now() < record.readyAt) throw failures.notReady(this.path(kind, name));
    const body = isRecord(request.body) ? request.body : {};
    const fingerprint = stringField(body, 'fingerprint');
    if (fingerprint !== undefined && fingerprint !== this.fingerprint(record)) {
      throw new GceFailure(412, 'conditionNotMet', `Supplied fingerprint does not match current metadata fingerprint.`);
    }
    if (body.name !== undefined && body.name !== name) throw failures.invalid('resource.name', String(body.name), 'The name of a resource cannot be changed.');
    const merged = { ...record.fields, ...Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'fingerprint')) };
    record.uses = this.checked(kind, merged).uses;
    record.fields = merged;
    record.version += 1;
    const operation = operations.start({ scope, operationType: 'patch', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: now() + timings.globalOperationMs });
    return json(200, operations.render(operation, request.origin));
  }

  private setLabels(kind: RegionalKind, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `regions/${this.context.region}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    // Health checks and backend services have no labels in v1.
    if (kind !== 'forwardingRules') throw new GceFailure(404, 'notFound', `The requested URL was not found on this server.`);
    const record = this.find(kind, name);
    if (!record || record.deleteRequestedAt !== undefined) throw failures.notFound(this.path(kind, name));
    const body = isRecord(request.body) ? request.body : {};
    const labelFingerprint = stringField(body, 'labelFingerprint');
    if (labelFingerprint === undefined || labelFingerprint === '') throw failures.required('resource.labelFingerprint');
    const current = isRecord(record.fields.labels) ? record.fields.labels : {};
    if (labelFingerprint !== labelFingerprintOf(current)) throw new GceFailure(412, 'conditionNotMet', 'Labels fingerprint either invalid or resource labels have changed');
    const labels = body.labels ?? {};
    this.checkLabels({ labels });
    record.fields = { ...record.fields, labels };
    record.version += 1;
    const operation = operations.start({ scope, operationType: 'setLabels', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: now() + timings.globalOperationMs });
    return json(200, operations.render(operation, request.origin));
  }

  private delete(kind: RegionalKind, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `regions/${this.context.region}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const record = this.find(kind, name);
    if (!record) throw failures.notFound(this.path(kind, name));
    if (record.deleteRequestedAt !== undefined || now() < record.readyAt) throw failures.notReady(this.path(kind, name));
    const user = this.users(kind, name)[0];
    if (user !== undefined) throw failures.inUse(this.path(kind, name), user);
    record.deleteRequestedAt = now();
    record.goneAt = record.deleteRequestedAt + timings.globalOperationMs;
    const operation = operations.start({ scope, operationType: 'delete', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: record.goneAt });
    return json(200, operations.render(operation, request.origin));
  }

  private list(kind: RegionalKind, request: GceRequest): GceAnswer {
    this.find(kind, '');
    const matches = compileFilter(request.query.get('filter'));
    const rendered = [...this.records[kind].values()].map((record) => this.render(record, request.origin)).filter(matches);
    const page = pageOf(rendered.map((resource) => ({ name: String(resource.name), resource })), request.query);
    return json(200, {
      kind: LIST_KIND[kind],
      id: `projects/${this.context.project}/regions/${this.context.region}/${kind}`,
      ...(page.items.length > 0 ? { items: page.items.map((item) => item.resource) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: `${apiBase(request.origin, this.context.project)}/regions/${this.context.region}/${kind}`,
    });
  }

  /** Routes regions/{r}/healthChecks..., backendServices..., forwardingRules...; undefined for any other path. */
  route(request: GceRequest): GceAnswer | undefined {
    const [scope, region, collection, name, method, ...rest] = request.segments;
    if (scope !== 'regions' || !isKind(collection) || rest.length > 0) return undefined;
    if (region !== this.context.region) throw failures.invalid('region', region ?? '', 'Unknown region.');
    if (method !== undefined) {
      if (method === 'setLabels' && name !== undefined && request.method === 'POST') return this.setLabels(collection, name, request);
    } else if (name === undefined) {
      if (request.method === 'GET') return this.list(collection, request);
      if (request.method === 'POST') return this.insert(collection, request);
    } else {
      if (request.method === 'GET') {
        const record = this.find(collection, name);
        if (!record) throw failures.notFound(this.path(collection, name));
        return json(200, this.render(record, request.origin));
      }
      if (request.method === 'DELETE') return this.delete(collection, name, request);
      if (request.method === 'PATCH') return this.patch(collection, name, request);
    }
    throw new GceFailure(405, 'httpMethodNotAllowed', `Method ${request.method} is not allowed on this resource.`);
  }

  /** The resource as GCE would render it now, for tests. */
  peek(kind: RegionalKind, name: string, origin: string): Record<string, unknown> | undefined {
    const record = this.find(kind, name);
    return record ? this.render(record, origin) : undefined;
  }
}
