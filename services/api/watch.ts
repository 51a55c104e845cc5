/** Server-Sent Events for watch: one event per change, its id the resourceVersion. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WatchEvent } from '../common/projection';

const HEARTBEAT_MS = 15_000;

export async function streamWatch(request: FastifyRequest, reply: FastifyReply, open: (signal: AbortSignal) => AsyncIterable<WatchEvent>): Promise<void> {
  const controller = new AbortController();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(': watching\n\n');
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
  request.raw.on('close', () => controller.abort());
  try {
    for await (const event of open(controller.signal)) {
      raw.write(`event: ${event.type}\nid: ${event.object.metadata.resourceVersion ?? ''}\ndata: ${JSON.stringify(event.object)}\n\n`);
    }
  } catch (error) {
    if (!controller.signal.aborted) request.log.warn({ err: error }, 'watch stream ended with an error');
  } finally {
    clearInterval(heartbeat);
    raw.end();
  }
}
