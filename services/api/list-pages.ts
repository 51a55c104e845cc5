/**
 * LIST pages kept as the bytes last sent, each with the version of its kind's change stream
 * it was built at. Every write to the projection appends to that stream, so a page asked for
 * again while the stream's latest version is unchanged is the same page: it is sent again
 * without reading Redis for it or building it (kube-apiserver serves LISTs from its watch
 * cache for the same reason). A page of 500 objects is megabytes, and building it afresh on
 * every request of an idle fleet made V8 run a full collection every few LISTs.
 */
import { LRUCache } from 'lru-cache';

/** What makes two LIST requests of a kind ask for the same page. */
export interface ListPageQuery {
  readonly namespace: string;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  readonly limit?: number | undefined;
  readonly continue?: string | undefined;
}

export interface ListPages {
  /**
   * The page's bytes: the kept ones if the kind's latest version is still `version`, else
   * `build()`'s, kept for the next request. Read `version` before building, so a change that
   * lands while the page is built leaves it kept under an older version, never a newer one.
   */
  page(kind: string, query: ListPageQuery, version: string, build: () => Promise<Buffer>): Promise<Buffer>;
}

interface KeptPage {
  readonly version: string;
  readonly bytes: Buffer;
}

/** Pages are kept least recently used first out, up to `maxBytes` in all; a page larger than that is not kept. */
export function createListPages(options: { readonly maxBytes: number }): ListPages {
  const kept = new LRUCache<string, KeptPage>({ maxSize: options.maxBytes, sizeCalculation: (page) => Math.max(1, page.bytes.length) });
  return {
    async page(kind, query, version, build) {
      const key = JSON.stringify([kind, query.namespace, query.labelSelector ?? '', query.fieldSelector ?? '', query.limit ?? 0, query.continue ?? '']);
      const page = kept.get(key);
      if (page?.version === version) return page.bytes;
      const bytes = await build();
      if (bytes.length <= options.maxBytes) kept.set(key, { version, bytes });
      return bytes;
    },
  };
}
