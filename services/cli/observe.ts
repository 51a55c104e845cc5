/**
 * Follows one object until the caller stops: changes arrive from the API's watch stream
 * (SSE) as they happen, and a slower GET poll runs beside it as a backstop (and carries
 * on alone when the server offers no watch). Every loop is bounded by the caller's signal.
 */
import type { KindName } from '../../crds/schemas/index';
import { ApiError, isApiError, type ApiClient } from './api-client';
import { compareResourceVersions } from '../common/resource-version';
import type { ObjectLike } from './conditions';

/** The object as last seen; `undefined` once it is gone (404 or a DELETED event). */
export interface Observation {
  readonly object: ObjectLike | undefined;
}

export interface ObserveOptions {
  readonly signal: AbortSignal;
  readonly pollIntervalMs?: number;
  /** Consecutive failed polls (with no watch event between) before giving up with the error. */
  readonly maxPollFailures?: number;
}

/** A single-consumer queue that wakes a waiting reader; failures end the stream. */
class Channel<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (value: T) => void; reject: (error: unknown) => void } | undefined;
  private failure: { error: unknown } | undefined;

  push(item: T): void {
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve(item);
    } else this.items.push(item);
  }

  fail(error: unknown): void {
    this.failure ??= { error };
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      reject(error);
    }
  }

  next(signal: AbortSignal): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.failure) return Promise.reject(this.failure.error);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.waiter = undefined;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = {
        resolve: (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
    });
  }
}

/**
 * A filter that lets an observation through only when its object is newer (by
 * resourceVersion) than the last one let through, so output never moves backwards when a
 * watch replays changes older than what a GET already showed. Observations without a
 * resourceVersion (a deletion, or a server that sends none) always pass.
 */
export function forwardOnly(): (observation: Observation) => boolean {
  let last: string | undefined;
  return (observation) => {
    const version = observation.object?.metadata?.resourceVersion;
    if (typeof version !== 'string' || version === '') return true;
    if (last !== undefined && compareResourceVersions(version, last) <= 0) return false;
    last = version;
    return true;
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Statuses that mean "this server has no watch for this path": rely on polling. */
const WATCH_UNSUPPORTED = new Set([400, 404, 405, 406, 415, 501]);

async function followWatch(
  client: ApiClient,
  kind: KindName,
  namespace: string,
  name: string,
  channel: Channel<Observation>,
  signal: AbortSignal,
  fromVersion: string | undefined,
): Promise<void> {
  let resourceVersion = fromVersion;
  let backoffMs = 200;
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) resourceVersion = (await client.list(kind, namespace, { limit: 1 })).resourceVersion;
      for await (const event of client.watch(kind, namespace, { ...(resourceVersion ? { resourceVersion } : {}), signal })) {
        backoffMs = 200;
        if (event.resourceVersion) resourceVersion = event.resourceVersion;
        if (event.object.metadata?.name !== name) continue;
        if (event.type === 'DELETED') channel.push({ object: undefined });
        else if (event.type === 'ADDED' || event.type === 'MODIFIED') channel.push({ object: event.object });
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isApiError(error, 410)) {
        resourceVersion = undefined;
        continue;
      }
      if (error instanceof ApiError && WATCH_UNSUPPORTED.has(error.status)) return;
      // Anything else (a dropped connection, a restarting API): reconnect after a pause; polling covers the gap.
    }
    await sleep(backoffMs, signal);
    backoffMs = Math.min(backoffMs * 2, 5_000);
  }
}

async function poll(
  client: ApiClient,
  kind: KindName,
  namespace: string,
  name: string,
  channel: Channel<Observation>,
  signal: AbortSignal,
  intervalMs: number,
  maxFailures: number,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      channel.push({ object: await client.find(kind, namespace, name, signal) });
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      failures += 1;
      if (failures >= maxFailures) {
        channel.fail(error);
        return;
      }
    }
    await sleep(intervalMs, signal);
  }
}

/**
 * Yields the object now, then again on every change, until the consumer stops iterating
 * or `signal` aborts (the pending read then rejects with the signal's reason).
 */
export async function* observeObject(client: ApiClient, kind: KindName, namespace: string, name: string, options: ObserveOptions): AsyncGenerator<Observation> {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, options.signal]);
  const channel = new Channel<Observation>();
  // Take the list's version first and read the object second: a change between the two
  // then arrives again through the watch instead of falling into a gap.
  const fromVersion = await client.list(kind, namespace, { limit: 1 }).then(
    (list) => list.resourceVersion,
    () => undefined,
  );
  channel.push({ object: await client.find(kind, namespace, name, options.signal) });
  const tasks = [
    followWatch(client, kind, namespace, name, channel, signal, fromVersion),
    (async () => {
      await sleep(options.pollIntervalMs ?? 2_000, signal);
      await poll(client, kind, namespace, name, channel, signal, options.pollIntervalMs ?? 2_000, options.maxPollFailures ?? 5);
    })(),
  ];
  const newer = forwardOnly();
  try {
    while (true) {
      const observation = await channel.next(options.signal);
      if (newer(observation)) yield observation;
    }
  } finally {
    stop.abort();
    await Promise.allSettled(tasks);
  }
}

/** Runs `body` with a signal that aborts on Ctrl-C or SIGTERM, and after `timeoutMs` when given. */
export async function untilInterrupted<T>(timeoutMs: number | undefined, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(timeoutMs === undefined ? stop.signal : AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
