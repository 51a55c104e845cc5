/**
 * A cluster's API name on Route 53: a private hosted zone `<clusterName>.<baseDomain>` associated
 * with the cluster's VPC, holding an alias A record `api.<clusterName>.<baseDomain>` for the API
 * load balancer. The zone is the CloudResource (kind 'dnsRecord'): Route 53 tags zones, not
 * records, and deleting the zone deletes its records first.
 *
 * Route 53 takes no tags at creation, so a crash can leave a zone untagged; the zone is therefore
 * found by its name and its CallerReference, `slipway:<infraId>:<generation>`, which is derived from
 * the infra ID: a retried CreateHostedZone with the same reference is answered HostedZoneAlreadyExists
 * and the zone is looked up. Route 53 never accepts a reference twice, even after the zone is deleted,
 * so when a reference's zone is gone (a failed install attempt tore it down) the next generation is
 * used. deleteClusterInfra finds zones by tags or by that reference, so an untagged one is not left.
 * moto ignores CallerReference (a repeated create makes a second zone), so the lookup comes first.
 */
import {
  ChangeResourceRecordSetsCommand,
  ChangeTagsForResourceCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  ListTagsForResourcesCommand,
  type HostedZone,
  type ListResourceRecordSetsResponse,
  type ResourceRecordSet,
  type RRType,
  type VPCRegion,
} from '@aws-sdk/client-route-53';
import { ProviderError, type CloudResource, type ClusterInfraRequest, type TagQuery } from '../types';
import { chunks, pages, type Route53 } from './services';
import { canonicalTagsOf, carriesTags, identityQuery, listedBy, nameTagOf, resourceTags, type KeyValue } from './tags';
import { TAG, isOwned, type OwnershipScope } from '../tags';

/** Route 53 pages hold at most 100 zones; ListTagsForResources takes at most 10 IDs. */
const ZONE_PAGE_MAX = 100;
const TAGS_PER_CALL = 10;
/** How many earlier zones of one infra ID (one per torn-down install attempt) a create steps over. */
const ZONE_GENERATIONS = 16;

export function apiZoneName(request: Pick<ClusterInfraRequest, 'clusterName' | 'baseDomain'>): string {
  return `${request.clusterName}.${request.baseDomain}`.toLowerCase().replace(/\.$/, '');
}

const callerReferencePrefix = (infraId: string): string => `slipway:${infraId}:`;

export function callerReferenceFor(infraId: string, generation: number): string {
  return `${callerReferencePrefix(infraId)}${generation}`;
}

function isOursByReference(zone: HostedZone, infraId: string): boolean {
  return zone.Config?.PrivateZone === true && (zone.CallerReference ?? '').startsWith(callerReferencePrefix(infraId));
}

/** "/hostedzone/Z123" and "Z123" are the same zone; tagging calls take the bare ID. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

const absolute = (name: string): string => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

export interface AliasTarget {
  readonly dnsName: string;
  readonly canonicalHostedZoneId: string;
}

export interface DnsOperations {
  /** The zone (created or found, and tagged) with the API record pointing at `target`. */
  ensureApiRecord(request: ClusterInfraRequest, vpc: { readonly vpcId: string; readonly region: string }, target: AliasTarget): Promise<CloudResource>;
  /** Zones carrying the query's tags, page by page. */
  listZoneResources(query: TagQuery): AsyncGenerator<CloudResource>;
  /** The cluster's zones: tagged with its infra ID, or made under its caller reference and not tagged yet. */
  /** Zones tagged as the cluster's and ours (isOwned), or untagged ones our caller reference names (a crash between create and tag). */
  clusterZones(infraId: string, scope?: OwnershipScope): AsyncGenerator<CloudResource>;
  /** Deletes the zone's records (but its own NS and SOA), then the zone; a missing zone is fine. */
  deleteZoneResource(resource: CloudResource): Promise<void>;
}

export function dnsOperations(route53: Route53): DnsOperations {
  const pageSize = Math.min(ZONE_PAGE_MAX, route53.pageSize);

  const zoneResource = (zone: HostedZone, tags: readonly KeyValue[] | undefined): CloudResource => ({
    kind: 'dnsRecord',
    id: bareZoneId(zone.Id ?? ''),
    name: nameTagOf(tags) ?? (zone.Name ?? '').replace(/\.$/, ''),
    tags: canonicalTagsOf(tags),
  });

  /** Zones named exactly `name`; ListHostedZonesByName starts at the name and goes on in name order. */
  const zonesNamed = async function* (operation: string, name: string): AsyncGenerator<HostedZone> {
    const wanted = absolute(name);
    let cursor: { DNSName: string; HostedZoneId?: string } = { DNSName: wanted };
    for (;;) {
      const request = cursor;
      const page = await route53.call(operation, () => route53.client.send(new ListHostedZonesByNameCommand({ ...request, MaxItems: pageSize })));
      for (const zone of page.HostedZones ?? []) {
        if (absolute(zone.Name ?? '') !== wanted) return;
        yield zone;
      }
      if (!page.IsTruncated || !page.NextDNSName || absolute(page.NextDNSName) !== wanted) return;
      cursor = { DNSName: page.NextDNSName, ...(page.NextHostedZoneId ? { HostedZoneId: page.NextHostedZoneId } : {}) };
    }
  };

  const ourZoneNamed = async (operation: string, name: string, infraId: string): Promise<HostedZone | undefined> => {
    const ours: HostedZone[] = [];
    for await (const zone of zonesNamed(operation, name)) if (isOursByReference(zone, infraId)) ours.push(zone);
    // The lowest ID, so duplicates (should moto have made any) resolve the same way each time.
    return ours.sort((a, b) => (a.Id ?? '').localeCompare(b.Id ?? ''))[0];
  };

  const zoneTags = async (operation: string, zoneId: string): Promise<readonly KeyValue[] | undefined> =>
    (
      await route53.callUnless(operation, ['NoSuchHostedZone'], () =>
        route53.client.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: bareZoneId(zoneId) })),
      )
    )?.ResourceTagSet?.Tags;

  const tagZone = async (operation: string, zoneId: string, request: ClusterInfraRequest, name: string): Promise<readonly KeyValue[]> => {
    const tags = resourceTags(operation, request.tags, name);
    await route53.call(operation, () => route53.client.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: bareZoneId(zoneId), AddTags: tags })));
    return tags;
  };

  /** A found zone may have missed its tags (a crash between create and tag): they are added then. */
  const ensureTagged = async (operation: string, zone: HostedZone, request: ClusterInfraRequest, name: string): Promise<readonly KeyValue[]> => {
    const tags = await zoneTags(operation, zone.Id ?? '');
    if (tags && carriesTags(operation, tags, identityQuery(request.tags))) return tags;
    return tagZone(operation, zone.Id ?? '', request, name);
  };

  const ensureZone = async (request: ClusterInfraRequest, vpc: { readonly vpcId: string; readonly region: string }): Promise<CloudResource> => {
    const operation = 'create cluster DNS zone';
    const zoneName = apiZoneName(request);
    const name = `${request.infraId}-dns`;
    const found = await ourZoneNamed(operation, zoneName, request.infraId);
    if (found) return zoneResource(found, await ensureTagged(operation, found, request, name));
    for (let generation = 0; generation < ZONE_GENERATIONS; generation += 1) {
      const created = await route53.callExpecting(operation, ['HostedZoneAlreadyExists', 'ConflictingDomainExists'], () =>
        route53.client.send(
          new CreateHostedZoneCommand({
            Name: zoneName,
            CallerReference: callerReferenceFor(request.infraId, generation),
            // The SDK's list of regions is closed; Route 53 itself judges the name (InvalidVPCId).
            VPC: { VPCId: vpc.vpcId, VPCRegion: vpc.region as VPCRegion },
            HostedZoneConfig: { PrivateZone: true, Comment: `Slipway cluster ${request.infraId}: the Kubernetes API name` },
          }),
        ),
      );
      if (created.ok) {
        const zone = created.value.HostedZone;
        if (!zone?.Id) throw new ProviderError('retryable', `aws ${operation}: CreateHostedZone answered without a zone (the call is retried)`, { operation });
        return zoneResource(zone, await tagZone(operation, zone.Id, request, name));
      }
      // Made by an earlier attempt whose answer was lost, or (for the reference) by a zone deleted since.
      const made = await ourZoneNamed(operation, zoneName, request.infraId);
      if (made) return zoneResource(made, await ensureTagged(operation, made, request, name));
      if (created.code === 'ConflictingDomainExists') {
        throw new ProviderError('retryable', `aws ${operation}: Route 53 says the VPC already has a zone named ${zoneName}, but does not list it yet (the call is retried)`, { operation });
      }
    }
    throw new ProviderError(
      'invalid',
      `aws ${operation}: Route 53 has seen all ${ZONE_GENERATIONS} caller references of infra ID ${request.infraId} (each zone made and deleted uses one up); delete the cluster and create it again, which gives it a new infra ID`,
      { operation },
    );
  };

  const upsertApiRecord = async (zoneId: string, request: ClusterInfraRequest, target: AliasTarget): Promise<void> => {
    const operation = 'create cluster DNS record';
    const record: ResourceRecordSet = {
      Name: `api.${apiZoneName(request)}`,
      Type: 'A',
      AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.canonicalHostedZoneId, EvaluateTargetHealth: false },
    };
    await route53.call(operation, () =>
      route53.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: `Slipway cluster ${request.infraId}`, Changes: [{ Action: 'UPSERT', ResourceRecordSet: record }] } })),
    );
  };

  /** Tags by bare zone ID. A zone deleted since it was listed fails the whole call, so then each is asked alone. */
  const tagsOfZones = async (operation: string, zoneIds: readonly string[]): Promise<Map<string, readonly KeyValue[]>> => {
    const found = new Map<string, readonly KeyValue[]>();
    const answer = await route53.callUnless(operation, ['NoSuchHostedZone'], () => route53.client.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: [...zoneIds] })));
    if (answer) {
      for (const set of answer.ResourceTagSets ?? []) if (set.ResourceId) found.set(bareZoneId(set.ResourceId), set.Tags ?? []);
      return found;
    }
    for (const zoneId of zoneIds) {
      const tags = await zoneTags(operation, zoneId);
      if (tags) found.set(zoneId, tags);
    }
    return found;
  };

  /** Every zone with its tags, a page (and one tagging call per 10 zones) at a time. */
  const zonesWithTags = async function* (operation: string): AsyncGenerator<{ zone: HostedZone; tags: readonly KeyValue[] }> {
    const zonePages = pages(
      (marker) => route53.call(operation, () => route53.client.send(new ListHostedZonesCommand({ MaxItems: pageSize, ...(marker ? { Marker: marker } : {}) }))),
      (page) => page.HostedZones ?? [],
      (page) => (page.IsTruncated ? page.NextMarker : undefined),
    );
    for await (const zones of zonePages) {
      for (const batch of chunks(zones.filter((zone) => zone.Id), TAGS_PER_CALL)) {
        const tags = await tagsOfZones(operation, batch.map((zone) => bareZoneId(zone.Id ?? '')));
        for (const zone of batch) {
          const found = tags.get(bareZoneId(zone.Id ?? ''));
          // A zone deleted since the page was read has no tags to read; it is not listed.
          if (found) yield { zone, tags: found };
        }
      }
    }
  };

  const recordPages = (operation: string, zoneId: string): AsyncGenerator<readonly ResourceRecordSet[]> =>
    pages(
      (cursor: RecordCursor | undefined) => route53.call(operation, () => route53.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: pageSize, ...cursor }))),
      (page) => page.ResourceRecordSets ?? [],
      recordCursorOf,
    );

  return {
    async ensureApiRecord(request, vpc, target) {
      const zone = await ensureZone(request, vpc);
      await upsertApiRecord(zone.id, request, target);
      return zone;
    },

    async *listZoneResources(query) {
      const operation = 'list resources';
      for await (const { zone, tags } of zonesWithTags(operation)) if (listedBy(operation, tags, query)) yield zoneResource(zone, tags);
    },

    async *clusterZones(infraId, scope = {}) {
      const operation = 'delete cluster DNS zone';
      for await (const { zone, tags } of zonesWithTags(operation)) {
        const found = zoneResource(zone, tags);
        const untagged = found.tags[TAG.management] === undefined && found.tags[TAG.cluster] === undefined;
        if (isOwned(found.tags, infraId, scope) || (untagged && isOursByReference(zone, infraId))) yield found;
      }
    },

    async deleteZoneResource(resource) {
      const operation = 'delete cluster DNS zone';
      const zoneId = bareZoneId(resource.id);
      if (!/^[A-Za-z0-9]+$/.test(zoneId)) throw new ProviderError('invalid', `aws ${operation}: ${resource.id} is not a Route 53 hosted zone ID`, { operation });
      // Record names are the page cursor, so deleting a page's records does not move the next page.
      let apex: string | undefined;
      try {
        for await (const records of recordPages(operation, zoneId)) {
          apex ??= records.find((record) => record.Type === 'SOA')?.Name;
          const deletable = records.filter((record) => record.Type !== 'SOA' && !(record.Type === 'NS' && record.Name === apex));
          if (deletable.length === 0) continue;
          const changed = await route53.callUnless(operation, ['InvalidChangeBatch'], () =>
            route53.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: deletable.map((record) => ({ Action: 'DELETE', ResourceRecordSet: record })) } })),
          );
          if (!changed) throw new ProviderError('retryable', `aws ${operation}: the records of zone ${zoneId} changed while they were deleted (the call is retried)`, { operation });
        }
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'notFound') return;
        throw error;
      }
      await route53.callUnless(operation, ['NoSuchHostedZone'], () => route53.client.send(new DeleteHostedZoneCommand({ Id: zoneId })));
    },
  };
}

/** ListResourceRecordSets pages by (name, type, identifier). */
interface RecordCursor {
  readonly StartRecordName: string;
  readonly StartRecordType?: RRType;
  readonly StartRecordIdentifier?: string;
}

function recordCursorOf(page: ListResourceRecordSetsResponse): RecordCursor | undefined {
  if (!page.IsTruncated || !page.NextRecordName) return undefined;
  return {
    StartRecordName: page.NextRecordName,
    ...(page.NextRecordType ? { StartRecordType: page.NextRecordType } : {}),
    ...(page.NextRecordIdentifier ? { StartRecordIdentifier: page.NextRecordIdentifier } : {}),
  };
}
