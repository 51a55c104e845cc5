/**
 * A guard for every paged list an adapter reads: a service that hands back a page token it already
 * gave, or more pages than any list of ours should have, would otherwise keep the loop (and the
 * cloud calls, and the activity) going for ever.
 */
import { ProviderError } from './types';

/** Far more pages than any cluster's list needs (10,000 pages of even 10 items is 100,000 items). */
export const MAX_PAGES = 10_000;

export interface PageGuard {
  /** Call with each next-page token before fetching that page; throws on a repeat or past the budget. */
  next(token: unknown): void;
}

export function pageGuard(cloud: string, operation: string, maxPages: number = MAX_PAGES): PageGuard {
  const seen = new Set<string>();
  return {
    next(token) {
      const key = typeof token === 'string' ? token : JSON.stringify(token);
      if (seen.has(key)) {
        throw new ProviderError('retryable', `${cloud} ${operation}: the service handed back a page token it had already given, so paging stopped instead of looping (the call is retried from the first page)`, { operation });
      }
      seen.add(key);
      if (seen.size >= maxPages) {
        throw new ProviderError('invalid', `${cloud} ${operation}: the list ran past ${maxPages} pages, Slipway's budget for one list, so paging stopped; narrow the query or raise the page size`, { operation });
      }
    },
  };
}

/**
 * The next-page link of a page the Azure SDK yielded (it sets `continuationToken` on each page it
 * gets from following nextLink), else a token unique to that page's index: a repeated link is then
 * caught even though the SDK follows the links itself.
 */
export function nextLinkOf(page: unknown, index: number): string {
  const link = typeof page === 'object' && page !== null && 'continuationToken' in page ? page.continuationToken : undefined;
  return typeof link === 'string' && link !== '' ? link : `page ${index}`;
}
