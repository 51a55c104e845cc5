/**
 * The cluster's API record in Cloud DNS: a private managed zone `<infraId>-dns` for
 * `<clusterName>.<baseDomain>.`, visible to the cluster network and labelled with the canonical
 * tags, holding the A record `api.<clusterName>.<baseDomain>.` that points at the API load
 * balancer's forwarding rule. Spoken as Cloud DNS v1 REST over the adapter's authenticated
 * transport (compute.ts explains why not @google-cloud/dns); Cloud DNS calls are synchronous.
 *
 * The zone is found by name before it is created (409 alreadyExists: an earlier attempt made it),
 * and one without this cluster's labels, or for another DNS name, is never taken over. A record
 * that points elsewhere is replaced. Listed and deleted as two 'dnsRecord' resources: the A
 * record first, then its zone (a zone holding records cannot be deleted).
 */
import { TAG } from '../tags';
import { pageGuard } from '../paging';
import { ProviderError, type CanonicalTags, type CloudResource, type ClusterInfraRequest, type TagQuery } from '../types';
import type { Gce } from './compute';
import { GceError } from './errors';
import { GCE_NAME } from './instances';
import { canonicalTagsOf, encodeLabels, listedBy } from './labels';

interface ManagedZone {
  readonly name?: string;
  readonly dnsName?: string;
  readonly labels?: Record<string, string>;
}

interface RecordSet {
  readonly name?: string;
  readonly type?: string;
  readonly rrdatas?: readonly string[];
}

interface ZoneList {
  readonly managedZones?: readonly ManagedZone[];
  readonly nextPageToken?: string;
}

const RECORD_TTL = 60;
const REAL_NETWORK_BASE = 'https://www.googleapis.com/compute/v1';

export function dnsZoneName(infraId: string): string {
  return `${infraId}-dns`;
}

export function apiRecordName(clusterName: string, baseDomain: string): string {
  return `api.${clusterName}.${baseDomain.replace(/\.$/, '')}.`;
}

export interface DnsOperations {
  ensureApiRecord(request: ClusterInfraRequest, network: string, address: string): Promise<CloudResource[]>;
  deleteApiRecord(infraId: string, managementId?: string): Promise<void>;
  listDnsResources(query: TagQuery): AsyncGenerator<CloudResource>;
  /** Deletes it when the id is one of this module's; false when it is not. */
  deleteDnsResource(resource: CloudResource): Promise<boolean>;
}

export function dnsOperations(gce: Gce): DnsOperations {
  const zonePath = (zone: string): string => `managedZones/${encodeURIComponent(zone)}`;
  const recordPath = (zone: string, name: string): string => `${zonePath(zone)}/rrsets/${encodeURIComponent(name)}/A`;

  const orUndefined = async <T>(work: Promise<T>): Promise<T | undefined> => {
    try {
      return await work;
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return undefined;
      throw error;
    }
  };

  const getZone = (operation: string, zone: string): Promise<ManagedZone | undefined> => orUndefined(gce.dns<ManagedZone>(operation, { method: 'GET', path: zonePath(zone) }));
  const getRecord = (operation: string, zone: string, name: string): Promise<RecordSet | undefined> => orUndefined(gce.dns<RecordSet>(operation, { method: 'GET', path: recordPath(zone, name) }));

  const checkOurs = (operation: string, zone: ManagedZone, infraId: string, managementId: string | undefined): CanonicalTags => {
    const tags = canonicalTagsOf(zone.labels);
    const ours = tags[TAG.cluster] === infraId && tags[TAG.management] !== undefined && (managementId === undefined || tags[TAG.management] === managementId);
    if (!ours) throw new ProviderError('invalid', `gcp ${operation}: managed zone ${zone.name ?? '?'} exists but is not this cluster's (it has no Slipway labels for ${infraId}); remove or rename it`, { operation });
    return tags;
  };

  const resourcesOf = async (zone: string, record: string | undefined, tags: CanonicalTags): Promise<CloudResource[]> => {
    const project = await gce.project();
    const zoneResource: CloudResource = { kind: 'dnsRecord', id: `projects/${project}/managedZones/${zone}`, name: zone, tags };
    if (record === undefined) return [zoneResource];
    return [{ kind: 'dnsRecord', id: `projects/${project}/managedZones/${zone}/rrsets/${record}/A`, name: record, tags }, zoneResource];
  };

  const ensureZone = async (request: ClusterInfraRequest, network: string, project: string): Promise<{ zone: string; tags: CanonicalTags }> => {
    const operation = 'create cluster DNS zone';
    const zone = dnsZoneName(request.infraId);
    const dnsName = `${request.clusterName}.${request.baseDomain.replace(/\.$/, '')}.`;
    let found = await getZone(operation, zone);
    if (!found) {
      const tags: CanonicalTags = { ...request.tags, [TAG.cluster]: request.infraId };
      const body = {
        name: zone,
        dnsName,
        description: `Slipway cluster ${request.infraId}: API record`,
        visibility: 'private',
        privateVisibilityConfig: { networks: [{ networkUrl: `${REAL_NETWORK_BASE}/projects/${project}/global/networks/${network}` }] },
        labels: encodeLabels(operation, tags),
      };
      try {
        found = await gce.dns<ManagedZone>(operation, { method: 'POST', path: 'managedZones', body });
      } catch (error) {
        if (!(error instanceof GceError && error.reason === 'alreadyExists')) throw error;
        found = await getZone(operation, zone);
        if (!found) throw new ProviderError('retryable', `gcp ${operation}: ${zone} was made but cannot be read back yet (the call is retried)`, { operation });
      }
    }
    const tags = checkOurs(operation, found, request.infraId, request.tags[TAG.management]);
    if (found.dnsName !== dnsName) throw new ProviderError('invalid', `gcp ${operation}: managed zone ${zone} is for ${found.dnsName ?? '?'}, not ${dnsName}; delete the cluster's infrastructure first`, { operation });
    return { zone, tags };
  };

  const deleteRecord = async (operation: string, zone: string, name: string): Promise<void> => {
    await orUndefined(gce.dns<unknown>(operation, { method: 'DELETE', path: recordPath(zone, name) }));
  };

  const createRecord = async (operation: string, zone: string, name: string, address: string): Promise<void> => {
    try {
      await gce.dns<RecordSet>(operation, { method: 'POST', path: `${zonePath(zone)}/rrsets`, body: { name, type: 'A', ttl: RECORD_TTL, rrdatas: [address] } });
    } catch (error) {
      // An earlier attempt made it; the caller reads it back.
      if (!(error instanceof GceError && error.reason === 'alreadyExists')) throw error;
    }
  };

  const deleteZone = async (operation: string, zone: string): Promise<void> => {
    await orUndefined(gce.dns<unknown>(operation, { method: 'DELETE', path: zonePath(zone) }));
  };

  return {
    async ensureApiRecord(request, network, address) {
      const operation = 'create cluster API record';
      const { zone, tags } = await ensureZone(request, network, await gce.project());
      const name = apiRecordName(request.clusterName, request.baseDomain);
      let record = await getRecord(operation, zone, name);
      if (record && (record.rrdatas?.length !== 1 || record.rrdatas[0] !== address)) {
        await deleteRecord(operation, zone, name);
        record = undefined;
      }
      if (!record) {
        await createRecord(operation, zone, name, address);
        record = await getRecord(operation, zone, name);
        if (record?.rrdatas?.[0] !== address) throw new ProviderError('retryable', `gcp ${operation}: ${name} does not point at ${address} yet (the call is retried)`, { operation });
      }
      return resourcesOf(zone, name, tags);
    },

    async deleteApiRecord(infraId, managementId) {
      const operation = 'delete cluster API record';
      if (!GCE_NAME.test(infraId)) return;
      const zone = dnsZoneName(infraId);
      const found = await getZone(operation, zone);
      if (!found) return;
      checkOurs(operation, found, infraId, managementId);
      if (found.dnsName) await deleteRecord(operation, zone, `api.${found.dnsName}`);
      await deleteZone(operation, zone);
    },

    async *listDnsResources(query) {
      const operation = 'list cluster DNS zones';
      const infraId = query[TAG.cluster];
      const yieldZone = async (zone: ManagedZone): Promise<CloudResource[]> => {
        const tags = canonicalTagsOf(zone.labels);
        if (!zone.name || !listedBy(tags, query)) return [];
        // A zone nobody labelled is reported by itself: its records are not looked up.
        if (tags[TAG.management] === undefined) return resourcesOf(zone.name, undefined, tags);
        const recordName = zone.dnsName ? `api.${zone.dnsName}` : undefined;
        const record = recordName === undefined ? undefined : await getRecord(operation, zone.name, recordName);
        return resourcesOf(zone.name, record ? recordName : undefined, tags);
      };
      if (infraId !== undefined) {
        if (!GCE_NAME.test(infraId)) return;
        const zone = await getZone(operation, dnsZoneName(infraId));
        if (zone) yield* await yieldZone(zone);
        return;
      }
      const guard = pageGuard('gcp', operation);
      let pageToken: string | undefined;
      do {
        const token = pageToken;
        const page = await gce.dns<ZoneList>(operation, { method: 'GET', path: 'managedZones', query: { maxResults: String(gce.pageSize), ...(token ? { pageToken: token } : {}) } });
        for (const zone of page.managedZones ?? []) yield* await yieldZone(zone);
        pageToken = page.nextPageToken || undefined;
        if (pageToken) guard.next(pageToken);
      } while (pageToken);
    },

    async deleteDnsResource(resource) {
      const match = /^projects\/[^/]+\/managedZones\/([^/]+)(?:\/rrsets\/([^/]+)\/A)?$/.exec(resource.id);
      const zone = match?.[1];
      if (!zone) return false;
      const infraId = resource.tags[TAG.cluster];
      const operation = 'delete cluster API record';
      if (infraId === undefined) throw new ProviderError('invalid', `gcp delete resource: "${resource.id}" has no cluster tag`, { operation: 'delete resource' });
      const found = await getZone(operation, zone);
      if (!found) return true;
      checkOurs(operation, found, infraId, undefined);
      const record = match[2];
      if (record !== undefined) await deleteRecord(operation, zone, record);
      else await deleteZone(operation, zone);
      return true;
    },
  };
}
