/**
 * Canonical Slipway tags to and from EC2 tags and Describe* filters, through TAG_ENCODINGS.aws.
 * Besides the canonical tags every resource carries Name, which the EC2 console shows.
 */
import type { Filter, Tag, TagSpecification, ResourceType } from '@aws-sdk/client-ec2';
import { TAG_ENCODINGS, cloudTagKey } from '../tag-encoding';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags, type TagQuery } from '../types';

export const NAME_TAG = 'Name';

/** Encodes canonical tags; a tag EC2 cannot hold is the caller's mistake, so 'invalid'. */
export function encodeTags(operation: string, tags: CanonicalTags): Record<string, string> {
  try {
    return TAG_ENCODINGS.aws.encode(tags);
  } catch (error) {
    throw new ProviderError('invalid', `aws ${operation}: ${error instanceof Error ? error.message : String(error)}`, { operation });
  }
}

export function tagSpecifications(operation: string, resourceTypes: readonly ResourceType[], tags: CanonicalTags, name: string): TagSpecification[] {
  const encoded = Object.entries(encodeTags(operation, tags)).map(([Key, Value]): Tag => ({ Key, Value }));
  const all: Tag[] = [...encoded, { Key: NAME_TAG, Value: name }];
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags: all }));
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) out[tag.Key] = tag.Value ?? '';
  return out;
}

export function canonicalTagsOf(tags: readonly Tag[] | undefined): CanonicalTags {
  return TAG_ENCODINGS.aws.decode(tagRecord(tags));
}

export function nameTagOf(tags: readonly Tag[] | undefined): string | undefined {
  return tags?.find((tag) => tag.Key === NAME_TAG)?.Value;
}

/** A resource without the management tag is never ours, whatever the query asks. */
export const MANAGED_FILTER: Filter = { Name: 'tag-key', Values: [cloudTagKey('aws', TAG.management)] };

/** EC2 filters for "carries all these canonical tags", plus the management tag's presence. */
export function tagFilters(operation: string, query: TagQuery): Filter[] {
  const encoded = encodeTags(operation, query);
  return [MANAGED_FILTER, ...Object.entries(encoded).map(([key, value]): Filter => ({ Name: `tag:${key}`, Values: [value] }))];
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
