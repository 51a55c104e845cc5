/**
 * Zonal instances (Compute Engine API v1 `instances.insert`, `get`, `delete`, `list`, `setLabels`).
 *
 * An insert is checked the way GCE checks it (name, machineType, boot disk image, network
 * interfaces, labels; an existing name is 409 alreadyExists; more instances than the quota is
 * 403 quotaExceeded) and answers an Operation at once. The instance then goes PROVISIONING,
 * STAGING, RUNNING. A delete answers an Operation; the instance goes STOPPING, TERMINATED and
 * is then gone, and deleting it again meanwhile is 400 resourceNotReady. A machine type the
 * zone has no capacity for fails later, in the operation (ZONE_RESOURCE_POOL_EXHAUSTED), and
 * the instance disappears. setLabels (POST .../instances/{name}/setLabels with {labels,
 * labelFingerprint}) replaces the labels when the fingerprint is the current one; a stale one is
 * 412 conditionNotMet, a missing one 400 required; it answers an Operation like the others.
 */
import { createHash } from 'node:crypto';
import { GceFailure, failures, gceTimestamp, isRecord, json, stringField, type GceAnswer, type GceRequest } from './http';
import { apiBase, checkName, type ProjectContext } from './context';
import { compileFilter } from './filter';
import type { GlobalResources } from './networks';
import { newResourceId, requestIdOf, type OperationFailure } from './operations';
import { pageOf } from './paging';

export type InstanceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED';

interface InstanceRecord {
  readonly id: string;
  readonly name: string;
  readonly zone: string;
  readonly createdAt: number;
  readonly machineType: string;
  readonly sourceImage: string;
  readonly networkName: string;
  readonly networkIP: string;
  labels: Readonly<Record<string, string>>;
  readonly networkTags: readonly string[];
  readonly description: string | undefined;
  /** When a capacity failure makes the instance disappear. */
  readonly failsAt: number | undefined;
  deleteRequestedAt?: number;
}

export interface InstanceLimits {
  /** How many instances the project may have at once (the INSTANCES quota). */
  instanceQuota: number;
  /** Machine types the zones accept; undefined accepts any well-formed name. */
  readonly machineTypes: ReadonlySet<string> | undefined;
  /** Images that exist; undefined accepts any well-formed reference. */
  readonly images: ReadonlySet<string> | undefined;
  /** Machine types the zones have no capacity for: their inserts fail in the operation. */
  readonly exhaustedMachineTypes: ReadonlySet<string>;
}

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const MACHINE_TYPE = /^(?:https?:\/\/[^/]+\/compute\/v1\/)?(?:projects\/([^/]+)\/)?zones\/([^/]+)\/machineTypes\/([a-z0-9-]+)$/;
/** Images live in other projects too (public images), so any project is accepted. */
const IMAGE = /^(?:https?:\/\/[^/]+\/compute\/v1\/)?(?:projects\/[^/]+\/)?global\/images\/(?:family\/)?([^/]+)$/;

const fingerprintOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64').slice(0, 12);

function checkLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (!isRecord(labels)) throw failures.invalid('resource.labels', String(labels), 'Labels must be a map of strings.');
  const entries = Object.entries(labels);
  if (entries.length > 64) throw failures.invalid('resource.labels', `${entries.length} labels`, 'A resource may have at most 64 labels.');
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) throw failures.invalid(`resource.labels`, key, 'Label keys must start with a lowercase letter and contain only lowercase letters, digits, underscores and dashes (at most 63 characters).');
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw failures.invalid(`resource.labels.${key}`, String(value), 'Label values may contain only lowercase letters, digits, underscores and dashes (at most 63 characters).');
    }
  }
  return Object.fromEntries(entries.map(([key, value]) => [key, String(value)]));
}

export class Instances {
  private readonly records = new Map<string, InstanceRecord>();
  private addressCounter = 2;

  constructor(
    private readonly context: ProjectContext,
    private readonly globals: GlobalResources,
    readonly limits: InstanceLimits,
  ) {
    globals.setNetworkUse({
      instancesUsing: (networkName) => [...this.records.values()].filter((record) => this.status(record) !== undefined && record.networkName === networkName).map((record) => this.path(record.zone, record.name)),
    });
  }

  private path(zone: string, name: string): string {
    return `projects/${this.context.project}/zones/${zone}/instances/${name}`;
  }

  /** The status now, or undefined once the instance is gone. */
  status(record: InstanceRecord): InstanceStatus | undefined {
    const now = this.context.now();
    const { provisionMs, stopMs, terminatedMs } = this.context.timings;
    if (record.failsAt !== undefined && now >= record.failsAt) return undefined;
    if (record.deleteRequestedAt !== undefined) {
      const since = now - record.deleteRequestedAt;
      if (since < stopMs) return 'STOPPING';
      return since < stopMs + terminatedMs ? 'TERMINATED' : undefined;
    }
    const age = now - record.createdAt;
    if (age < provisionMs / 3) return 'PROVISIONING';
    return age < provisionMs ? 'STAGING' : 'RUNNING';
  }

  private sweep(): void {
    for (const [key, record] of this.records) if (this.status(record) === undefined) this.records.delete(key);
  }

  private find(zone: string, name: string): InstanceRecord | undefined {
    this.sweep();
    return this.records.get(`${zone}/${name}`);
  }

  /** Instances in the project that are not gone, for the quota. */
  private count(): number {
    this.sweep();
    return this.records.size;
  }

  private nextAddress(): string {
    let counter = this.addressCounter++;
    while ((counter & 255) === 0 || (counter & 255) === 255 || (counter & 255) === 1) counter = this.addressCounter++;
    return `10.128.${counter >> 8}.${counter & 255}`;
  }

  private render(record: InstanceRecord, status: InstanceStatus, origin: string): Record<string, unknown> {
    const base = apiBase(origin, this.context.project);
    const fingerprint = fingerprintOf;
    const running = status === 'RUNNING';
    return {
      kind: 'compute#instance',
      id: record.id,
      creationTimestamp: gceTimestamp(record.createdAt),
      name: record.name,
      ...(record.description !== undefined ? { description: record.description } : {}),
      tags: { ...(record.networkTags.length > 0 ? { items: record.networkTags } : {}), fingerprint: fingerprint(record.networkTags) },
      machineType: `${base}/zones/${record.zone}/machineTypes/${record.machineType}`,
      status,
      zone: `${base}/zones/${record.zone}`,
      networkInterfaces: [
        {
          kind: 'compute#networkInterface',
          name: 'nic0',
          network: `${base}/global/networks/${record.networkName}`,
          subnetwork: `${base}/regions/${this.context.region}/subnetworks/${record.networkName}`,
          networkIP: record.networkIP,
          stackType: 'IPV4_ONLY',
          fingerprint: fingerprint(record.networkIP),
        },
      ],
      disks: [
        {
          kind: 'compute#attachedDisk',
          type: 'PERSISTENT',
          mode: 'READ_WRITE',
          source: `${base}/zones/${record.zone}/disks/${record.name}`,
          deviceName: 'persistent-disk-0',
          index: 0,
          boot: true,
          autoDelete: true,
          interface: 'SCSI',
          diskSizeGb: '10',
        },
      ],
      ...(Object.keys(record.labels).length > 0 ? { labels: record.labels } : {}),
      labelFingerprint: fingerprint(record.labels),
      ...(running ? { cpuPlatform: 'Intel Broadwell', lastStartTimestamp: gceTimestamp(record.createdAt + this.context.timings.provisionMs) } : {}),
      startRestricted: false,
      deletionProtection: false,
      selfLink: `${base}/zones/${record.zone}/instances/${record.name}`,
    };
  }

  private machineTypeOf(zone: string, body: Record<string, unknown>): string {
    const reference = body.machineType;
    if (reference === undefined || reference === null || reference === '') throw failures.required('resource.machineType');
    const text = String(reference);
    const match = MACHINE_TYPE.exec(text);
    const [, project, typeZone, type] = match ?? [];
    if (!match || type === undefined || (project !== undefined && project !== this.context.project)) {
      throw failures.invalid('resource.machineType', text, 'Must be a machine type URL such as zones/<zone>/machineTypes/<type>.');
    }
    if (typeZone !== zone || (this.limits.machineTypes && !this.limits.machineTypes.has(type))) {
      throw failures.invalid('resource.machineType', text, `Machine type with name '${type}' does not exist in zone '${zone}'.`);
    }
    return type;
  }

  private sourceImageOf(body: Record<string, unknown>): string {
    const disks = body.disks;
    if (!Array.isArray(disks) || disks.length === 0) throw failures.required('resource.disks');
    const bootIndex = disks.findIndex((disk) => isRecord(disk) && disk.boot === true);
    const index = bootIndex >= 0 ? bootIndex : 0;
    const boot: unknown = disks[index];
    const params = isRecord(boot) && isRecord(boot.initializeParams) ? boot.initializeParams : undefined;
    const field = `resource.disks[${index}].initializeParams.sourceImage`;
    const image = params ? stringField(params, 'sourceImage') : undefined;
    if (image === undefined || image === '') throw failures.required(field);
    const name = IMAGE.exec(image)?.[1];
    if (name === undefined) throw failures.invalid(field, image, 'Must be an image URL such as projects/<project>/global/images/<image>.');
    if (this.limits.images && !this.limits.images.has(name)) throw failures.notFound(image.replace(/^https?:\/\/[^/]+\/compute\/v1\//, ''));
    if (params) {
      const labelsField = params.labels;
      if (labelsField !== undefined) checkLabels(labelsField);
    }
    return image;
  }

  private networkOf(body: Record<string, unknown>): string {
    const interfaces = body.networkInterfaces;
    if (!Array.isArray(interfaces) || interfaces.length === 0) throw failures.required('resource.networkInterfaces');
    const first: unknown = interfaces[0];
    const reference = isRecord(first) ? (stringField(first, 'network') ?? 'global/networks/default') : 'global/networks/default';
    return this.globals.usableNetwork('resource.networkInterfaces[0].network', reference);
  }

  private networkTagsOf(body: Record<string, unknown>): string[] {
    const tags = isRecord(body.tags) ? body.tags.items : undefined;
    if (tags === undefined) return [];
    if (!Array.isArray(tags)) throw failures.invalid('resource.tags.items', String(tags), 'Must be a list of tags.');
    return tags.map((tag, index) => checkName(`resource.tags.items[${index}]`, tag));
  }

  private insert(zone: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `zones/${zone}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));

    const body = isRecord(request.body) ? request.body : {};
    const name = checkName('resource.name', body.name);
    const machineType = this.machineTypeOf(zone, body);
    const sourceImage = this.sourceImageOf(body);
    const networkName = this.networkOf(body);
    const labels = checkLabels(body.labels);
    const networkTags = this.networkTagsOf(body);
    if (this.find(zone, name)) throw failures.alreadyExists(this.path(zone, name));
    if (this.count() >= this.limits.instanceQuota) throw failures.quota('INSTANCES', this.limits.instanceQuota, this.context.region);

    const createdAt = now();
    const exhausted = this.limits.exhaustedMachineTypes.has(machineType);
    const failsAt = exhausted ? createdAt + timings.provisionMs / 2 : undefined;
    const record: InstanceRecord = {
      id: newResourceId(),
      name,
      zone,
      createdAt,
      machineType,
      sourceImage,
      networkName,
      networkIP: this.nextAddress(),
      labels,
      networkTags,
      description: stringField(body, 'description'),
      failsAt,
    };
    this.records.set(`${zone}/${name}`, record);
    const failure: OperationFailure | undefined = exhausted
      ? {
          code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
          message: `The zone 'projects/${this.context.project}/zones/${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`,
          httpStatus: 503,
          httpMessage: 'SERVICE UNAVAILABLE',
        }
      : undefined;
    const operation = operations.start({
      scope,
      operationType: 'insert',
      targetPath: this.path(zone, name),
      targetId: record.id,
      requestId,
      doneAt: failsAt ?? createdAt + timings.provisionMs,
      ...(failure ? { failure } : {}),
    });
    return json(200, operations.render(operation, request.origin));
  }

  private delete(zone: string, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `zones/${zone}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const record = this.find(zone, name);
    if (!record) throw failures.notFound(this.path(zone, name));
    if (record.deleteRequestedAt !== undefined) throw failures.notReady(this.path(zone, name));
    record.deleteRequestedAt = now();
    const operation = operations.start({
      scope,
      operationType: 'delete',
      targetPath: this.path(zone, name),
      targetId: record.id,
      requestId,
      doneAt: record.deleteRequestedAt + timings.stopMs + timings.terminatedMs,
    });
    return json(200, operations.render(operation, request.origin));
  }

  private setLabels(zone: string, name: string, request: GceRequest): GceAnswer {
    const { operations, now, timings } = this.context;
    const scope = `zones/${zone}`;
    const requestId = requestIdOf(request.query);
    const replayed = operations.replay(scope, requestId);
    if (replayed) return json(200, operations.render(replayed, request.origin));
    const record = this.find(zone, name);
    if (!record) throw failures.notFound(this.path(zone, name));
    const body = isRecord(request.body) ? request.body : {};
    const labelFingerprint = stringField(body, 'labelFingerprint');
    if (labelFingerprint === undefined || labelFingerprint === '') throw failures.required('resource.labelFingerprint');
    if (labelFingerprint !== fingerprintOf(record.labels)) throw new GceFailure(412, 'conditionNotMet', 'Labels fingerprint either invalid or resource labels have changed');
    record.labels = checkLabels(body.labels);
    const operation = operations.start({ scope, operationType: 'setLabels', targetPath: this.path(zone, name), targetId: record.id, requestId, doneAt: now() + timings.globalOperationMs });
    return json(200, operations.render(operation, request.origin));
  }

  private list(zone: string, request: GceRequest): GceAnswer {
    this.sweep();
    const matches = compileFilter(request.query.get('filter'));
    const rendered = [...this.records.values()]
      .filter((record) => record.zone === zone)
      .flatMap((record) => {
        const status = this.status(record);
        return status ? [this.render(record, status, request.origin)] : [];
      })
      .filter(matches);
    const page = pageOf(rendered.map((resource) => ({ name: String(resource.name), resource })), request.query);
    return json(200, {
      kind: 'compute#instanceList',
      id: `projects/${this.context.project}/zones/${zone}/instances`,
      ...(page.items.length > 0 ? { items: page.items.map((item) => item.resource) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      selfLink: `${apiBase(request.origin, this.context.project)}/zones/${zone}/instances`,
    });
  }

  /** An instance that is not gone, as an instance group sees it: its id (a new instance of the same name has another), network and status. */
  live(zone: string, name: string): { readonly id: string; readonly networkName: string; readonly status: InstanceStatus } | undefined {
    const record = this.find(zone, name);
    const status = record ? this.status(record) : undefined;
    return record && status ? { id: record.id, networkName: record.networkName, status } : undefined;
  }

  /** What a test may look at directly: the stored instance as GCE would render it, or undefined. */
  peek(zone: string, name: string, origin: string): Record<string, unknown> | undefined {
    const record = this.find(zone, name);
    const status = record ? this.status(record) : undefined;
    return record && status ? this.render(record, status, origin) : undefined;
  }

  /** Routes zones/{zone}/instances...; undefined for any other path. */
  route(request: GceRequest): GceAnswer | undefined {
    const [scope, zone, collection, name, method, ...rest] = request.segments;
    if (scope !== 'zones' || zone === undefined || collection !== 'instances' || rest.length > 0) return undefined;
    if (!this.context.zones.has(zone)) throw failures.invalid('zone', zone, 'Unknown zone.');
    if (name === undefined) {
      if (request.method === 'GET') return this.list(zone, request);
      if (request.method === 'POST') return this.insert(zone, request);
    } else if (method === 'setLabels') {
      if (request.method === 'POST') return this.setLabels(zone, name, request);
    } else if (method === undefined) {
      if (request.method === 'GET') {
        const record = this.find(zone, name);
        const status = record ? this.status(record) : undefined;
        if (!record || !status) throw failures.notFound(this.path(zone, name));
        return json(200, this.render(record, status, request.origin));
      }
      if (request.method === 'DELETE') return this.delete(zone, name, request);
    }
    throw new GceFailure(405, 'httpMethodNotAllowed', `Method ${request.method} is not allowed on this resource.`);
  }
}
