/**
 * Fan-out of the projection's change streams to every watch in the process: one
 * connection does one blocking XREAD over the streams that have watchers, and hands each
 * entry to each watcher's bounded queue. A watcher that falls more than its bound behind
 * (a client not reading) is dropped with WatchOverflowError rather than buffered without
 * end; a stream that disappears or restarts under the watchers (Redis emptied or replaced)
 * ends them with WatchGoneError, so they list again.
 */
import type { Redis } from 'ioredis';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StreamEntry {
  readonly id: string;
  readonly type: WatchEventType;
  readonly json: string;
}

/** The changes a watch asked for cannot be served any more: list again, then watch from the list's resourceVersion (410 Gone). */
export class WatchGoneError extends Error {}

/** The watcher read too slowly and was dropped. */
export class WatchOverflowError extends Error {}

export function entriesOf(raw: [string, string[]][]): StreamEntry[] {
  return raw.map(([id, fields]) => ({ id, type: fields[fields.indexOf('type') + 1] as WatchEventType, json: fields[fields.indexOf('object') + 1] ?? '{}' }));
}

/** One watcher's queue: filled by the hub, drained by the watch. */
export class WatchQueue {
  private items: StreamEntry[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly failed: Promise<Error>;
  private fail!: (error: Error) => void;

  constructor(private readonly limit: number) {
    this.failed = new Promise((resolve) => {
      this.fail = resolve;
    });
  }

  push(entries: readonly StreamEntry[]): void {
    if (this.failure) return;
    this.items.push(...entries);
    if (this.items.length > this.limit) this.end(new WatchOverflowError(`the watch fell more than ${this.limit} changes behind and was dropped; read the stream faster, or watch with a narrower selector`));
    this.wake?.();
  }

  end(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.items = [];
    this.fail(error);
    this.wake?.();
  }

  /** Resolves with the error that ends this watcher, whenever that happens. */
  ended(): Promise<Error> {
    return this.failed;
  }

  /** The next entry, or undefined after `timeoutMs` without one; throws once the watcher is ended. */
  async take(timeoutMs: number): Promise<StreamEntry | undefined> {
    if (this.items.length === 0 && !this.failure) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        this.wake = done;
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
      this.wake = undefined;
    }
    if (this.failure) throw this.failure;
    return this.items.shift();
  }
}

interface Feed {
  /** The last entry read from the stream; what a new watcher receives starts after it. */
  cursor: string;
  /** The stream's entries-added when last read: a smaller count later means the stream was recreated. */
  added: number;
  readonly ready: Promise<void>;
  readonly queues: Set<WatchQueue>;
}

export interface WatchHubOptions {
  readonly blockMs: number;
  readonly queueLimit: number;
}

async function streamState(redis: Redis, key: string): Promise<{ last: string; added: number } | undefined> {
  const info = (await redis.xinfo('STREAM', key).catch(() => undefined)) as unknown[] | undefined;
  if (!info) return undefined;
  const field = (name: string) => info[info.indexOf(name) + 1];
  return { last: String(field('last-generated-id') ?? '0-0'), added: Number(field('entries-added') ?? 0) };
}

export function createWatchHub(redis: Redis, options: WatchHubOptions) {
  const feeds = new Map<string, Feed>();
  let reader: Redis | undefined;
  let readerId: number | undefined;
  let running = false;

  const gone = (key: string, feed: Feed, why: string) => {
    feeds.delete(key);
    for (const queue of feed.queues) queue.end(new WatchGoneError(`${why}; list again and watch from the list's resourceVersion`));
  };

  /** Runs when a blocking read returns empty: notices a stream that vanished or was recreated. */
  const checkStreams = async () => {
    for (const [key, feed] of feeds) {
      const state = await streamState(redis, key);
      if (!state && feed.added > 0) gone(key, feed, 'the change stream was lost (Redis was emptied or replaced)');
      else if (state && state.added < feed.added) gone(key, feed, 'the change stream was recreated (Redis was emptied or replaced)');
    }
  };

  const loop = async (connection: Redis) => {
    while (feeds.size > 0) {
      const ready = [...feeds.entries()].filter(([, feed]) => feed.cursor !== '');
      if (ready.length === 0) {
        await Promise.all([...feeds.values()].map((feed) => feed.ready));
        continue;
      }
      const reply = (await connection
        .xread('COUNT', 500, 'BLOCK', options.blockMs, 'STREAMS', ...ready.map(([key]) => key), ...ready.map(([, feed]) => feed.cursor))
        .catch(() => null)) as [string, [string, string[]][]][] | null;
      if (!reply) {
        await checkStreams().catch(() => undefined);
        continue;
      }
      for (const [key, raw] of reply) {
        const feed = feeds.get(key);
        const entries = entriesOf(raw);
        const last = entries.at(-1);
        if (!feed || !last) continue;
        feed.cursor = last.id;
        feed.added += entries.length;
        for (const queue of feed.queues) queue.push(entries);
      }
    }
    running = false;
  };

  const ensureRunning = async () => {
    if (running) {
      // A new stream joins the read at once instead of after the current block times out.
      if (readerId !== undefined) await redis.client('UNBLOCK', readerId).catch(() => undefined);
      return;
    }
    running = true;
    if (!reader) {
      reader = redis.duplicate();
      reader.on('error', () => undefined);
      readerId = Number(await reader.client('ID'));
    }
    void loop(reader);
  };

  return {
    /**
     * Adds a watcher of one stream. It receives every entry after the returned cursor; the
     * caller reads what it needs before that from the stream itself.
     */
    async subscribe(key: string): Promise<{ queue: WatchQueue; cursor: string }> {
      let feed = feeds.get(key);
      if (!feed) {
        const created: Feed = {
          cursor: '',
          added: 0,
          queues: new Set(),
          ready: streamState(redis, key).then((state) => {
            created.cursor = state?.last ?? '0-0';
            created.added = state?.added ?? 0;
          }),
        };
        feeds.set(key, created);
        feed = created;
      }
      await feed.ready;
      // The last watcher may have left while this one waited: join whichever feed is live now.
      const live = feeds.get(key);
      if (!live) feeds.set(key, feed);
      else if (live !== feed) {
        feed = live;
        await live.ready;
      }
      const queue = new WatchQueue(options.queueLimit);
      feed.queues.add(queue);
      const cursor = feed.cursor;
      await ensureRunning();
      return { queue, cursor };
    },

    unsubscribe(key: string, queue: WatchQueue): void {
      const feed = feeds.get(key);
      feed?.queues.delete(queue);
      if (feed && feed.queues.size === 0) feeds.delete(key);
    },

    close(): void {
      for (const [key, feed] of feeds) gone(key, feed, 'the server is shutting down');
      reader?.disconnect();
      reader = undefined;
    },
  };
}

export type WatchHub = ReturnType<typeof createWatchHub>;
