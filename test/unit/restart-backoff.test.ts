/** The supervisor's restart back-off for a crashed etcd or kube-apiserver. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, crashesInARow, restartDelayMs } from '../../services/supervisor/restart-backoff';

const policy = { initialMs: 500, capMs: 30_000, stableMs: 60_000 };
const policies = fc.record({ initialMs: fc.integer({ min: 1, max: 10_000 }), capMs: fc.integer({ min: 1, max: 600_000 }), stableMs: fc.integer({ min: 1, max: 600_000 }) });

describe('restart back-off', () => {
  it.each([
    [1, 0],
    [2, 500],
    [3, 1_000],
    [4, 2_000],
    [7, 16_000],
    [8, 30_000],
    [5_000, 30_000],
  ])('after %i crashes in a row waits %i ms', (crashes, delay) => {
    expect(restartDelayMs(crashes, policy)).toBe(delay);
  });

  it.each([
    [0, 1_000, 1],
    [3, 1_000, 4],
    [3, 59_999, 4],
    [3, 60_000, 1],
  ])('counts %i crashes then a run of %i ms as %i in a row', (previous, ranForMs, crashes) => {
    expect(crashesInARow(previous, ranForMs, policy)).toBe(crashes);
  });

  it('never waits longer than the cap, and never less after another crash', () => {
    fc.assert(
      fc.property(policies, fc.integer({ min: 1, max: 10_000 }), (anyPolicy, crashes) => {
        const delay = restartDelayMs(crashes, anyPolicy);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(anyPolicy.capMs);
        expect(restartDelayMs(crashes + 1, anyPolicy)).toBeGreaterThanOrEqual(delay);
      }),
    );
  });

  it('starts over after a stable run, and restarts the first crash at once', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.integer({ min: DEFAULT_BACKOFF.stableMs, max: 10 ** 9 }), (previous, ranForMs) => {
        expect(restartDelayMs(crashesInARow(previous, ranForMs))).toBe(0);
      }),
    );
  });
});
