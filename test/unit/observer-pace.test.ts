import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OBSERVE_JITTER } from '../../workflows/entity/timers';
import { DEFAULT_QUIET_POLL_MAX_SECONDS, EXPECTING_PAUSE_SECONDS, nextPassDelaySeconds, type PacedSubscriber } from '../../workflows/planners/observer-pace';

const quietDefault: PacedSubscriber = { settledPollSeconds: 30, quietPollMaxSeconds: DEFAULT_QUIET_POLL_MAX_SECONDS };
const fixed = (seconds: number): PacedSubscriber => ({ settledPollSeconds: seconds, quietPollMaxSeconds: seconds });
const middle = 0.5; // no jitter either way

describe('the observer pace', () => {
  it.each([
    ['no subscriber', [], 0, false, undefined],
    ['a change expected', [quietDefault], 7, true, EXPECTING_PAUSE_SECONDS],
    ['the first quiet pass', [quietDefault], 0, false, 30],
    ['the second', [quietDefault], 1, false, 60],
    ['the third', [quietDefault], 2, false, 120],
    ['the fourth', [quietDefault], 3, false, 240],
    ['up to the ceiling', [quietDefault], 4, false, 300],
    ['and no further', [quietDefault], 40, false, 300],
    ['a fixed interval stays fixed', [fixed(10)], 9, false, 10],
    ['the shortest fixed interval rules the ceiling', [quietDefault, fixed(45)], 9, false, 45],
    ['a subscription from before the ceiling keeps its interval', [{ settledPollSeconds: 20 }], 9, false, 20],
  ] as const)('%s', (_case, subscribers, quietPasses, expecting, expected) => {
    expect(nextPassDelaySeconds({ subscribers, quietPasses, expecting, random: middle })).toBe(expected);
  });

  it('never waits less than the shortest settled interval, nor past the ceiling by more than the jitter', () => {
    const subscriber = fc.record({ settledPollSeconds: fc.integer({ min: 1, max: 600 }), quietPollMaxSeconds: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(subscriber, { minLength: 1, maxLength: 5 }), fc.nat({ max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (subscribers, quietPasses, random) => {
        const delay = nextPassDelaySeconds({ subscribers, quietPasses, expecting: false, random }) ?? Number.NaN;
        const settled = Math.min(...subscribers.map((entry) => entry.settledPollSeconds));
        const ceiling = Math.max(settled, Math.min(...subscribers.map((entry) => entry.quietPollMaxSeconds ?? entry.settledPollSeconds)));
        expect(delay).toBeGreaterThanOrEqual(settled);
        expect(delay).toBeLessThanOrEqual(Math.round(ceiling * (1 + OBSERVE_JITTER)));
        if (ceiling === settled) expect(delay).toBe(settled);
      }),
    );
  });

  it('grows with each quiet pass until the ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 3600 }), fc.nat({ max: 40 }), (settled, ceilingAsked, quietPasses) => {
        const subscribers = [{ settledPollSeconds: settled, quietPollMaxSeconds: ceilingAsked }];
        const now = nextPassDelaySeconds({ subscribers, quietPasses, expecting: false, random: middle }) ?? 0;
        const next = nextPassDelaySeconds({ subscribers, quietPasses: quietPasses + 1, expecting: false, random: middle }) ?? 0;
        expect(next).toBeGreaterThanOrEqual(now);
      }),
    );
  });
});
