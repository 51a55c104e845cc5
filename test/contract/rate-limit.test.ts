/**
 * The shared cloud API rate limiter against a real redis-server: two limiters stand for two
 * workers. Windows are long (tens of seconds) so the counts are exact, not timing-dependent.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callMeter, createRedisRateLimiter, rateLimitedAdapter, type CloudRateLimiter, type ProviderLimits, type RateScope } from '../../providers/rate-limit';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import { startSimulatedCloud } from '../../providers/simulated/launch';
import { TAG, ownershipTags } from '../../providers/tags';
import { collect, errorOf } from '../support/async-checks';
import { startFaultProxy } from '../support/fault-proxy';
import { ProviderError, type ProviderAdapter } from '../../providers/types';

// One call a minute plus a burst of four: five calls pass at once, the sixth must wait.
const SLOW: ProviderLimits = { mutate: { perSecond: 1 / 60, burst: 4 }, describe: { perSecond: 1 / 60, burst: 4 } };

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

const scope = (overrides: Partial<RateScope> = {}): RateScope => ({ provider: 'aws', account: 'team-a/aws-creds', region: 'us-east-1', ...overrides });

function workers(maxWaitMs = 0): [CloudRateLimiter, CloudRateLimiter] {
  const keyPrefix = `test:ratelimit:${randomUUID()}`;
  const make = (): CloudRateLimiter => createRedisRateLimiter({ redis, keyPrefix, maxWaitMs, limits: { aws: SLOW, azure: SLOW } });
  return [make(), make()];
}

async function granted(limiter: CloudRateLimiter, target: RateScope, attempts: number): Promise<number> {
  let count = 0;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      await limiter.acquire(target, 'mutate');
      count += 1;
    } catch (error) {
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('throttled');
      expect((error as ProviderError).details.retryAfterMs).toBeGreaterThan(0);
    }
  }
  return count;
}

/** An adapter whose every call answers with the given error, or succeeds when there is none. */
function adapterAnswering(error: ProviderError | undefined): ProviderAdapter & { calls: number } {
  const state = { calls: 0 };
  const answer = async (): Promise<never> => {
    state.calls += 1;
    throw error ?? new Error('unused');
  };
  return {
    platform: 'aws',
    get calls() {
      return state.calls;
    },
    createMachine: answer,
    describeMachine: async () => {
      state.calls += 1;
      if (error) throw error;
      return undefined;
    },
    async *listMachines() {
      state.calls += 1;
      yield* [];
    },
    deleteMachine: answer,
    ensureClusterInfra: answer,
    deleteClusterInfra: answer,
    async *listResources() {
      yield* [];
    },
    deleteResource: answer,
    tagResource: answer,
  };
}

describe('shared cloud rate limiter', () => {
  it('two workers share one bucket per (provider, account, region, API class)', async () => {
    const [first, second] = workers();
    const together = (await granted(first, scope(), 4)) + (await granted(second, scope(), 4));
    expect(together).toBe(5);
  });

  it('keeps separate buckets for another account, region, provider or API class', async () => {
    const [limiter] = workers();
    expect(await granted(limiter, scope(), 6)).toBe(5);
    expect(await granted(limiter, scope({ account: 'team-b/aws-creds' }), 6)).toBe(5);
    expect(await granted(limiter, scope({ region: 'eu-west-1' }), 6)).toBe(5);
    expect(await granted(limiter, scope({ provider: 'azure' }), 6)).toBe(5);
    await limiter.acquire(scope(), 'describe');
  });

  it('drains the bucket for every worker when the cloud throttles, for the cloud\'s delay', async () => {
    const [first, second] = workers();
    const throttled = new ProviderError('throttled', 'aws create machine: HTTP 503 RequestLimitExceeded', { retryAfterMs: 30_000 });
    const adapter = rateLimitedAdapter(adapterAnswering(throttled), first, scope());
    await expect(adapter.deleteMachine('aws:///us-east-1a/i-0')).rejects.toBe(throttled);
    const refusal = await second.acquire(scope(), 'mutate').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ProviderError);
    expect((refusal as ProviderError).details.retryAfterMs).toBeGreaterThan(20_000);
    // The describe bucket is another class and still has tokens.
    await second.acquire(scope(), 'describe');
  });

  it('drains the rest of the window when the cloud gives no delay', async () => {
    const [first, second] = workers();
    const adapter = rateLimitedAdapter(adapterAnswering(new ProviderError('throttled', 'no hint')), first, scope());
    await expect(adapter.deleteResource({ kind: 'network', id: 'vpc-1', name: 'net', tags: {} })).rejects.toBeInstanceOf(ProviderError);
    expect(await granted(second, scope(), 3)).toBe(0);
  });

  it('does not drain on errors other than throttling', async () => {
    const [first, second] = workers();
    const adapter = rateLimitedAdapter(adapterAnswering(new ProviderError('retryable', 'HTTP 503')), first, scope());
    await expect(adapter.describeMachine('m')).rejects.toBeInstanceOf(ProviderError);
    expect(await granted(second, scope(), 6)).toBe(5);
  });

  it('takes a token per request the adapter sends (each page of a list), and refuses one over the limit before it is sent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-meter-'));
    const cloud = await startSimulatedCloud({ statePath: join(dir, 'cloud.db'), bootMs: 0, deleteMs: 0 });
    const proxy = await startFaultProxy({ upstream: cloud.url, seed: 1 });
    try {
      const setup = createSimulatedAdapter({ baseUrl: cloud.url, apiKey: cloud.apiKey, pageSize: 2 });
      for (let index = 0; index < 5; index += 1) {
        const machineName = `m${index}`;
        await setup.createMachine({
          name: `meter-1-${machineName}`,
          idempotencyToken: `meter1${machineName}`,
          role: 'worker',
          instanceType: 'small',
          image: 'rhcos',
          infraId: 'meter-1',
          tags: ownershipTags({ managementId: 'mgmt-meter', infraId: 'meter-1', machineName, createdAt: '2026-11-25T00:00:00.000Z' }),
        });
      }
      // Five describe tokens (SLOW): three go to the list's three pages, two to two describes.
      const [limiter] = workers();
      const metered = createSimulatedAdapter({ baseUrl: proxy.url, apiKey: cloud.apiKey, pageSize: 2, meter: callMeter(limiter, scope()) });
      const before = proxy.stats.requests;
      expect(await collect(metered.listMachines({ [TAG.cluster]: 'meter-1' }))).toHaveLength(5);
      expect(proxy.stats.requests - before).toBe(3);
      await metered.describeMachine('meter-1-m0');
      await metered.describeMachine('meter-1-m1');
      const sent = proxy.stats.requests;
      const error = await errorOf(metered.describeMachine('meter-1-m2'));
      expect(error.kind).toBe('throttled');
      expect(proxy.stats.requests).toBe(sent);
    } finally {
      await proxy.stop();
      await cloud.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('waits for a token within maxWaitMs instead of failing', async () => {
    const keyPrefix = `test:ratelimit:${randomUUID()}`;
    const limiter = createRedisRateLimiter({ redis, keyPrefix, maxWaitMs: 5_000, limits: { aws: { mutate: { perSecond: 2, burst: 0 }, describe: { perSecond: 2, burst: 0 } } } });
    for (let call = 0; call < 5; call += 1) await limiter.acquire(scope(), 'mutate');
  });

  it('falls back to a per-worker limit in memory while Redis is unreachable', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    unreachable.on('error', () => undefined);
    try {
      const limiter = createRedisRateLimiter({ redis: unreachable, maxWaitMs: 0, limits: { aws: SLOW } });
      expect(await granted(limiter, scope(), 7)).toBe(5);
    } finally {
      unreachable.disconnect();
    }
  });
});
