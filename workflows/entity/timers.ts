/** Timers that many entities set at once: spread out, so that they do not all fire together. */

/** How far a jittered interval strays from its base, either way. */
export const OBSERVE_JITTER = 0.2;

/** base give or take OBSERVE_JITTER. Math.random is seeded per workflow run by the SDK, so it replays identically. */
export function jitteredMs(baseMs: number): number {
  return Math.round(baseMs * (1 - OBSERVE_JITTER + 2 * OBSERVE_JITTER * Math.random()));
}
