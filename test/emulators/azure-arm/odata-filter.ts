/**
 * The small part of OData `$filter` that ARM's list operations accept, with ARM's own limits
 * (Resource Manager REST reference, "Resources - List" and "Resource Groups - List"):
 *
 * - resource groups: only `tagName eq 'k' and tagValue eq 'v'` (or `tagName eq 'k'` alone);
 * - resources: one `eq`/`ne` comparison on location, resourceType, name or resourceGroup; or the
 *   tag pair above; or `startswith(tagName, 'prefix')`; or substringof(value, name|resourceGroup)
 *   terms joined by and/or, optionally and-ed with one resourceType comparison. Other
 *   combinations (a tag with a resource type, say) are refused, as ARM refuses them.
 *
 * Anything else is answered with 400 InvalidFilterInQueryString.
 */
import { armError, type ArmFailure } from './arm-http';

export interface Filterable {
  readonly name: string;
  readonly type: string;
  readonly location: string;
  readonly resourceGroup: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface ParsedFilter {
  readonly matches: (item: Filterable) => boolean;
  /** ARM leaves tags out of a list filtered by tag. */
  readonly byTag: boolean;
}

type Term =
  | { readonly kind: 'compare'; readonly property: string; readonly negate: boolean; readonly value: string }
  | { readonly kind: 'substringof'; readonly property: string; readonly value: string }
  | { readonly kind: 'startswith'; readonly property: string; readonly value: string };

interface Parsed {
  readonly terms: Term[];
  readonly joiners: ('and' | 'or')[];
}

const QUOTED = String.raw`'((?:[^']|'')*)'`;
const COMPARE = new RegExp(String.raw`^([A-Za-z/]+)\s+(eq|ne)\s+${QUOTED}`, 'i');
const SUBSTRINGOF = new RegExp(String.raw`^substringof\(\s*${QUOTED}\s*,\s*([A-Za-z/]+)\s*\)`, 'i');
const STARTSWITH = new RegExp(String.raw`^startswith\(\s*([A-Za-z/]+)\s*,\s*${QUOTED}\s*\)`, 'i');
const JOINER = /^\s+(and|or)\s+/i;

const unquote = (text: string): string => text.replace(/''/g, "'");

function parse(filter: string): Parsed | undefined {
  const terms: Term[] = [];
  const joiners: ('and' | 'or')[] = [];
  let rest = filter.trim();
  for (;;) {
    let match: RegExpExecArray | null;
    if ((match = COMPARE.exec(rest))) {
      terms.push({ kind: 'compare', property: (match[1] ?? '').toLowerCase(), negate: (match[2] ?? '').toLowerCase() === 'ne', value: unquote(match[3] ?? '') });
    } else if ((match = SUBSTRINGOF.exec(rest))) {
      terms.push({ kind: 'substringof', property: (match[2] ?? '').toLowerCase(), value: unquote(match[1] ?? '') });
    } else if ((match = STARTSWITH.exec(rest))) {
      terms.push({ kind: 'startswith', property: (match[1] ?? '').toLowerCase(), value: unquote(match[2] ?? '') });
    } else {
      return undefined;
    }
    rest = rest.slice(match[0].length);
    if (rest.trim() === '') return { terms, joiners };
    const joiner = JOINER.exec(rest);
    if (!joiner) return undefined;
    joiners.push((joiner[1] ?? '').toLowerCase() as 'and' | 'or');
    rest = rest.slice(joiner[0].length);
  }
}

const sameText = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function tagValueOf(tags: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(tags).find((candidate) => sameText(candidate, name));
  return key === undefined ? undefined : tags[key];
}

function tagPair(parsed: Parsed): ParsedFilter | undefined {
  const [first, second] = parsed.terms;
  if (first?.kind !== 'compare' || first.property !== 'tagname' || first.negate) return undefined;
  if (parsed.terms.length === 1) return { byTag: true, matches: (item) => tagValueOf(item.tags, first.value) !== undefined };
  if (parsed.terms.length !== 2 || parsed.joiners[0] !== 'and') return undefined;
  if (second?.kind !== 'compare' || second.property !== 'tagvalue' || second.negate) return undefined;
  return { byTag: true, matches: (item) => tagValueOf(item.tags, first.value) === second.value };
}

const PROPERTY: Readonly<Record<string, (item: Filterable) => string>> = {
  name: (item) => item.name,
  resourcetype: (item) => item.type,
  location: (item) => item.location,
  resourcegroup: (item) => item.resourceGroup,
};

function termMatches(term: Term, item: Filterable): boolean {
  const read = PROPERTY[term.property];
  if (!read) return false;
  const value = read(item);
  if (term.kind === 'compare') return sameText(value, term.value) !== term.negate;
  if (term.kind === 'substringof') return value.toLowerCase().includes(term.value.toLowerCase());
  return value.toLowerCase().startsWith(term.value.toLowerCase());
}

function resourceFilter(parsed: Parsed): ParsedFilter | undefined {
  const { terms, joiners } = parsed;
  const only = terms.length === 1 ? terms[0] : undefined;
  if (only?.kind === 'compare' && only.property in PROPERTY) return { byTag: false, matches: (item) => termMatches(only, item) };
  if (only?.kind === 'startswith' && only.property === 'tagname') {
    return { byTag: true, matches: (item) => Object.keys(item.tags).some((name) => name.toLowerCase().startsWith(only.value.toLowerCase())) };
  }
  // substringof terms joined by and/or, with at most one resourceType comparison among them.
  const allowed = terms.every((term) => (term.kind === 'substringof' && (term.property === 'name' || term.property === 'resourcegroup')) || (term.kind === 'compare' && term.property === 'resourcetype'));
  const typeTerms = terms.filter((term) => term.kind === 'compare');
  if (!allowed || typeTerms.length > 1 || typeTerms.length === terms.length) return undefined;
  // 'and' binds tighter than 'or', as in OData.
  const groups: Term[][] = [[]];
  terms.forEach((term, index) => {
    if (index > 0 && joiners[index - 1] === 'or') groups.push([]);
    groups[groups.length - 1]?.push(term);
  });
  return { byTag: false, matches: (item) => groups.some((group) => group.every((term) => termMatches(term, item))) };
}

function invalid(filter: string): ArmFailure {
  return armError(400, 'InvalidFilterInQueryString', `Invalid $filter '${filter}' specified in the query string.`);
}

/** A filter for Resources - List; undefined when there is none. */
export function resourcesFilter(filter: string | null): ParsedFilter | ArmFailure | undefined {
  if (filter === null || filter.trim() === '') return undefined;
  const parsed = parse(filter);
  return (parsed && (tagPair(parsed) ?? resourceFilter(parsed))) ?? invalid(filter);
}

/** A filter for Resource Groups - List, which takes tags only. */
export function resourceGroupsFilter(filter: string | null): ParsedFilter | ArmFailure | undefined {
  if (filter === null || filter.trim() === '') return undefined;
  const parsed = parse(filter);
  return (parsed && tagPair(parsed)) ?? invalid(filter);
}
