import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LabelSelectorError, matchesLabels, parseLabelSelector } from '../../services/common/label-selector';
import { ResourceVersionTooOldError, createProjection, type ProjectedObject, type WatchEvent } from '../../services/common/projection';

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

    const even = await projection.list(kind, { namespace: 'default', labelSelector: 'parity=even' });
    expect(even.items).toHaveLength(13);
    expect((await projection.list(kind, { labelSelector: 'parity=even' })).items).toHaveLength(14);
    expect(even.items.every((item) => item.metadata.resourceVersion)).toBe(true);
  });

  it('streams changes with resourceVersions, resumes after one, and reports removals', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-watch` });
    const first = await projection.put(kind, object('w'));
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

  it('refuses to resume from a resourceVersion older than what the stream still holds', async () => {
    const projection = createProjection(redis, { prefix: `${prefix}-old` });
    await projection.put(kind, object('x'));
    await expect(projection.assertRetained(kind, '1-0')).rejects.toBeInstanceOf(ResourceVersionTooOldError);
    await expect(projection.assertRetained(kind, '0')).resolves.toBeUndefined();
  });
});
