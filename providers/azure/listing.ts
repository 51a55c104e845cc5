/**
 * What listResources yields on Azure. An empty query is every resource of the kinds the adapter
 * makes that is ours or another plane's (it carries a management tag), and those in the target's
 * location that carry none, so an orphan sweep reports them as kept-untagged (and keeps a resource
 * group that holds one). Azure lists a kind subscription-wide: the location keeps a sweep of one
 * region from reporting every other region's untagged resources. Any other query is the resources
 * carrying our management tag and every tag of the query.
 */
import { TAG, matchesTagQuery } from '../tags';
import type { CanonicalTags, TagQuery } from '../types';

/** Azure writes locations as eastus or "East US" depending on the API. */
const normalLocation = (location: string | undefined): string => (location ?? '').toLowerCase().replace(/\s+/g, '');

export function listedBy(tags: CanonicalTags, query: TagQuery, itemLocation: string | undefined, location: string): boolean {
  if (tags[TAG.management] !== undefined) return matchesTagQuery(tags, query);
  return Object.keys(query).length === 0 && normalLocation(itemLocation) === normalLocation(location);
}
