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
