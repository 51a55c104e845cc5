/**
 * Idempotency-Key for create, as the IETF httpapi Idempotency-Key draft describes. A key is
 * scoped to its collection (kind and namespace) and kept for 24 hours. The first request
 * reserves it atomically (SET NX) before it starts anything, with the uid its object will
 * get; a duplicate that arrives meanwhile waits for the first answer and gets it; a
 * duplicate whose first request died after starting the workflow (its lease ran out)
 * carries on with the same uid, so the object already there is recognised as its own. The
 * same key with another body is refused with 422. The key itself is never echoed or logged.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ProblemError } from './problem';

const TTL_SECONDS = 24 * 60 * 60;
/** The longest Idempotency-Key accepted; the route schema refuses longer ones (services/api/routes/schemas.ts). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface IdempotencyScope {
  readonly kind: string;
  readonly namespace: string;
  readonly key: string;
}

type Entry =
  | { readonly state: 'pending'; readonly hash: string; readonly uid: string; readonly leaseUntil: number }
  | { readonly state: 'done'; readonly hash: string; readonly uid: string; readonly response: StoredResponse };

/** What a create with a key does next: answer as before, or go ahead creating the object with this uid. */
export type Claim = { readonly replay: StoredResponse } | { readonly uid: string };

export interface IdempotencyTiming {
  /** How long a first request may take before a duplicate takes over from it. */
  readonly leaseMs: number;
  readonly pollMs: number;
}

// Deletes a reservation that is still the given request's and still pending.
const RELEASE_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local entry = cjson.decode(value)
if entry.state == 'pending' and entry.uid == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function createIdempotencyStore(redis: Redis, prefix: string, timing: IdempotencyTiming = { leaseMs: 10_000, pollMs: 50 }) {
  const keyOf = (scope: IdempotencyScope) => `${prefix}:idempotency:${scope.kind}:${scope.namespace}:${createHash('sha256').update(scope.key).digest('hex')}`;
  const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const read = async (key: string): Promise<Entry | undefined> => {
    const stored = await redis.get(key);
    return stored ? (JSON.parse(stored) as Entry) : undefined;
  };
  const reserve = async (key: string, entry: Entry): Promise<boolean> => (await redis.set(key, JSON.stringify(entry), 'EX', TTL_SECONDS, 'NX')) === 'OK';

  return {
    /** Reserves the key for this request, or waits for the answer of the request that holds it. */
    async claim(scope: IdempotencyScope, body: unknown): Promise<Claim> {
      const key = keyOf(scope);
      const hash = hashOf(body);
      const uid = randomUUID();
      const deadline = Date.now() + timing.leaseMs + 10 * timing.pollMs;
      for (;;) {
        if (await reserve(key, { state: 'pending', hash, uid, leaseUntil: Date.now() + timing.leaseMs })) return { uid };
        const entry = await read(key);
        if (entry && entry.hash !== hash) {
          throw new ProblemError(422, 'idempotency-key-reused', 'this Idempotency-Key was already used with a different request body. Use a new key for a different request.', [
            { path: 'headers.idempotency-key', message: 'was used before with a different body' },
          ]);
        }
        if (entry?.state === 'done') return { replay: entry.response };
        // The first request died after reserving: carry on in its place, as the same request.
        if (entry?.state === 'pending' && entry.leaseUntil <= Date.now()) return { uid: entry.uid };
        if (Date.now() > deadline) {
          throw new ProblemError(409, 'idempotency-key-in-use', 'a request with this Idempotency-Key is still being processed. Retry it in a few seconds to get its answer.', [
            { path: 'headers.idempotency-key', message: 'a request with this key is in progress' },
          ]);
        }
        // Absent: the first request failed and released the key; try to reserve it again.
        if (entry) await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
      }
    },
    async complete(scope: IdempotencyScope, uid: string, body: unknown, response: StoredResponse): Promise<void> {
      await redis.set(keyOf(scope), JSON.stringify({ state: 'done', hash: hashOf(body), uid, response } satisfies Entry), 'EX', TTL_SECONDS);
    },
    /** Frees the key after a failed request, so that a retry runs it again. */
    async release(scope: IdempotencyScope, uid: string): Promise<void> {
      await redis.eval(RELEASE_SCRIPT, 1, keyOf(scope), uid);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
