/**
 * The cloud API rate limiter every worker shares, kept in Redis because a cloud's quota is
 * per account, not per process. One bucket per (provider, account, region, API class):
 * a sustained rate plus a burst allowance (rate-limiter-flexible's BurstyRateLimiter, two
 * fixed windows that together approximate the token buckets clouds publish). When the
 * cloud answers "throttled" the bucket drains for every worker until the cloud's delay passes.
 *
 * Every request an adapter sends takes a token: each adapter is built with a CallMeter (callMeter)
 * and calls it before each HTTP request, every page and every operation poll included.
 * `rateLimitedAdapter` then drains the bucket for every worker when the cloud throttles. The
 * account is a label (the credentials reference, never the credential itself).
 */
import type { Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { CloudName } from './tag-encoding';
import { ProviderError, type ProviderAdapter } from './types';

export type ApiClass = 'mutate' | 'describe';

export interface BucketLimits {
  /** Requests per second a bucket refills with. */
  readonly perSecond: number;
  /** Extra requests a full bucket lets through at once. */
  readonly burst: number;
}

export type ProviderLimits = Readonly<Record<ApiClass, BucketLimits>>;

/**
 * AWS: EC2's published default request-rate buckets (mutating 5/s refill, 50 bucket;
 * non-mutating 20/s, 100). The others are conservative defaults, to be raised per account.
 */
export const DEFAULT_LIMITS: Readonly<Record<CloudName, ProviderLimits>> = {
  aws: { mutate: { perSecond: 5, burst: 45 }, describe: { perSecond: 20, burst: 80 } },
  azure: { mutate: { perSecond: 10, burst: 40 }, describe: { perSecond: 25, burst: 100 } },
  gcp: { mutate: { perSecond: 10, burst: 40 }, describe: { perSecond: 20, burst: 80 } },
  vsphere: { mutate: { perSecond: 10, burst: 20 }, describe: { perSecond: 20, burst: 40 } },
  baremetal: { mutate: { perSecond: 10, burst: 20 }, describe: { perSecond: 20, burst: 40 } },
  simulated: { mutate: { perSecond: 200, burst: 400 }, describe: { perSecond: 400, burst: 800 } },
};

export interface RateScope {
  readonly provider: CloudName;
  /** A non-secret label for the account: the credentials reference or "default". */
  readonly account: string;
  readonly region: string;
}

export interface CloudRateLimiter {
  /** Waits for a token; past maxWaitMs it throws a throttled ProviderError, so the activity backs off instead. */
  acquire(scope: RateScope, apiClass: ApiClass): Promise<void>;
  /** Empties the bucket for every worker, for the cloud's delay (or the rest of the window when it gave none). */
  drain(scope: RateScope, apiClass: ApiClass, retryAfterMs?: number): Promise<void>;
}

/** Takes one token for one request to the cloud; adapters call it before every request they send. */
export type CallMeter = (apiClass: ApiClass) => Promise<void>;

/** A meter on the shared buckets of one (provider, account, region). */
export function callMeter(limiter: CloudRateLimiter, scope: RateScope): CallMeter {
  return (apiClass) => limiter.acquire(scope, apiClass);
}

/** The meter of an adapter built without a shared limiter (tests, the CLI). */
export const UNMETERED: CallMeter = async () => undefined;

/** Reads take describe tokens; anything that may change the cloud takes mutate tokens. */
export function apiClassOfMethod(method: string): ApiClass {
  return method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? 'describe' : 'mutate';
}

export interface RedisRateLimiterOptions {
  readonly redis: Redis;
  readonly limits?: Partial<Record<CloudName, ProviderLimits>>;
  /** How long acquire waits for a token before giving the wait back to Temporal's retry. */
  readonly maxWaitMs?: number;
  readonly keyPrefix?: string;
}

interface Bucket {
  readonly limiters: readonly RateLimiterRedis[];
  consume(key: string): Promise<unknown>;
}

function bucketKey(scope: RateScope, apiClass: ApiClass): string {
  return [scope.provider, scope.account, scope.region, apiClass].map((part) => encodeURIComponent(part)).join(':');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): CloudRateLimiter {
  const prefix = options.keyPrefix ?? 'slipway:ratelimit';
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  const buckets = new Map<string, Bucket>();

  // While Redis is unreachable each worker limits itself in memory instead of failing cloud calls.
  const redisLimiter = (keyPrefix: string, points: number, duration: number): RateLimiterRedis =>
    new RateLimiterRedis({ storeClient: options.redis, keyPrefix, points, duration, insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }) });

  const bucketFor = (provider: CloudName, apiClass: ApiClass): Bucket => {
    const name = `${provider}:${apiClass}`;
    const existing = buckets.get(name);
    if (existing) return existing;
    const limits = (options.limits?.[provider] ?? DEFAULT_LIMITS[provider])[apiClass];
    // Sub-1/s rates become one request per window of 1/rate seconds.
    const sustainedWindow = limits.perSecond >= 1 ? 1 : Math.ceil(1 / limits.perSecond);
    const sustained = redisLimiter(`${prefix}:rate`, Math.max(1, Math.round(limits.perSecond * sustainedWindow)), sustainedWindow);
    let created: Bucket = { limiters: [sustained], consume: (key) => sustained.consume(key) };
    if (limits.burst > 0) {
      // The burst refills over the time the sustained rate takes to fill it.
      const burstWindow = Math.max(1, Math.ceil(limits.burst / limits.perSecond));
      const burst = redisLimiter(`${prefix}:burst`, Math.round(limits.burst), burstWindow);
      const both = new BurstyRateLimiter(sustained, burst);
      created = { limiters: [sustained, burst], consume: (key) => both.consume(key) };
    }
    buckets.set(name, created);
    return created;
  };

  return {
    async acquire(scope, apiClass) {
      const bucket = bucketFor(scope.provider, apiClass);
      const key = bucketKey(scope, apiClass);
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        try {
          await bucket.consume(key);
          return;
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          const waitMs = Math.max(rejection.msBeforeNext, 10);
          if (Date.now() + waitMs > deadline) {
            throw new ProviderError('throttled', `${scope.provider} ${apiClass} calls for account ${scope.account} in ${scope.region} are over Slipway's shared rate limit; the call is retried after the bucket refills`, {
              operation: `rate limit ${apiClass}`,
              retryAfterMs: waitMs,
            });
          }
          await sleep(waitMs);
        }
      }
    },

    async drain(scope, apiClass, retryAfterMs) {
      const bucket = bucketFor(scope.provider, apiClass);
      const key = bucketKey(scope, apiClass);
      if (retryAfterMs !== undefined && retryAfterMs > 0) {
        const seconds = Math.ceil(retryAfterMs / 1000);
        await Promise.all(bucket.limiters.map((limiter) => limiter.block(key, seconds)));
        return;
      }
      await Promise.all(
        bucket.limiters.map(async (limiter) => {
          const state = await limiter.get(key);
          const remaining = state ? state.remainingPoints : limiter.points;
          if (remaining > 0) await limiter.penalty(key, remaining);
        }),
      );
    },
  };
}

/**
 * A throttled answer drains the bucket for all workers. The tokens themselves are taken per
 * request by the adapter's own CallMeter (callMeter with the same limiter and scope), so a paged
 * list or an ensureClusterInfra of many calls takes one token per call, not one in all.
 */
export function rateLimitedAdapter(adapter: ProviderAdapter, limiter: CloudRateLimiter, scope: RateScope): ProviderAdapter {
  const guarded = async <T>(apiClass: ApiClass, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'throttled') await limiter.drain(scope, apiClass, error.details.retryAfterMs);
      throw error;
    }
  };
  async function* guardedList<T>(items: () => AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* items();
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'throttled') await limiter.drain(scope, 'describe', error.details.retryAfterMs);
      throw error;
    }
  }
  return {
    platform: adapter.platform,
    createMachine: (request) => guarded('mutate', () => adapter.createMachine(request)),
    describeMachine: (name) => guarded('describe', () => adapter.describeMachine(name)),
    listMachines: (query) => guardedList(() => adapter.listMachines(query)),
    deleteMachine: (providerId) => guarded('mutate', () => adapter.deleteMachine(providerId)),
    ensureClusterInfra: (request) => guarded('mutate', () => adapter.ensureClusterInfra(request)),
    deleteClusterInfra: (infraId, scope) => guarded('mutate', () => adapter.deleteClusterInfra(infraId, scope)),
    listResources: (query) => guardedList(() => adapter.listResources(query)),
    deleteResource: (resource) => guarded('mutate', () => adapter.deleteResource(resource)),
    tagResource: (resource, tags) => guarded('mutate', () => adapter.tagResource(resource, tags)),
  };
}
