/**
 * Writes entities' status changes into the Redis projection from the worker, outside the
 * workflows' histories. Workflows hand each change to the `projection` sink
 * (workflows/entity/projection-sink.ts) once its workflow task completes; this writer keeps
 * only the newest change per object, writes in the background, and retries a failed write
 * with capped back-off until it lands or a newer change replaces it. Each change carries
 * its entity's publish sequence, so a change written late, or by another worker, never
 * overwrites a newer one (projection.ts). What a dead worker had not written yet, the
 * entity's next change or the API's projection reconciler puts right; an object's removal
 * still goes through an activity, so a deleted object never stays listed.
 */
import type { Logger } from 'pino';
import type { ProjectedObject, Projection } from '../common/projection';

export interface ProjectionWriter {
  put(kind: string, object: ProjectedObject, sequence: number): void;
  /** Resolves once every change handed in so far has been written (tests and shutdown). */
  idle(): Promise<void>;
}

interface PendingChange {
  readonly kind: string;
  readonly object: ProjectedObject;
  readonly sequence: number;
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 10_000;

export function createProjectionWriter(projection: Projection, logger?: Pick<Logger, 'warn'>): ProjectionWriter {
  const pending = new Map<string, PendingChange>();
  let draining: Promise<void> | undefined;
  let failures = 0;

  const keyOf = (kind: string, object: ProjectedObject) => `${kind}/${object.metadata.namespace ?? 'default'}/${object.metadata.name}`;

  const drain = async (): Promise<void> => {
    while (pending.size > 0) {
      const batch = [...pending.entries()];
      pending.clear();
      const failed = (
        await Promise.all(
          batch.map(async ([key, change]) => {
            try {
              await projection.put(change.kind, change.object, change.sequence);
              return undefined;
            } catch (error) {
              return { key, change, error };
            }
          }),
        )
      ).filter((result) => result !== undefined);
      for (const { key, change } of failed) {
        // A newer change handed in meanwhile replaces the failed one.
        if (!pending.has(key)) pending.set(key, change);
      }
      if (failed.length > 0) {
        failures += 1;
        const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1));
        logger?.warn({ err: failed[0]!.error, objects: failed.length, retryInMs: delay }, 'projection write failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, delay));
      } else {
        failures = 0;
      }
    }
  };

  const kick = () => {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (pending.size > 0) kick();
    });
  };

  return {
    put(kind, object, sequence) {
      const key = keyOf(kind, object);
      const queued = pending.get(key);
      if (!queued || queued.sequence < sequence) pending.set(key, { kind, object, sequence });
      kick();
    },
    async idle() {
      while (draining) await draining;
    },
  };
}
