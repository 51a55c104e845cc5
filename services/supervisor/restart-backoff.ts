/**
 * When the supervisor starts a crashed process again: at once the first time, then twice as
 * long after each crash in a row, up to a cap, as a kubelet backs off a crash-looping container.
 * A process that stayed up long enough is healthy again and its next crash starts over.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly capMs: number;
  /** A run at least this long resets the count of crashes in a row. */
  readonly stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, capMs: 30_000, stableMs: 60_000 };

/** The crashes in a row once a run of ranForMs ended in a crash. */
export function crashesInARow(previous: number, ranForMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return ranForMs >= policy.stableMs ? 1 : previous + 1;
}

/** How long to wait before the next start, after `crashes` crashes in a row (1 or more). */
export function restartDelayMs(crashes: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (crashes <= 1) return 0;
  // 2^(crashes-2) overflows to Infinity for a long loop, which the cap then bounds.
  return Math.min(policy.capMs, policy.initialMs * 2 ** (crashes - 2));
}
