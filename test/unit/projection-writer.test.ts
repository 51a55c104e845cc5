/**
 * The worker's projection writer (services/worker/projection-writer.ts) against a real
 * redis-server: changes land newest-wins per object whatever order they arrive in, a burst
 * for one object coalesces, and a write that fails while Redis is away lands once it is back.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createProjection, type ProjectedObject } from '../../services/common/projection';
import { createProjectionWriter } from '../../services/worker/projection-writer';
import { startRedisServer } from '../support/redis-server';

const kind = 'ClusterDeployment';
const object = (name: string, step: number): ProjectedObject => ({ apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: {}, status: { step } });
const stepOf = (found: ProjectedObject | undefined) => (found?.status as { step?: number } | undefined)?.step;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

it('keeps the newest change of an object when an older one is written after it (another worker, or a late retry)', async () => {
  const projection = createProjection(redis, { prefix: `writer-${randomUUID().slice(0, 8)}` });
  expect(await projection.put(kind, object('order', 2), 2_000)).toBeDefined();
  expect(await projection.put(kind, object('order', 1), 1_000)).toBeUndefined();
  expect(stepOf(await projection.get(kind, 'default', 'order'))).toBe(2);
  expect(await projection.put(kind, object('order', 3), 3_000)).toBeDefined();
  expect(stepOf(await projection.get(kind, 'default', 'order'))).toBe(3);
});

it('writes only the newest of a burst of changes for one object, and every object it was given', async () => {
  const prefix = `writer-${randomUUID().slice(0, 8)}`;
  const projection = createProjection(redis, { prefix });
  const writer = createProjectionWriter(projection);
  for (let step = 1; step <= 50; step += 1) writer.put(kind, object('burst', step), step);
  for (let index = 0; index < 20; index += 1) writer.put(kind, object(`other-${index}`, 1), 1);
  await writer.idle();
  expect(stepOf(await projection.get(kind, 'default', 'burst'))).toBe(50);
  expect((await projection.list(kind)).items).toHaveLength(21);
  // The first change is written at once; the 49 handed in while it was on its way become one write.
  const entries = (await redis.xrange(`${prefix}:changes:${kind}`, '-', '+')) as [string, string[]][];
  const burstWrites = entries.filter(([, fields]) => fields.some((field) => field.includes('"name":"burst"')));
  expect(burstWrites.length).toBe(2);
});

it('retries a write that failed while Redis was away, and it lands once Redis is back', async () => {
  const server = await startRedisServer();
  const port = Number(new URL(server.url).port);
  const flaky = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => 200 });
  flaky.on('error', () => undefined);
  const projection = createProjection(flaky, { prefix: 'writer-outage' });
  const writer = createProjectionWriter(projection);
  await server.stop();
  writer.put(kind, object('outage', 1), 1);
  writer.put(kind, object('outage', 2), 2);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const again = await startRedisServer(undefined, port);
  try {
    await writer.idle();
    const readerRedis = new Redis(again.url);
    const reader = createProjection(readerRedis, { prefix: 'writer-outage' });
    expect(stepOf(await reader.get(kind, 'default', 'outage'))).toBe(2);
    readerRedis.disconnect();
  } finally {
    flaky.disconnect();
    await again.stop();
  }
});
