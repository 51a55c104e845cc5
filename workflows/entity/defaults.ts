/** Defaults every entity workflow shares: retries, history limits, back-off. */

/**
 * How entity workflows retry cloud activities: quick first retries, backing off to 15 s, and
 * never a retry for an error a retry cannot fix (the adapter classified it as invalid input,
 * an exhausted quota, or a machine the cloud failed). Throttling sets its own delay from the
 * cloud's hint (services/worker/errors.ts).
 */
export const CLOUD_ACTIVITY_RETRY = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '15s',
  nonRetryableErrorTypes: ['InvalidRequest', 'QuotaExceeded', 'MachineFailed'],
};

/** Entity workflows continue as new (when idle) once their history passes this, well before Temporal's own limits. */
export const HISTORY_EVENTS_BEFORE_CONTINUE = 4_000;

/**
 * The projection is written by a regular activity, not a local one: a local activity's result
 * can reach the workflow at another point on replay than it did live, and any command that
 * follows it (the next write, a child started, a machine created) then lands in another order,
 * which is a non-determinism (seen after worker restarts). A regular activity's completion is a
 * history event, delivered at the same point on every replay. Retried briefly; the publisher
 * retries a failed write again later.
 */
export const PROJECTION_ACTIVITY = {
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '100ms' },
} as const;

/** Teardown steps and credential waits retry on their own, doubling from this... */
export const PERSIST_INITIAL_DELAY_MS = 5_000;
/** ...to this, for as long as it takes. */
export const PERSIST_MAX_DELAY_MS = 300_000;

/**
 * Kubernetes caps an object's annotations at 256 KiB; the carried state must stay far below
 * Temporal's 2 MiB payload limit, so an entity refuses changes that would carry more than this.
 */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
export const MAX_CARRIED_STATE_BYTES = 1024 * 1024;
