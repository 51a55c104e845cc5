/**
 * Server-Sent Events for watch: one event per change, its id the resourceVersion; BOOKMARK
 * events (with allowWatchBookmarks) carry how far the watch has read when nothing it
 * matches has changed; an ERROR event with a problem ends a watch that cannot go on (410:
 * list again; 429: the client read too slowly). Writes wait for the socket to drain, so a
 * slow client is dropped by its bounded queue (watch-hub.ts) instead of buffered here.
 */
import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WatchGoneError, WatchOverflowError, type WatchStream } from '../common/projection';
import { problem } from './problem';

export interface WatchTimings {
  readonly heartbeatMs: number;
  readonly bookmarkMs: number;
  /** The longest any watch runs, whatever timeoutSeconds asks (tests shorten it); unset: until the client leaves or timeoutSeconds. */
  readonly maxSeconds?: number;
}

export const DEFAULT_WATCH_TIMINGS: WatchTimings = { heartbeatMs: 15_000, bookmarkMs: 10_000 };
/** How often the loop looks at the clock and the connection while nothing changes. */
const TICK_MS = 500;

export interface WatchResponseOptions {
  readonly timeoutSeconds?: number;
  readonly bookmarks: boolean;
  readonly timings: WatchTimings;
  /** The object a BOOKMARK carries: apiVersion, kind and metadata.resourceVersion only. */
  bookmarkOf(resourceVersion: string): object;
}

function errorEvent(error: unknown, instance: string): string {
  const body =
    error instanceof WatchGoneError
      ? problem(410, 'resource-version-gone', error.message, undefined, instance)
      : error instanceof WatchOverflowError
        ? problem(429, 'watch-too-slow', `${error.message}. Watch again from the last resourceVersion you read.`, undefined, instance)
        : problem(503, 'watch-failed', 'the watch stopped on a server error; watch again from the last resourceVersion you read.', undefined, instance);
  return `event: ERROR\ndata: ${JSON.stringify(body)}\n\n`;
}

export async function streamWatch(request: FastifyRequest, reply: FastifyReply, stream: WatchStream, options: WatchResponseOptions): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  let open = true;
  const closed = new Promise<void>((resolve) => raw.once('close', resolve)).then(() => {
    open = false;
  });
  // Rejects when the watcher is dropped, so that waiting for a socket that never drains ends too.
  const dropped = stream.ended().then((error) => Promise.reject(error));
  dropped.catch(() => undefined);
  const send = async (text: string) => {
    if (!raw.write(text)) await Promise.race([once(raw, 'drain'), closed, dropped]);
  };
  // The server's cap (timings.maxSeconds) bounds every watch, whatever timeoutSeconds asks.
  const seconds = Math.min(options.timeoutSeconds || Number.POSITIVE_INFINITY, options.timings.maxSeconds ?? Number.POSITIVE_INFINITY);
  const deadline = Date.now() + seconds * 1000;
  let lastWrite = Date.now();
  let lastBookmark = Date.now();
  let sentVersion = '';
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  try {
    await send(': watching\n\n');
    while (open && Date.now() < deadline) {
      const event = await stream.next(Math.min(TICK_MS, deadline - Date.now()));
      const now = Date.now();
      if (event) {
        sentVersion = event.object.metadata.resourceVersion ?? '';
        await send(`event: ${event.type}\nid: ${sentVersion}\ndata: ${JSON.stringify(event.object)}\n\n`);
      } else if (options.bookmarks && now - lastBookmark >= options.timings.bookmarkMs && stream.progress() !== sentVersion) {
        sentVersion = stream.progress();
        lastBookmark = now;
        await send(`event: BOOKMARK\nid: ${sentVersion}\ndata: ${JSON.stringify(options.bookmarkOf(sentVersion))}\n\n`);
      } else if (now - lastWrite >= options.timings.heartbeatMs) {
        await send(': heartbeat\n\n');
      } else continue;
      lastWrite = now;
    }
  } catch (error) {
    if (open) {
      if (!(error instanceof WatchGoneError || error instanceof WatchOverflowError)) request.log.warn({ err: error }, 'watch stream ended with an error');
      raw.write(errorEvent(error, request.url.split('?')[0] ?? ''));
    }
  } finally {
    stream.close();
    // A client that stopped reading never takes the rest: let the socket go instead of holding it.
    if (raw.writableNeedDrain) raw.destroy();
    else raw.end();
  }
}
