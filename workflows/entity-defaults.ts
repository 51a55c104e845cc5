/** Defaults every entity workflow shares. */

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

/** The projection is written by a local activity: a Redis call, retried briefly; it is a cache, so a failure is not fatal. */
export const PROJECTION_LOCAL_ACTIVITY = {
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 3, initialInterval: '100ms' },
} as const;
