/**
 * How long the cloud observer waits between passes that found nothing (a pure rule, so the
 * workflow only orchestrates). While anything is expected it looks again soon. Otherwise each
 * quiet pass doubles the wait, from the shortest settled interval of its subscribers up to the
 * shortest of their quiet ceilings, so a fleet that stays quiet is listed about once per
 * ceiling per account and region. A subscriber that asked for a fixed interval (a health-check
 * interval of its own) has its settled interval as its ceiling, and is never looked at less often.
 */

import { OBSERVE_JITTER } from '../entity/timers';

export interface PacedSubscriber {
  /** How often to look right after the subscriber's machines settled. */
  readonly settledPollSeconds: number;
  /** The longest wait between quiet passes it accepts; absent means settledPollSeconds. */
  readonly quietPollMaxSeconds?: number;
}

/** The pause after a pass that found nothing while a change was expected. */
export const EXPECTING_PAUSE_SECONDS = 5;

/** The ceiling of an entity that keeps the default interval: CAPI's MachineHealthCheck times out Nodes in minutes too. */
export const DEFAULT_QUIET_POLL_MAX_SECONDS = 300;

export interface PaceInput {
  readonly subscribers: readonly PacedSubscriber[];
  /** Passes in a row that found no change while nothing was expected (0 for the first). */
  readonly quietPasses: number;
  readonly expecting: boolean;
  /** A number in [0, 1), the workflow's deterministic Math.random(). */
  readonly random: number;
}

/** Seconds to wait before the next pass, or undefined when there is no subscriber to look for. */
export function nextPassDelaySeconds(input: PaceInput): number | undefined {
  if (input.subscribers.length === 0) return undefined;
  if (input.expecting) return EXPECTING_PAUSE_SECONDS;
  const settled = Math.max(1, Math.min(...input.subscribers.map((subscriber) => subscriber.settledPollSeconds)));
  const ceiling = Math.max(settled, Math.min(...input.subscribers.map((subscriber) => subscriber.quietPollMaxSeconds ?? subscriber.settledPollSeconds)));
  const base = Math.min(ceiling, settled * 2 ** Math.min(Math.max(0, input.quietPasses), 30));
  if (base === settled) return base;
  // Jitter only once the wait has grown: a subscriber's own fixed interval is kept exactly.
  const jittered = base * (1 + OBSERVE_JITTER * (2 * input.random - 1));
  return Math.max(settled, Math.round(jittered));
}
