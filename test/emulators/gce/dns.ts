/**
 * Cloud DNS API v1, as its public REST reference describes it, served by the same emulator under
 * /dns/v1/projects/{p}/ (facts only: paths, field names, error reasons):
 *
 *   managedZones.create / get / delete / list               POST|GET /managedZones[/{zone}], DELETE .../{zone}
 *   managedZones.patch                                      PATCH .../managedZones/{zone}
 *   resourceRecordSets.create / get / delete / list         POST|GET .../managedZones/{zone}/rrsets[/{name}/{type}], DELETE .../{name}/{type}
 *
 * Both are synchronous (no operations): create answers the resource, a zone's delete answers 204
 * with no body, a record set's delete an empty object. A new zone holds its SOA and NS record sets;
 * a zone holding anything else cannot be deleted (containerNotEmpty). Zones carry `labels` with
 * GCE's label rules; a private zone needs privateVisibilityConfig.networks naming networks that
 * exist. Paging is maxResults / pageToken / nextPageToken. Errors use Google's JSON envelope with
 * the reasons Cloud DNS returns: notFound, alreadyExists, containerNotEmpty, invalid, required.
 * A patch replaces the fields its body names (labels, description; the name and dnsName cannot
 * change) and answers a dns#operation of type UPDATE, done at once; managed zones have no
 * fingerprint, so a patch made from a stale read overwrites.
 */
import { GceFailure, failures, isRecord, json, stringField, type GceAnswer, type GceRequest } from './http';
import type { ProjectContext } from './context';
import type { GlobalResources } from './networks';
import { newResourceId } from './operations';
import { pageOf } from './paging';

interface RecordSet {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly rrdatas: readonly string[];
}

interface ZoneRecord {
  readonly id: string;
  readonly name: string;
  readonly dnsName: string;
  readonly createdAt: number;
  fields: Readonly<Record<string, unknown>>;
  readonly recordSets: Map<string, RecordSet>;
}

const ZONE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?:[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?\.)+$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT', 'CAA'];
const NAME_SERVERS = ['ns-gcp-private.googledomains.com.'];
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

function key(name: string, type: string): string {
  return `${name} ${type}`;
}

export class CloudDns {
  private readonly zones = new Map<string, ZoneRecord>();

  constructor(
    private readonly context: ProjectContext,
    private readonly globals: GlobalResources,
  ) {}

  private zoneNotFound(name: string): GceFailure {
    return new GceFailure(404, 'notFound', `The 'parameters.managedZone' resource named '${name}' does not exist.`);
  }

  private zone(name: string): ZoneRecord {
    const zone = this.zones.get(name);
    if (!zone) throw this.zoneNotFound(name);
    return zone;
  }

  private renderZone(zone: ZoneRecord): Record<string, unknown> {
    const { fields } = zone;
    return {
      kind: 'dns#managedZone',
      id: zone.id,
      name: zone.name,
      dnsName: zone.dnsName,
      description: fields.description,
      nameServers: NAME_SERVERS,
      creationTime: new Date(zone.createdAt).toISOString(),
      visibility: fields.visibility ?? 'public',
      ...(isRecord(fields.privateVisibilityConfig) ? { privateVisibilityConfig: { kind: 'dns#managedZonePrivateVisibilityConfig', ...fields.privateVisibilityConfig } } : {}),
      ...(isRecord(fields.labels) ? { labels: fields.labels } : {}),
    };
  }

  private renderSet(set: RecordSet): Record<string, unknown> {
    return { kind: 'dns#resourceRecordSet', name: set.name, type: set.type, ttl: set.ttl, rrdatas: set.rrdatas };
  }

  private createZone(request: GceRequest): GceAnswer {
    const body = isRecord(request.body) ? request.body : {};
    const name = stringField(body, 'name');
    if (name === undefined || name === '') throw failures.required('entity.managedZone.name');
    if (!ZONE_NAME.test(name)) throw failures.invalid('entity.managedZone.name', name, 'Must start with a letter, hold only lowercase letters, digits and dashes, and be at most 63 characters.');
    const dnsName = stringField(body, 'dnsName');
    if (dnsName === undefined || dnsName === '') throw failures.required('entity.managedZone.dnsName');
    if (!DNS_NAME.test(dnsName)) throw failures.invalid('entity.managedZone.dnsName', dnsName, 'Must be a fully qualified domain name ending in a dot.');
    if (stringField(body, 'description') === undefined) throw failures.required('entity.managedZone.description');
    this.checkZoneLabels(body.labels);
    const visibility = stringField(body, 'visibility') ?? 'public';
    if (visibility !== 'public' && visibility !== 'private') throw failures.invalid('entity.managedZone.visibility', visibility, "Must be 'public' or 'private'.");
    if (visibility === 'private') {
      const config = isRecord(body.privateVisibilityConfig) ? body.privateVisibilityConfig : {};
      const networks = Array.isArray(config.networks) ? config.networks : [];
      networks.forEach((network, index) => {
        const url = isRecord(network) ? stringField(network, 'networkUrl') : undefined;
        if (url === undefined) throw failures.required(`entity.managedZone.privateVisibilityConfig.networks[${index}].networkUrl`);
        this.globals.usableNetwork(`entity.managedZone.privateVisibilityConfig.networks[${index}].networkUrl`, url.replace(/^https:\/\/www\.googleapis\.com\/compute\/v1\//, ''));
      });
    }
    if (this.zones.has(name)) throw new GceFailure(409, 'alreadyExists', `The resource 'entity.managedZone' named '${name}' already exists`);
    const zone: ZoneRecord = { id: newResourceId(), name, dnsName, createdAt: this.context.now(), fields: body, recordSets: new Map() };
    zone.recordSets.set(key(dnsName, 'SOA'), { name: dnsName, type: 'SOA', ttl: 21600, rrdatas: [`${NAME_SERVERS[0] ?? ''} cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300`] });
    zone.recordSets.set(key(dnsName, 'NS'), { name: dnsName, type: 'NS', ttl: 21600, rrdatas: NAME_SERVERS });
    this.zones.set(name, zone);
    return json(200, this.renderZone(zone));
  }

  private checkZoneLabels(labels: unknown): void {
    if (labels === undefined) return;
    if (!isRecord(labels)) throw failures.invalid('entity.managedZone.labels', String(labels), 'Labels must be a map.');
    for (const [labelKey, value] of Object.entries(labels)) {
      if (!LABEL_KEY.test(labelKey) || typeof value !== 'string' || !LABEL_VALUE.test(value)) throw failures.invalid(`entity.managedZone.labels[${labelKey}]`, String(value), 'Invalid label.');
    }
  }

  private patchZone(name: string, request: GceRequest): GceAnswer {
    const zone = this.zone(name);
    const body = isRecord(request.body) ? request.body : {};
    if (body.name !== undefined && body.name !== zone.name) throw failures.invalid('entity.managedZone.name', String(body.name), 'The name of a managed zone cannot be changed.');
    if (body.dnsName !== undefined && body.dnsName !== zone.dnsName) throw failures.invalid('entity.managedZone.dnsName', String(body.dnsName), 'The DNS name of a managed zone cannot be changed.');
    this.checkZoneLabels(body.labels);
    const before = this.renderZone(zone);
    zone.fields = { ...zone.fields, ...body };
    const now = new Date(this.context.now()).toISOString();
    return json(200, { kind: 'dns#operation', id: newResourceId(), type: 'UPDATE', status: 'done', startTime: now, user: 'emulator', zoneContext: { oldValue: before, newValue: this.renderZone(zone) } });
  }

  private deleteZone(name: string): GceAnswer {
    const zone = this.zone(name);
    const other = [...zone.recordSets.values()].some((set) => !(set.name === zone.dnsName && (set.type === 'SOA' || set.type === 'NS')));
    if (other) throw new GceFailure(400, 'containerNotEmpty', `The resource named '${name}' cannot be deleted because it is not empty`);
    this.zones.delete(name);
    return { status: 204, body: '' };
  }

  private createSet(zone: ZoneRecord, request: GceRequest): GceAnswer {
    const body = isRecord(request.body) ? request.body : {};
    const name = stringField(body, 'name');
    const type = stringField(body, 'type');
    if (name === undefined || name === '') throw failures.required('entity.rrset.name');
    if (type === undefined || type === '') throw failures.required('entity.rrset.type');
    if (!TYPES.includes(type)) throw failures.invalid('entity.rrset.type', type, 'Unknown record type.');
    if (!DNS_NAME.test(name) || !(name === zone.dnsName || name.endsWith(`.${zone.dnsName}`))) throw failures.invalid('entity.rrset.name', name, `Must be within the zone's DNS name ${zone.dnsName}.`);
    const rrdatas = Array.isArray(body.rrdatas) ? body.rrdatas.map(String) : [];
    if (rrdatas.length === 0) throw failures.required('entity.rrset.rrdatas');
    if (type === 'A') rrdatas.forEach((data, index) => {
      if (!IPV4.test(data)) throw failures.invalid(`entity.rrset.rrdata[${index}]`, data, 'Must be an IPv4 address.');
    });
    if (zone.recordSets.has(key(name, type))) throw new GceFailure(409, 'alreadyExists', `The resource 'entity.rrset' named '${name} (${type})' already exists`);
    const ttl = typeof body.ttl === 'number' ? body.ttl : 300;
    const set: RecordSet = { name, type, ttl, rrdatas };
    zone.recordSets.set(key(name, type), set);
    return json(200, this.renderSet(set));
  }

  private setOf(zone: ZoneRecord, name: string, type: string): RecordSet {
    const set = zone.recordSets.get(key(name, type));
    if (!set) throw new GceFailure(404, 'notFound', `The 'parameters.name' resource named '${name} (${type})' does not exist.`);
    return set;
  }

  /** Answers a path below /dns/v1/projects/{p}/, split on '/'. */
  route(request: GceRequest): GceAnswer {
    const [collection, zoneName, sub, setName, setType, ...rest] = request.segments;
    if (collection !== 'managedZones' || rest.length > 0) throw new GceFailure(404, 'notFound', 'The requested URL was not found on this server.');
    const { method } = request;
    if (zoneName === undefined) {
      if (method === 'POST') return this.createZone(request);
      if (method === 'GET') {
        const dnsName = request.query.get('dnsName');
        const zones = [...this.zones.values()].filter((zone) => dnsName === null || zone.dnsName === dnsName);
        const page = pageOf(zones, request.query);
        return json(200, { kind: 'dns#managedZonesListResponse', managedZones: page.items.map((zone) => this.renderZone(zone)), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) });
      }
    } else if (sub === undefined) {
      if (method === 'GET') return json(200, this.renderZone(this.zone(zoneName)));
      if (method === 'DELETE') return this.deleteZone(zoneName);
      if (method === 'PATCH') return this.patchZone(zoneName, request);
    } else if (sub === 'rrsets') {
      const zone = this.zone(zoneName);
      if (setName === undefined) {
        if (method === 'POST') return this.createSet(zone, request);
        if (method === 'GET') {
          const name = request.query.get('name');
          const type = request.query.get('type');
          const sets = [...zone.recordSets.values()].filter((set) => (name === null || set.name === name) && (type === null || set.type === type));
          const page = pageOf(sets.map((set) => ({ ...set, name: key(set.name, set.type) })), request.query);
          return json(200, { kind: 'dns#resourceRecordSetsListResponse', rrsets: page.items.map((item) => this.setOf(zone, ...(item.name.split(' ') as [string, string]))).map((set) => this.renderSet(set)), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) });
        }
      } else if (setType !== undefined) {
        const set = this.setOf(zone, setName, setType);
        if (method === 'GET') return json(200, this.renderSet(set));
        if (method === 'DELETE') {
          zone.recordSets.delete(key(set.name, set.type));
          return json(200, {});
        }
      }
    }
    throw new GceFailure(405, 'httpMethodNotAllowed', `Method ${method} is not allowed on this resource.`);
  }
}
