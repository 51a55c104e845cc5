/**
 * Idempotency-Key for create: a retried POST with the same key and body gets the first
 * answer again; the same key with a different body is refused. Kept for 24 hours.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ProblemError } from './problem';

const TTL_SECONDS = 24 * 60 * 60;

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

export function createIdempotencyStore(redis: Redis, prefix: string) {
  const keyOf = (scope: string, key: string) => `${prefix}:idempotency:${scope}:${key}`;
  const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return {
    /** The first answer for this key, or undefined; throws 422 if the key came with another body. */
    async recall(scope: string, key: string, body: unknown): Promise<StoredResponse | undefined> {
      const stored = await redis.get(keyOf(scope, key));
      if (!stored) return undefined;
      const entry = JSON.parse(stored) as { hash: string; response: StoredResponse };
      if (entry.hash !== hashOf(body)) {
        throw new ProblemError(422, 'idempotency-key-reused', `Idempotency-Key "${key}" was already used with a different request body. Use a new key for a different request.`, [
          { path: 'headers.idempotency-key', message: 'was used before with a different body' },
        ]);
      }
      return entry.response;
    },
    async remember(scope: string, key: string, body: unknown, response: StoredResponse): Promise<void> {
      await redis.set(keyOf(scope, key), JSON.stringify({ hash: hashOf(body), response }), 'EX', TTL_SECONDS, 'NX');
    },
  };
}
