/**
 * List and watch over HTTP, on the run's real Redis: the projection is written directly
 * (as the workflows' local activity would), so no worker is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjection, type ProjectedObject } from '../../services/common/projection';
import { SseParser, type SseEvent } from '../../services/cli/sse';
import { startBareApi } from '../support/api';

const BASE = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';
const kind = 'ClusterDeployment';

let api: Awaited<ReturnType<typeof startBareApi>>;
let projection: ReturnType<typeof createProjection>;
beforeAll(async () => {
  api = await startBareApi({ watchTimings: { heartbeatMs: 60_000, bookmarkMs: 200 } });
  projection = createProjection(api.peers.redis, { prefix: api.peers.redisPrefix });
  // Lists rebuild from visibility when the kind was never marked whole; this projection is written by hand.
  await api.peers.redis.set(`${api.peers.redisPrefix}:initialized:${kind}`, '1');
});
afterAll(async () => api?.close());

const object = (name: string, labels: Record<string, string> = {}): ProjectedObject => ({ apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { name, namespace: 'default', labels }, spec: {} });

/** Opens a watch and collects its events until `enough` says so, the server ends it, or 10 s pass. */
async function watchEvents(query: string, enough: (events: SseEvent[]) => boolean, whileOpen?: () => Promise<void>): Promise<{ events: SseEvent[]; endedByServer: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  const response = await fetch(new URL(`${BASE}?watch=1&${query}`, api.url), { headers: { authorization: `Bearer ${api.token}` }, signal: controller.signal });
  expect(response.status).toBe(200);
  const parser = new SseParser();
  const events: SseEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const acting = whileOpen?.();
  let endedByServer = false;
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) {
        endedByServer = true;
        break;
      }
      events.push(...parser.push(value));
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
    await acting;
  }
  return { events, endedByServer };
}

const names = (events: SseEvent[]) => events.filter((event) => event.event !== 'BOOKMARK').map((event) => (JSON.parse(event.data) as ProjectedObject).metadata.name);

describe('watch over HTTP', () => {
  it('filters by labelSelector and fieldSelector on the server, and ends by itself after timeoutSeconds', async () => {
    const { events, endedByServer } = await watchEvents('labelSelector=team%3Dblue&fieldSelector=metadata.name%3Dsel-1&timeoutSeconds=2', () => false, async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await projection.put(kind, object('sel-1', { team: 'blue' }));
      await projection.put(kind, object('sel-2', { team: 'blue' }));
      await projection.put(kind, object('sel-1', { team: 'red' }));
      await projection.put(kind, object('sel-1', { team: 'blue', again: 'yes' }));
    });
    expect(endedByServer).toBe(true);
    expect(names(events)).toEqual(['sel-1', 'sel-1']);
    expect(events.map((event) => event.event)).toEqual(['ADDED', 'MODIFIED']);
  });

  it('answers 410 Gone as a problem for a resourceVersion from the future or older than the stream holds', async () => {
    const latest = (await projection.put(kind, object('gone-1'))) ?? '';
    const future = `${Number(latest.split('-')[0]) + 3_600_000}-0`;
    for (const resourceVersion of [future, '1-0']) {
      const response = await api.request('GET', `${BASE}?watch=1&resourceVersion=${resourceVersion}`);
      expect(response.status).toBe(410);
      expect(response.contentType).toContain('application/problem+json');
      expect((response.body as { errors: { path: string }[] }).errors[0]?.path).toBe('query.resourceVersion');
    }
  });

  it('sends an ERROR event with 410 when Redis loses the stream under an open watch', async () => {
    await projection.put(kind, object('lost-1'));
    const { events } = await watchEvents('', (seen) => seen.some((event) => event.event === 'ERROR'), async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await api.peers.redis.del(`${api.peers.redisPrefix}:changes:${kind}`);
    });
    const error = events.find((event) => event.event === 'ERROR');
    expect(JSON.parse(error?.data ?? '{}')).toMatchObject({ status: 410, type: expect.stringContaining('resource-version-gone') });
  });

  it('sends bookmarks with the resourceVersion it has read up to when nothing it matches changed', async () => {
    const start = await projection.put(kind, object('mark-0'));
    let latest = '';
    const { events } = await watchEvents(`allowWatchBookmarks=true&labelSelector=never%3Dmatches&resourceVersion=${start}`, (seen) => seen.some((event) => event.event === 'BOOKMARK' && event.id === latest), async () => {
      latest = (await projection.put(kind, object('mark-1'))) ?? '';
    });
    const bookmark = events.find((event) => event.event === 'BOOKMARK');
    expect(JSON.parse(bookmark?.data ?? '{}')).toEqual({ apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { resourceVersion: latest } });
    expect(names(events)).toEqual([]);
  });

  it('refuses bad selectors, timeouts and continue tokens with 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['watch=1&fieldSelector=spec.replicas%3D3', 'query.fieldSelector'],
      ['fieldSelector=metadata.name', 'query.fieldSelector'],
      ['watch=1&timeoutSeconds=0', 'query.timeoutSeconds'],
      ['continue=default%2Fa', 'query.continue'],
    ]) {
      const response = await api.request('GET', `${BASE}?${query}`);
      expect(response.status, query).toBe(400);
      expect((response.body as { errors: { path: string }[] }).errors[0]?.path).toBe(path);
    }
  });

  it('lists by fieldSelector, every page at the first page\'s resourceVersion', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await projection.put(kind, object(name, { paged: 'yes' }));
    const first = (await api.request('GET', `${BASE}?labelSelector=paged%3Dyes&limit=1`)).body as { metadata: { resourceVersion: string; continue: string }; items: ProjectedObject[] };
    await projection.put(kind, object('page-bb', { paged: 'yes' }));
    const rest = (await api.request('GET', `${BASE}?labelSelector=paged%3Dyes&continue=${encodeURIComponent(first.metadata.continue)}`)).body as { metadata: { resourceVersion: string }; items: ProjectedObject[] };
    expect(rest.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(rest.items.map((item) => item.metadata.name)).toEqual(['page-b', 'page-c']);
    const one = (await api.request('GET', `${BASE}?fieldSelector=metadata.name%3Dpage-b`)).body as { items: ProjectedObject[] };
    expect(one.items.map((item) => item.metadata.name)).toEqual(['page-b']);
  });

  it('sends a repeated LIST as it was until the kind changes, then the change, on every page', async () => {
    type Page = { metadata: { resourceVersion: string; continue?: string }; items: ProjectedObject[] };
    const list = async (query = '') => (await api.request('GET', `${BASE}?labelSelector=kept%3Dyes${query}`)).body as Page;
    const namesOf = (page: Page) => page.items.map((item) => item.metadata.name);
    for (const name of ['kept-a', 'kept-b', 'kept-c']) await projection.put(kind, object(name, { kept: 'yes' }));
    const first = await list();
    expect(await list()).toEqual(first);
    const firstOfTwo = await list('&limit=2');
    expect(namesOf(firstOfTwo)).toEqual(['kept-a', 'kept-b']);

    await projection.put(kind, object('kept-a', { kept: 'yes', touched: 'once' }));
    const changed = await list();
    expect(changed.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);
    expect(changed.items[0]?.metadata.labels).toEqual({ kept: 'yes', touched: 'once' });
    expect((await list('&limit=2')).items[0]?.metadata.labels).toEqual({ kept: 'yes', touched: 'once' });

    // A write to an object no page here holds moves the version too; the pages stay right.
    await projection.put(kind, object('elsewhere'));
    expect(namesOf(await list())).toEqual(['kept-a', 'kept-b', 'kept-c']);

    await projection.remove(kind, 'default', 'kept-c');
    expect(namesOf(await list())).toEqual(['kept-a', 'kept-b']);
    const rest = await list(`&continue=${encodeURIComponent(firstOfTwo.metadata.continue ?? '')}`);
    expect(namesOf(rest)).toEqual([]);
  });
});
