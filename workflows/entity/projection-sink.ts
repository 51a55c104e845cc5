/**
 * How an entity's status reaches the Redis projection: through a sink, which the worker
 * calls once the workflow task completes (services/worker/projection-writer.ts). A sink adds
 * nothing to the history, so a status change costs no activity and no workflow task. The
 * memo, upserted in the same task, stays the durable record; removal of a deleted object
 * stays an activity that must land.
 */
import { proxySinks, type Sinks } from '@temporalio/workflow';

export interface ProjectionSink extends Sinks {
  projection: { put(kind: string, object: unknown, sequence: number): void };
}

/**
 * Numbers an entity's publications in order, across continue-as-new: the workflow clock in
 * milliseconds (a new run starts later than the old one ended), times 1,000, plus a counter for
 * publications within the same millisecond. Within a run the numbers never go down, even if the
 * clock a workflow task reports were ever to step back: they would then count on from the
 * latest millisecond seen.
 */
export class PublicationSequence {
  private lastMs = 0;
  private withinMs = 0;
  /** The latest millisecond either method has seen: a floor promises every later number too. */
  private seenMs = 0;

  next(): number {
    const now = this.clock();
    if (now === this.lastMs) this.withinMs = Math.min(999, this.withinMs + 1);
    else {
      this.lastMs = now;
      this.withinMs = 0;
    }
    return now * 1000 + this.withinMs;
  }

  /**
   * The lowest number a publication made from now on can carry: every publication before
   * this call has a lower one. A write's handler takes it after changing the state, so a
   * projected copy numbered at or above it holds the write (the API's read-your-writes check).
   */
  floor(): number {
    const now = this.clock();
    return now === this.lastMs ? now * 1000 + this.withinMs + 1 : now * 1000;
  }

  private clock(): number {
    this.seenMs = Math.max(Date.now(), this.seenMs);
    return this.seenMs;
  }
}

export function projectToCache(kind: string, object: unknown, sequence: number): void {
  proxySinks<ProjectionSink>().projection.put(kind, object, sequence);
}
