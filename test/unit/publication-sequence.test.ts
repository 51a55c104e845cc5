import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PublicationSequence } from '../../workflows/entity/projection-sink';

/** One step of an entity's life: the clock moves (or not), then it publishes or a write takes the floor. */
const step = fc.record({ advanceMs: fc.constantFrom(0, 0, 0, 1, 2, 1_000, -1, -5), action: fc.constantFrom('publish', 'publish', 'write') });

describe('PublicationSequence.floor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lies above every publication before a write and at or below every one after it, even when the clock steps back', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        vi.useFakeTimers({ now: 1_765_000_000_000 });
        const sequence = new PublicationSequence();
        const published: number[] = [];
        const floors: { floor: number; publishedBefore: number }[] = [];
        for (const { advanceMs, action } of steps) {
          // A step back (negative) is a clock that went backwards between workflow tasks.
          vi.setSystemTime(Date.now() + advanceMs);
          if (action === 'publish') published.push(sequence.next());
          else floors.push({ floor: sequence.floor(), publishedBefore: published.length });
        }
        expect(published.every((number, index) => index === 0 || number > published[index - 1]!)).toBe(true);
        for (const { floor, publishedBefore } of floors) {
          expect(published.slice(0, publishedBefore).every((number) => number < floor)).toBe(true);
          expect(published.slice(publishedBefore).every((number) => number >= floor)).toBe(true);
        }
        vi.useRealTimers();
      }),
    );
  });

  it('stays safe when a millisecond holds more publications than the counter numbers', () => {
    vi.useFakeTimers({ now: 1_765_000_000_000 });
    const sequence = new PublicationSequence();
    const before = Array.from({ length: 1_200 }, () => sequence.next());
    const floor = sequence.floor();
    // The counter saturates: a copy published later in the same millisecond is not trusted
    // (GET asks the workflow), but no copy from before the write ever passes for a newer one.
    expect(before.every((number) => number < floor)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(sequence.next()).toBeGreaterThanOrEqual(floor);
  });
});
