/**
 * List paging as Compute Engine documents it: `maxResults` (0 to 500, default 500) items per
 * page in name order, and a `nextPageToken` to pass back as `pageToken` while more remain.
 * The token names the last item returned, so inserts and deletes between pages neither repeat
 * nor skip the items that stay; a token is only good with the filter it was made for.
 */
import { GceFailure } from './http';

const MAX_RESULTS = 500;

interface TokenContent {
  readonly after: string;
  readonly filter: string;
}

function invalidField(field: string, value: string, why: string): GceFailure {
  return new GceFailure(400, 'invalid', `Invalid value for field '${field}': '${value}'. ${why}`);
}

function pageSize(query: URLSearchParams): number {
  const raw = query.get('maxResults');
  if (raw === null || raw === '') return MAX_RESULTS;
  if (!/^\d+$/.test(raw)) throw invalidField('maxResults', raw, 'Must be an integer.');
  const size = Number(raw);
  if (size > MAX_RESULTS) throw invalidField('maxResults', raw, `Must be less than or equal to ${MAX_RESULTS}`);
  return size === 0 ? MAX_RESULTS : size;
}

function readToken(token: string, filter: string): string {
  try {
    const content = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenContent>;
    if (typeof content.after === 'string' && content.filter === filter) return content.after;
  } catch {
    // Falls through to the refusal below.
  }
  throw invalidField('pageToken', token, 'The page token is malformed or was issued for another request.');
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken?: string;
}

/** One page of `matching`, which the caller has filtered; items are ordered by name here. */
export function pageOf<T extends { readonly name: string }>(matching: readonly T[], query: URLSearchParams): Page<T> {
  const filter = query.get('filter') ?? '';
  const size = pageSize(query);
  const token = query.get('pageToken');
  const after = token ? readToken(token, filter) : undefined;
  const ordered = [...matching].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rest = after === undefined ? ordered : ordered.filter((item) => item.name > after);
  const items = rest.slice(0, size);
  const last = items.at(-1);
  if (rest.length <= size || last === undefined) return { items };
  const content: TokenContent = { after: last.name, filter };
  return { items, nextPageToken: Buffer.from(JSON.stringify(content)).toString('base64url') };
}
