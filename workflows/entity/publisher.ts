/**
 * The one status publisher every entity uses. State changes mark it dirty; it then writes
 * status where readers find it (memo, projection, an owner), coalescing a burst of changes
 * into one write. It is driven in one of two ways, and either way the commands it issues sit
 * in an order fixed by the entity's code:
 * - run(): a coroutine woken by a plain promise, for an entity whose main loop is busy in
 *   long steps (ClusterDeployment); it is woken only right after the code that changed state;
 * - publishIfDirty(): awaited by a main loop that plans and waits in turns
 *   (MachineDeployment), so nothing else of the entity moves while it writes.
 * A failed write is retried, never dropped: the last write of a deleted object must land, or
 * LIST would show a ghost.
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

  /** How long to wait before writing again after a failed write; undefined when the last one landed. */
  retryDelayMs(): number | undefined {
    return this.failures === 0 ? undefined : Math.min(30_000, persistDelayMs(this.failures) / 5);
  }

  /** Writes if anything changed since the last write; false when the write failed (it stays dirty). */
  async publishIfDirty(): Promise<boolean> {
    if (!this.dirty) return true;
    this.dirty = false;
    this.publishing = true;
    try {
      await this.publishOnce();
      this.failures = 0;
      return true;
    } catch {
      this.failures += 1;
      this.dirty = true;
      return false;
    } finally {
      this.publishing = false;
    }
  }

  /** Runs for the life of the workflow: start it with `void publisher.run()`. */
  async run(): Promise<never> {
    for (;;) {
      if (!this.dirty) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (!(await this.publishIfDirty())) await sleep(this.retryDelayMs() ?? 0);
    }
  }

  /** For run(): resolves once every change so far has been written. */
  flushed(): Promise<void> {
    return condition(() => !this.dirty && !this.publishing);
  }

  /** For publishIfDirty(): writes until every change so far has landed. */
  async flush(): Promise<void> {
    while (!(await this.publishIfDirty())) await sleep(this.retryDelayMs() ?? 0);
  }
}

/**
 * Upserts the memo only when its key changed: each upsert is a history event and a write to
 * visibility. The memo only rebuilds a lost projection, and the entity's next status write
 * refreshes it in full, so entities key it on what must survive (spec, lifecycle, readiness),
 * not on every passing status.
 */
export class MemoWriter {
  private last = '';
  constructor(private readonly upsert: (memo: unknown) => void) {}
  write(memo: unknown, key: string = JSON.stringify(memo)): void {
    if (key === this.last) return;
    this.upsert(JSON.parse(JSON.stringify(memo)) as unknown);
    this.last = key;
  }
}

/** The memo key of an entity's object: what it is and asks for, and whether it is ready (its `readyType` condition: Available for a HostedCluster). */
export function lifecycleKey(object: { readonly metadata: object; readonly spec?: unknown; readonly status?: { readonly phase?: string; readonly conditions?: readonly { readonly type: string; readonly status: string }[] } }, readyType = 'Ready'): string {
  const ready = object.status?.conditions?.find((condition) => condition.type === readyType)?.status;
  return JSON.stringify([object.metadata, object.spec, object.status?.phase, ready]);
}
