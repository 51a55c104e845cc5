import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from '../../services/common/label-selector';
import { ContinueTokenError, WatchGoneError, WatchOverflowError, createProjection, type ProjectedObject, type WatchEvent } from '../../services/common/projection';

describe('label selectors', () => {
  const labels = { env: 'prod', tier: 'web', 'slipway.dev/team': 'blue' };
  it.each([
    ['env=prod', true],
    ['env==prod', true],
    ['env!=prod', false],
    ['env in (dev,prod)', true],
    ['env notin (dev, prod)', false],
    ['tier', true],
    ['!tier', false],
    ['missing', false],
    ['!missing', true],
    ['env=prod,tier=web,slipway.dev/team=blue', true],
    ['env=prod,tier=api', false],
    ['', true],
  ])('%s matches: %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each(['===', 'env in prod', 'a=b=c', ',=x'])('refuses %s with a message that says what is accepted', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(LabelSelectorError);
  });
});

describe('Redis projection', () => {
  let redis: Redis;
  const prefix = `projection-test-${randomUUID().slice(0, 8)}`;
  const kind = 'ClusterDeployment';
  const object = (name: string, labels: Record<string, string> = {}, namespace = 'default'): ProjectedObject => ({ apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { name, namespace, labels }, spec: {} });

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.disconnect());

  it('lists by namespace and label selector, in pages that together hold each object once', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-list` });
    for (let index = 0; index < 25; index += 1) await projection.put(kind, object(`c-${String(index).padStart(2, '0')}`, { parity: index % 2 === 0 ? 'even' : 'odd' }));
    await projection.put(kind, object('elsewhere', { parity: 'even' }, 'other'));

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await projection.list(kind, { namespace: 'default', limit: 7, ...(token ? { continue: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((item) => item.metadata.name));
      token = page.metadata.continue;
    } while (token);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);

    const even = parseLabelSelector('parity=even');
    const evenOnly = (item: ProjectedObject) => matchesLabels(even, item.metadata.labels);
    const evens = await projection.list(kind, { namespace: 'default', filter: evenOnly });
    expect(evens.items).toHaveLength(13);
    expect((await projection.list(kind, { filter: evenOnly })).items).toHaveLength(14);
    expect(evens.items.every((item) => item.metadata.resourceVersion)).toBe(true);
  });

  it('serves a listed item exactly as GET does, also one stored before objects were kept metadata first', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-json` });
    const stale = { ...object('fresh', { team: 'a' }), metadata: { name: 'fresh', namespace: 'default', labels: { team: 'a' }, resourceVersion: 'stale-1' }, status: { phase: 'Ready' } };
    await projection.put(kind, stale);
    await projection.put(kind, object('legacy'));
    // As the projection stored objects before: apiVersion first, no version in metadata.
    await redis.hset(`${prefix}-json:obj:${kind}:default/legacy`, 'object', JSON.stringify({ apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { name: 'legacy', namespace: 'default' }, spec: { replicas: 2 } }));

    const page = await projection.listJson(kind, { namespace: 'default', limit: 1 });
    const rest = await projection.listJson(kind, { namespace: 'default', limit: 1, ...(page.metadata.continue ? { continue: page.metadata.continue } : {}) });
    expect(rest.metadata.continue).toBeUndefined();
    const [fresh, legacy] = [...page.items, ...rest.items].map((json) => JSON.parse(json.toString('utf8')) as ProjectedObject);
    expect(fresh).toEqual(await projection.get(kind, 'default', 'fresh'));
    expect(legacy).toEqual(await projection.get(kind, 'default', 'legacy'));
    expect(fresh?.metadata.resourceVersion).toMatch(/^\d+-\d+$/);
    expect(fresh).toMatchObject({ metadata: { labels: { team: 'a' } }, status: { phase: 'Ready' } });
    expect(legacy).toMatchObject({ metadata: { name: 'legacy', resourceVersion: expect.stringMatching(/^\d+-\d+$/) }, spec: { replicas: 2 } });
  });

  it('streams changes with resourceVersions, resumes after one, and reports removals', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-watch` });
    const first = (await projection.put(kind, object('w'))) ?? '';
    await projection.put(kind, { ...object('w'), status: { phase: 'two' } });
    await projection.remove(kind, 'default', 'w');

    const collect = async (resourceVersion: string, count: number) => {
      const controller = new AbortController();
      const events: WatchEvent[] = [];
      for await (const event of projection.watch(kind, { resourceVersion }, controller.signal)) {
        events.push(event);
        if (events.length === count) controller.abort();
      }
      return events;
    };
    expect((await collect('0', 3)).map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const resumed = await collect(first, 2);
    expect(resumed.map((event) => event.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(resumed[0]?.object.status).toEqual({ phase: 'two' });
    expect(resumed.every((event) => event.object.metadata.resourceVersion && event.object.metadata.resourceVersion > first)).toBe(true);
    expect(await projection.get(kind, 'default', 'w')).toBeUndefined();
  });

  it('refuses, as 410 Gone, a resourceVersion older than the stream holds, newer than its latest change, or from a stream Redis lost', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-old` });
    const latest = (await projection.put(kind, object('x'))) ?? '';
    await expect(projection.assertServable(kind, '1-0')).rejects.toBeInstanceOf(WatchGoneError);
    await expect(projection.openWatch(kind, { resourceVersion: '1-0' })).rejects.toBeInstanceOf(WatchGoneError);
    await expect(projection.openWatch(kind, { resourceVersion: `${Number(latest.split('-')[0]) + 60_000}-0` })).rejects.toThrow(/newer than the latest change/);
    await expect(projection.assertServable(kind, latest)).resolves.toBeUndefined();
    await expect(projection.assertServable(kind, '0')).resolves.toBeUndefined();
    await redis.del(`${prefix}-old:changes:${kind}`);
    await expect(projection.openWatch(kind, { resourceVersion: latest })).rejects.toThrow(/change stream is empty/);
  });

  it('ends a live watch with 410 Gone when Redis loses the change stream under it', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-lost`, watchBlockMs: 100 });
    await projection.put(kind, object('y'));
    const stream = await projection.openWatch(kind, {});
    await redis.del(`${prefix}-lost:changes:${kind}`);
    await expect(stream.next(5_000)).rejects.toBeInstanceOf(WatchGoneError);
    stream.close();
  });

  it('reports a removal as DELETED even when the object hash is already gone', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-ghost` });
    const added = (await projection.put(kind, object('g'))) ?? '';
    await redis.del(`${prefix}-ghost:obj:${kind}:default/g`);
    await projection.remove(kind, 'default', 'g', object('g'));
    const stream = await projection.openWatch(kind, { resourceVersion: added });
    const event = await stream.next(2_000);
    stream.close();
    expect(event).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'g' } } });
  });

  it('drops a watcher that falls further behind than its bound instead of buffering', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-slow`, watchQueueLimit: 5 });
    const stream = await projection.openWatch(kind, {});
    for (let index = 0; index < 10; index += 1) await projection.put(kind, object(`s-${index}`));
    const until = Date.now() + 5_000;
    let outcome: unknown;
    // The first reads may return queued events; the watcher is dropped once the hub has pushed past the bound.
    while (outcome === undefined && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcome = await stream.next(0).then(() => undefined, (error: unknown) => error);
    }
    stream.close();
    expect(outcome).toBeInstanceOf(WatchOverflowError);
  });

  it('gives every page of a list the first page\'s resourceVersion, and leaves out objects created after it', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-pages` });
    for (const name of ['a', 'b', 'c']) await projection.put(kind, object(name));
    const first = await projection.list(kind, { namespace: 'default', limit: 1 });
    await projection.put(kind, object('bb'));
    await projection.put(kind, object('d'));
    const second = await projection.list(kind, { namespace: 'default', limit: 5, continue: first.metadata.continue ?? '' });
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.items.map((item) => item.metadata.name)).toEqual(['b', 'c']);
    await expect(projection.list(kind, { namespace: 'other', continue: first.metadata.continue ?? '' })).rejects.toBeInstanceOf(ContinueTokenError);
    await expect(projection.list(kind, { namespace: 'default', continue: 'default/a' })).rejects.toBeInstanceOf(ContinueTokenError);
    await redis.xtrim(`${prefix}-pages:changes:${kind}`, 'MAXLEN', 1);
    await expect(projection.list(kind, { namespace: 'default', continue: first.metadata.continue ?? '' })).rejects.toBeInstanceOf(WatchGoneError);
  });

  it('serves every watch of a process from one shared Redis connection', async () => {
    const name = `watch-share-${randomUUID().slice(0, 8)}`;
    const named = new Redis(inject('redisUrl'), { connectionName: name });
    const connections = async () => String(await named.client('LIST')).split('\n').filter((line) => line.includes(`name=${name} `)).length;
    const projection = createProjection(named, { prefix: `${prefix}-share` });
    await projection.put(kind, object('z'));
    const before = await connections();
    const streams = await Promise.all(['ClusterDeployment', 'MachineDeployment', 'ClusterDeployment', 'ClusterDeployment', 'MachineDeployment'].map((watched) => projection.openWatch(watched, {})));
    const during = await connections();
    for (const stream of streams) stream.close();
    projection.closeWatches();
    named.disconnect();
    expect(before).toBe(1);
    expect(during).toBe(2);
  });

  it('answers GET from the projection only when its copy holds every write the API recorded', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-current` });
    const current = async (name: string) => {
      const bytes = (await projection.readForGet(kind, 'default', name)).current;
      return bytes ? (JSON.parse(bytes.toString('utf8')) as ProjectedObject) : undefined;
    };
    expect(await current('absent')).toBeUndefined();

    const version = await projection.put(kind, object('held', { copy: 'first' }), 5_000);
    expect(await current('held')).toMatchObject({ metadata: { name: 'held', resourceVersion: version, labels: { copy: 'first' } } });

    // A write acknowledged at 6,000: the copy numbered 5,000 is from before it.
    await projection.recordWrite(kind, 'default', 'held', 6_000);
    expect(await current('held')).toBeUndefined();
    await projection.put(kind, object('held', { copy: 'second' }), 6_000);
    expect(await current('held')).toMatchObject({ metadata: { labels: { copy: 'second' } } });
    // A write recorded late, by a slower API process, does not lower the floor.
    await projection.recordWrite(kind, 'default', 'held', 5_500);
    await projection.recordWrite(kind, 'default', 'held', 7_000);
    await projection.recordWrite(kind, 'default', 'held', 6_500);
    expect(await current('held')).toBeUndefined();
    await projection.put(kind, object('held', { copy: 'third' }), 7_000);
    expect(await current('held')).toMatchObject({ metadata: { labels: { copy: 'third' } } });

    // A repair's copy (from a memo, numbered by no entity) is never served: its status may be old.
    await projection.putIfAbsent(kind, object('repaired', { copy: 'memo' }));
    expect(await current('repaired')).toBeUndefined();
    await projection.put(kind, object('repaired', { copy: 'entity' }), 8_000);
    expect(await current('repaired')).toMatchObject({ metadata: { labels: { copy: 'entity' } } });

    // A write recorded before the object's first copy: a repair's copy is not enough, the entity's own is.
    await projection.recordWrite(kind, 'default', 'early', 9_000);
    expect(await projection.putIfAbsent(kind, object('early', { copy: 'memo' }))).toBeDefined();
    expect(await current('early')).toBeUndefined();
    await projection.put(kind, object('early', { copy: 'entity' }), 9_000);
    expect(await current('early')).toMatchObject({ metadata: { labels: { copy: 'entity' } } });

    // A removal takes the floor with it; LIST never shows an object that only has a floor.
    await projection.remove(kind, 'default', 'held');
    expect(await current('held')).toBeUndefined();
    expect(await redis.hget(`${prefix}-current:obj:${kind}:default/held`, 'floor')).toBeNull();
    await projection.recordWrite(kind, 'default', 'floor-only', 1_000);
    expect((await projection.list(kind)).items.map((item) => item.metadata.name)).toEqual(['early', 'repaired']);
  });
});
