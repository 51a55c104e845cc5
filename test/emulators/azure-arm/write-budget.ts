/**
 * ARM's write throttling reduced to one token bucket per subscription: a burst of writes,
 * refilled at a steady rate. An empty bucket answers how many seconds until the next token,
 * which becomes the 429's Retry-After.
 */
export class WriteBudget {
  private tokens: number;
  private refilledAt = Date.now();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
  }

  /** Takes a token; undefined when one was there, else the whole seconds to wait. */
  take(now: number = Date.now()): number | undefined {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }

  remaining(now: number = Date.now()): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }
}
