/** Runs the real REST API on a free port against a test stack, with its log captured. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { loadConfig } from '../../services/common/config';
import { createProjection } from '../../services/common/projection';
import { buildApiServer } from '../../services/api/server';
import type { WatchTimings } from '../../services/api/watch';
import type { SecretStore } from '../../services/worker/secrets';
import type { TestStack } from './stack';

export interface TestApi {
  readonly url: string;
  readonly token: string;
  readonly app: FastifyInstance;
  /** Everything the API logged so far. */
  logs(): string;
  request(method: string, path: string, options?: { body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string>; token?: string | null; abortAfterMs?: number }): Promise<{ status: number; contentType: string; body: unknown }>;
  close(): Promise<void>;
}

/** What the API needs from a stack: its Temporal client, Redis, task queue and prefixes. */
type ApiPeers = Pick<TestStack, 'client' | 'redis' | 'taskQueue' | 'managementId' | 'redisPrefix'>;

/**
 * The API alone, on the run's Temporal server and Redis with a task queue and prefix of its
 * own and no worker: for tests of the HTTP edge (bodies, idempotency, list and watch).
 */
/** Test settings of the API: shorter watch intervals, a smaller per-watch queue. */
export interface TestApiOptions {
  readonly watchTimings?: WatchTimings;
  /** Where the API reads hosted clusters' admin kubeconfigs. */
  readonly secrets?: SecretStore;
  readonly watchQueueLimit?: number;
  /** The API's environment, as loadConfig reads it (e.g. SLIPWAY_NODE_POOL_SCALE_UP_AFTER_SECONDS); none by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export async function startBareApi(options: TestApiOptions = {}): Promise<TestApi & { readonly peers: ApiPeers }> {
  const id = randomBytes(4).toString('hex');
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const redis = new Redis(inject('redisUrl'));
  const peers = { client: new Client({ connection }), redis, taskQueue: `bare-api-${id}`, managementId: `bare-${id}`, redisPrefix: `bare-api-${id}` };
  const api = await startTestApi(peers, options);
  return {
    ...api,
    peers,
    async close() {
      await api.close();
      redis.disconnect();
      await connection.close();
    },
  };
}

export async function startTestApi(stack: ApiPeers, options: TestApiOptions = {}): Promise<TestApi> {
  const token = randomBytes(32).toString('hex');
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      captured += chunk.toString();
      done();
    },
  });
  const config = {
    ...loadConfig(options.env ?? {}),
    taskQueue: stack.taskQueue,
    managementId: stack.managementId,
    redisPrefix: stack.redisPrefix,
  };
  const app = await buildApiServer({
    temporal: stack.client,
    redis: stack.redis,
    projection: createProjection(stack.redis, { prefix: stack.redisPrefix, ...(options.watchQueueLimit ? { watchQueueLimit: options.watchQueueLimit } : {}) }),
    config,
    token,
    logger: pino({ level: 'info' }, sink),
    ...(options.watchTimings ? { watchTimings: options.watchTimings } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    token,
    app,
    logs: () => captured,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== null) headers.authorization = `Bearer ${options.token ?? token}`;
      let body: string | undefined;
      if (options.raw !== undefined) body = options.raw;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      const response = await fetch(new URL(path, address), { method, headers, ...(body !== undefined ? { body } : {}), ...(options.abortAfterMs ? { signal: AbortSignal.timeout(options.abortAfterMs) } : {}) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed };
    },
    close: () => app.close(),
  };
}
