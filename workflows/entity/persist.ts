/**
 * Steps that must never give up (teardown, and anything waiting for credentials): retried
 * with capped exponential back-off for as long as it takes, each failure reported so that
 * status says what is wrong and when the next try comes.
 */
import { condition } from '@temporalio/workflow';
import { PERSIST_INITIAL_DELAY_MS, PERSIST_MAX_DELAY_MS } from './defaults';
import { describeFailure, isCancellation, isCredentialsFailure } from './failures';

export interface StepFailure {
  readonly message: string;
  /** The credential is missing or refused: a person must create or fix the Secret. */
  readonly credentials: boolean;
  readonly attempts: number;
  readonly retryInMs: number;
}

export interface PersistOptions {
  /** Called after each failure, before the wait. */
  readonly onFailure: (failure: StepFailure) => void;
  /** Called once the step succeeds after at least one failure. */
  readonly onRecovered?: () => void;
  /** Checked while waiting: true stops retrying, and persistently resolves undefined. */
  readonly abandon?: () => boolean;
  /** Which failures are retried; the others are thrown at once. Every failure by default. */
  readonly retryIf?: (error: unknown) => boolean;
}

/** Back-off before the given retry (1-based): doubling from the initial delay, capped. */
export function persistDelayMs(attempt: number): number {
  return Math.min(PERSIST_MAX_DELAY_MS, PERSIST_INITIAL_DELAY_MS * 2 ** Math.max(0, attempt - 1));
}

/** Runs step until it succeeds; undefined only when abandoned. */
export async function persistently<T>(step: () => Promise<T>, options: PersistOptions): Promise<T | undefined> {
  for (let attempts = 1; ; attempts += 1) {
    try {
      const result = await step();
      if (attempts > 1) options.onRecovered?.();
      return result;
    } catch (error) {
      if (isCancellation(error) || (options.retryIf && !options.retryIf(error))) throw error;
      const retryInMs = persistDelayMs(attempts);
      options.onFailure({ message: describeFailure(error), credentials: isCredentialsFailure(error), attempts, retryInMs });
      const abandon = options.abandon ?? (() => false);
      await condition(abandon, retryInMs);
      if (abandon()) return undefined;
    }
  }
}
