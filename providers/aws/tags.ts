/**
 * Canonical Slipway tags to and from AWS tags (EC2, ELB and Route 53 all use Key/Value pairs) and
 * EC2 Describe* filters, through TAG_ENCODINGS.aws. Besides the canonical tags every resource
 * carries Name, which the AWS consoles show.
 */
import type { Filter, TagSpecification, ResourceType } from '@aws-sdk/client-ec2';
import { TAG_ENCODINGS, cloudTagKey } from '../tag-encoding';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags, type TagQuery } from '../types';

export const NAME_TAG = 'Name';

/** A tag as any of the three services reads it back. */
export interface KeyValue {
  readonly Key?: string | undefined;
  readonly Value?: string | undefined;
}

export interface WrittenTag {
  readonly Key: string;
  readonly Value: string;
}

/** Encodes canonical tags; a tag EC2 cannot hold is the caller's mistake, so 'invalid'. */
export function encodeTags(operation: string, tags: CanonicalTags): Record<string, string> {
  try {
    return TAG_ENCODINGS.aws.encode(tags);
  } catch (error) {
    throw new ProviderError('invalid', `aws ${operation}: ${error instanceof Error ? error.message : String(error)}`, { operation });
  }
}

/** The encoded canonical tags and Name, as a create call takes them. */
export function resourceTags(operation: string, tags: CanonicalTags, name: string): WrittenTag[] {
  const encoded = Object.entries(encodeTags(operation, tags)).map(([Key, Value]): WrittenTag => ({ Key, Value }));
  return [...encoded, { Key: NAME_TAG, Value: name }];
}

export function tagSpecifications(operation: string, resourceTypes: readonly ResourceType[], tags: CanonicalTags, name: string): TagSpecification[] {
  const all = resourceTags(operation, tags, name);
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags: [...all] }));
}

function tagRecord(tags: readonly KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

export function canonicalTagsOf(tags: readonly KeyValue[] | undefined): CanonicalTags {
  return TAG_ENCODINGS.aws.decode(tagRecord(tags));
}

export function nameTagOf(tags: readonly KeyValue[] | undefined): string | undefined {
  return tags?.find((tag) => tag.Key === NAME_TAG)?.Value;
}

/**
 * For services without tag filters (ELB, Route 53): whether the tags read back carry the
 * management tag and every tag of the query, compared in the encoded form as EC2's filters are.
 */
export function carriesTags(operation: string, tags: readonly KeyValue[] | undefined, query: TagQuery): boolean {
  const present = tagRecord(tags);
  if (present[cloudTagKey('aws', TAG.management)] === undefined) return false;
  return Object.entries(encodeTags(operation, query)).every(([key, value]) => present[key] === value);
}

/** A resource without the management tag is never ours, whatever the query asks. */
export const MANAGED_FILTER: Filter = { Name: 'tag-key', Values: [cloudTagKey('aws', TAG.management)] };

/** EC2 filters for "carries all these canonical tags", plus the management tag's presence. */
export function tagFilters(operation: string, query: TagQuery): Filter[] {
  const encoded = encodeTags(operation, query);
  return [MANAGED_FILTER, ...Object.entries(encoded).map(([key, value]): Filter => ({ Name: `tag:${key}`, Values: [value] }))];
}

/**
 * How listResources reads a kind: an empty query is every resource of it in the region, ours,
 * another plane's or nobody's (an orphan sweep reports the untagged ones as kept-untagged); any
 * other query is the resources carrying our management tag and the query's tags.
 */
export function listingFilters(operation: string, query: TagQuery): Filter[] {
  return Object.keys(query).length === 0 ? [] : tagFilters(operation, query);
}

/** listingFilters for resources whose tags are read after listing them (ELB, Route 53). */
export function listedBy(operation: string, tags: readonly KeyValue[] | undefined, query: TagQuery): boolean {
  return Object.keys(query).length === 0 || carriesTags(operation, tags, query);
}

export function nameFilter(name: string): Filter {
  return { Name: `tag:${NAME_TAG}`, Values: [name] };
}

/** The tags that say whose a resource is (not when it was made), for find-before-create lookups. */
export function identityQuery(tags: CanonicalTags): TagQuery {
  const query: Record<string, string> = {};
  for (const key of [TAG.management, TAG.cluster, TAG.machine]) {
    const value = tags[key];
    if (value !== undefined) query[key] = value;
  }
  return query;
}

/** Everything of one cluster. */
export function clusterQuery(infraId: string): TagQuery {
  return { [TAG.cluster]: infraId };
}
