/**
 * Canonical Slipway tags to and from GCE labels and list filters, through TAG_ENCODINGS.gcp.
 * Networks and firewalls have no labels in Compute Engine v1, so theirs ride in the description
 * as `... [slipway-labels: key=value,key=value]`, in the same label encoding; since the encoded
 * keys and values hold only [a-z0-9_-], '=' and ',' cannot be mistaken.
 */
import { TAG_ENCODINGS, cloudTagKey } from '../tag-encoding';
import { TAG, matchesTagQuery } from '../tags';
import { ProviderError, type CanonicalTags, type TagQuery } from '../types';

export const MANAGEMENT_LABEL = cloudTagKey('gcp', TAG.management);

/** Encodes canonical tags; a tag GCE cannot hold is the caller's mistake, so 'invalid'. */
export function encodeLabels(operation: string, tags: CanonicalTags): Record<string, string> {
  try {
    return TAG_ENCODINGS.gcp.encode(tags);
  } catch (error) {
    throw new ProviderError('invalid', `gcp ${operation}: ${error instanceof Error ? error.message : String(error)}`, { operation });
  }
}

export function canonicalTagsOf(labels: Readonly<Record<string, string>> | null | undefined): CanonicalTags {
  return TAG_ENCODINGS.gcp.decode(labels ?? {});
}

/** A list filter for "carries all these canonical tags", and the management label in any case. */
export function labelFilter(operation: string, query: TagQuery): string {
  const terms = Object.entries(encodeLabels(operation, query)).map(([key, value]) => `(labels.${key} = "${value}")`);
  return [`(labels.${MANAGEMENT_LABEL}:*)`, ...terms].join(' AND ');
}

/**
 * How listResources reads a kind: an empty query is every resource of it (ours, another plane's or
 * nobody's: an orphan sweep reports the unlabelled ones as kept-untagged); any other query is the
 * resources carrying the management label and every tag of the query.
 */
export function listedBy(tags: CanonicalTags, query: TagQuery): boolean {
  return tags[TAG.management] !== undefined ? matchesTagQuery(tags, query) : Object.keys(query).length === 0;
}

/** labelFilter for listResources (listedBy): no filter at all for an empty query. */
export function listingFilter(operation: string, query: TagQuery): string | undefined {
  return Object.keys(query).length === 0 ? undefined : labelFilter(operation, query);
}

/** GCE names hold only [a-z0-9-], so they need no escaping inside quotes. */
export function nameFilter(name: string): string {
  return `(name = "${name}")`;
}

/** The tags that say whose a resource is (not when it was made), for find-before-create checks. */
export function identityQuery(tags: CanonicalTags): TagQuery {
  const query: Record<string, string> = {};
  for (const key of [TAG.management, TAG.cluster, TAG.machine]) {
    const value = tags[key];
    if (value !== undefined) query[key] = value;
  }
  return query;
}

const DESCRIPTION_TAGS = /\[slipway-labels: ([a-z0-9_=,-]*)\]$/;

export function describeWithTags(operation: string, summary: string, tags: CanonicalTags): string {
  const pairs = Object.entries(encodeLabels(operation, tags))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  return `${summary} [slipway-labels: ${pairs.join(',')}]`;
}

export function tagsInDescription(description: string | null | undefined): CanonicalTags {
  const encoded = DESCRIPTION_TAGS.exec(description ?? '')?.[1];
  if (encoded === undefined || encoded === '') return {};
  const labels: Record<string, string> = {};
  for (const pair of encoded.split(',')) {
    const [key, value, ...extra] = pair.split('=');
    if (key !== undefined && value !== undefined && extra.length === 0) labels[key] = value;
  }
  return canonicalTagsOf(labels);
}
