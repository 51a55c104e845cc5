import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readReleaseImage, runsKubernetesVersion } from '../../../workflows/planners/hosted/release';
import { beginRelease, completeRelease, currentVersion, MAX_HISTORY_ENTRIES, type UpdateHistoryEntry } from '../../../workflows/planners/hosted/version-history';

describe('readReleaseImage', () => {
  it.each([
    ['quay.io/openshift-release-dev/ocp-release:4.20.1-x86_64', { ok: true, version: '4.20.1', kubernetesVersion: '1.33' }],
    ['quay.io/openshift-release-dev/ocp-release:4.21.0-multi', { ok: true, version: '4.21.0', kubernetesVersion: '1.34' }],
    ['registry.local:5000/kube:v1.34.2', { ok: true, version: '1.34.2', kubernetesVersion: '1.34.2' }],
    ['registry.local:5000/release', { ok: false, message: expect.stringMatching(/has no tag/) }],
    ['quay.io/ocp-release@sha256:abc', { ok: false, message: expect.stringMatching(/pinned by digest/) }],
    ['quay.io/ocp-release:latest', { ok: false, message: expect.stringMatching(/tag "latest".*e\.g\./) }],
    ['quay.io/ocp-release:4.12.3-x86_64', { ok: false, message: expect.stringMatching(/older than .*4\.14/) }],
  ])('%s', (image, expected) => {
    expect(readReleaseImage(image)).toEqual(expected);
  });

  it.each([
    ['v1.34.2', '1.34', true],
    ['v1.34.2', '1.34.2', true],
    ['v1.34.2+k3s1', '1.34.2', true],
    ['v1.33.9', '1.34', false],
    ['v1.340.0', '1.34', false],
    [undefined, '1.34', false],
  ])('runsKubernetesVersion(%s, %s) is %s', (reported, wanted, expected) => {
    expect(runsKubernetesVersion(reported, wanted)).toBe(expected);
  });
});

const release = fc.record({ image: fc.constantFrom('r:4.18.0', 'r:4.19.2', 'r:4.20.1', 'r:4.21.0'), version: fc.constant('x') });
const step = fc.oneof(fc.record({ begin: release }), fc.record({ complete: fc.constantFrom('r:4.18.0', 'r:4.19.2', 'r:4.20.1', 'r:4.21.0') }));

function replay(steps: readonly ({ begin: { image: string; version: string } } | { complete: string })[]): UpdateHistoryEntry[][] {
  const states: UpdateHistoryEntry[][] = [[]];
  steps.forEach((entry, index) => {
    const now = new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString();
    const history = states.at(-1) ?? [];
    states.push('begin' in entry ? beginRelease(history, entry.begin, now) : completeRelease(history, entry.complete, now));
  });
  return states;
}

describe('version history', () => {
  it('records a rollout as HyperShift does: Partial on top, Completed once it has rolled out, the superseded one closed', () => {
    const t = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
    let history = beginRelease([], { image: 'r:4.20.1', version: '4.20.1' }, t(0));
    history = completeRelease(history, 'r:4.20.1', t(1));
    history = beginRelease(history, { image: 'r:4.21.0', version: '4.21.0' }, t(2));
    history = beginRelease(history, { image: 'r:4.21.1', version: '4.21.1' }, t(3));
    history = completeRelease(history, 'r:4.21.1', t(4));
    expect(history).toEqual([
      { state: 'Completed', version: '4.21.1', image: 'r:4.21.1', startedTime: t(3), completionTime: t(4) },
      { state: 'Partial', version: '4.21.0', image: 'r:4.21.0', startedTime: t(2), completionTime: t(3) },
      { state: 'Completed', version: '4.20.1', image: 'r:4.20.1', startedTime: t(0), completionTime: t(1) },
    ]);
    expect(currentVersion(history)?.version).toBe('4.21.1');
  });

  it('keeps its invariants over any sequence of requests and completions', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const states = replay(steps);
        for (const [index, history] of states.entries()) {
          expect(history.length).toBeLessThanOrEqual(MAX_HISTORY_ENTRIES);
          // Newest first, and no two neighbours for the same image.
          for (let i = 1; i < history.length; i += 1) {
            expect(history[i - 1]!.startedTime >= history[i]!.startedTime).toBe(true);
            expect(history[i - 1]!.image).not.toBe(history[i]!.image);
          }
          // Only the head may be still open; every older entry has ended.
          expect(history.slice(1).every((entry) => entry.completionTime !== undefined)).toBe(true);
          // A Completed entry stays Completed.
          const before = states[index - 1];
          if (before) {
            for (const entry of before.filter((candidate) => candidate.state === 'Completed')) {
              const same = history.find((candidate) => candidate.startedTime === entry.startedTime && candidate.image === entry.image);
              if (same) expect(same.state).toBe('Completed');
            }
          }
        }
      }),
    );
  });
});
