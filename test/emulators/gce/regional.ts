/**
 * Regional load-balancing resources of Compute Engine API v1: regionHealthChecks,
 * regionBackendServices and forwardingRules (insert, get, delete, list under
 * /compute/v1/projects/{p}/regions/{r}/{healthChecks|backendServices|forwardingRules}), each
 * answering a regional Operation (regionOperations.get / wait, routed in emulator.ts).
 *
 * As the reference describes: health checks and backend services have no labels; forwarding rules
 * have `labels` (with a `labelFingerprint`). A backend service of loadBalancingScheme INTERNAL
 * needs exactly one regional health check; an INTERNAL forwarding rule needs a network (auto-mode
 * here, so no subnetwork is asked for), a backend service, and gets an `IPAddress` from the
 * region's subnetwork range (10.128.0.0/20), taken from the top so it never meets an instance's.
 * A resource is usable once its insert operation is DONE; one that another uses cannot be
 * deleted (resourceInUseByAnotherResource), and a forwarding rule keeps its network in use.
 */
import { createHash } from 'node:crypto';
import { GceFailure, failures, gceTimestamp, isRecord, json, stringField, type GceAnswer, type GceRequest } from './http';
import { apiBase, checkName, referencedName, type ProjectContext } from './context';
import { compileFilter } from './filter';
import type { GlobalResources } from './networks';
import { newResourceId, requestIdOf } from './operations';
import { pageOf } from './paging';

type RegionalKind = 'healthChecks' | 'backendServices' | 'forwardingRules';

interface RegionalRecord {
  readonly kind: RegionalKind;
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly readyAt: number;
  deleteRequestedAt?: number;
  goneAt?: number;
  readonly fields: Readonly<Record<string, unknown>>;
  /** Names of what this one refers to: a backend service's health check, a rule's backend service and network. */
  readonly uses: readonly { readonly kind: RegionalKind | 'networks'; readonly name: string }[];
  readonly ipAddress?: string;
}

const KINDS: readonly RegionalKind[] = ['healthChecks', 'backendServices', 'forwardingRules'];
const LIST_KIND: Readonly<Record<RegionalKind, string>> = { healthChecks: 'compute#healthCheckList', backendServices: 'compute#backendServiceList', forwardingRules: 'compute#forwardingRuleList' };
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const SCHEMES = ['INTERNAL', 'EXTERNAL', 'INTERNAL_MANAGED', 'EXTERNAL_MANAGED'];

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
  ) {
    globals.setNetworkUse({ instancesUsing: (network) => this.users('networks', network) });
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

  private users(kind: RegionalKind | 'networks', name: string): string[] {
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

  private checked(kind: RegionalKind, body: Record<string, unknown>): { uses: RegionalRecord['uses']; ipAddress?: string } {
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
      const uses = checks.map((check, index) => ({ kind: 'healthChecks' as const, name: this.usable(`resource.healthChecks[${index}]`, 'healthChecks', String(check)) }));
      const network = stringField(body, 'network');
      return { uses: network === undefined ? uses : [...uses, { kind: 'networks', name: this.globals.usableNetwork('resource.network', network) }] };
    }
    this.checkLabels(body);
    const backend = stringField(body, 'backendService');
    if (backend === undefined) throw failures.required('resource.backendService');
    const uses: { kind: RegionalKind | 'networks'; name: string }[] = [{ kind: 'backendServices', name: this.usable('resource.backendService', 'backendServices', backend) }];
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
      return {
        kind: 'compute#backendService',
        ...common,
        loadBalancingScheme: fields.loadBalancingScheme ?? 'EXTERNAL',
        protocol: fields.protocol ?? 'TCP',
        healthChecks: record.uses.filter((use) => use.kind === 'healthChecks').map((use) => `${regionLink}/healthChecks/${use.name}`),
        ...(network ? { network } : {}),
        sessionAffinity: fields.sessionAffinity ?? 'NONE',
        fingerprint: createHash('sha256').update(record.id).digest('base64').slice(0, 12),
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
      labelFingerprint: createHash('sha256').update(JSON.stringify(labels)).digest('base64').slice(0, 12),
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
    const record: RegionalRecord = { kind, id: newResourceId(), name, createdAt, readyAt: createdAt + timings.globalOperationMs, fields: body, uses, ...(ipAddress !== undefined ? { ipAddress } : {}) };
    this.records[kind].set(name, record);
    const operation = operations.start({ scope, operationType: 'insert', targetPath: this.path(kind, name), targetId: record.id, requestId, doneAt: record.readyAt });
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
    const [scope, region, collection, name, ...rest] = request.segments;
    if (scope !== 'regions' || !isKind(collection) || rest.length > 0) return undefined;
    if (region !== this.context.region) throw failures.invalid('region', region ?? '', 'Unknown region.');
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

  /** The forwarding rule as GCE would render it now, for tests. */
  peekForwardingRule(name: string, origin: string): Record<string, unknown> | undefined {
    const record = this.find('forwardingRules', name);
    return record ? this.render(record, origin) : undefined;
  }
}
