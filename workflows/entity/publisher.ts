/**
 * The one status publisher every entity uses. State changes mark it dirty; it then writes
 * status where readers find it (memo, projection, an owner) in a coroutine of its own,
 * coalescing a burst of changes into one write. It is woken by a plain promise, not a
 * condition, so it runs right after the code that changed state, in an order fixed by that
 * code, never by when a local activity returned (which differs on replay after a restart).
 * A failed write is retried with back-off, never dropped: the last write of a deleted object
 * must land, or LIST would show a ghost.
 */
import { condition, sleep } from '@temporalio/workflow';
import { persistDelayMs } from './persist';

export class StatusPublisher {
  private dirty = true;
  private publishing = false;
  private wake: (() => void) | undefined;
  private failures = 0;

  /** publishOnce writes the current status; it throws when a write failed. */
  constructor(private readonly publishOnce: () => Promise<void>) {}

  markDirty(): void {
    this.dirty = true;
    this.wake?.();
    this.wake = undefined;
  }

  /** Runs for the life of the workflow: start it with `void publisher.run()`. */
  async run(): Promise<never> {
    for (;;) {
      if (!this.dirty) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      this.dirty = false;
      this.publishing = true;
      try {
        await this.publishOnce();
        this.failures = 0;
      } catch {
        this.failures += 1;
        this.dirty = true;
        await sleep(Math.min(30_000, persistDelayMs(this.failures) / 5));
      } finally {
        this.publishing = false;
      }
    }
  }

  /** Resolves once every change so far has been written. */
  flushed(): Promise<void> {
    return condition(() => !this.dirty && !this.publishing);
  }
}

/** Upserts the memo only when it changed: each upsert is a history event. */
export class MemoWriter {
  private last = '';
  constructor(private readonly upsert: (memo: unknown) => void) {}
  write(memo: unknown): void {
    const text = JSON.stringify(memo);
    if (text === this.last) return;
    this.upsert(JSON.parse(text) as unknown);
    this.last = text;
  }
}
