/** The sweep report as the CLI prints it: counts per decision, and each resource marked, deleted, capped or failed, with its reason. */
import { describe, expect, it } from 'vitest';
import { sweepReportLines } from '../../services/cli/commands/sweep';
import { emptyCounts } from '../../workflows/planners/sweep/run';
import type { SweepObject } from '../../workflows/sweep/definitions';

function sweep(overrides: Partial<SweepObject['status']>, mode: 'dry-run' | 'delete' = 'dry-run'): SweepObject {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'Sweep',
    metadata: { name: 'nightly-1', namespace: 'default', creationTimestamp: '2026-12-06T07:00:00.000Z' },
    spec: { platform: 'aws', region: 'us-east-1', mode, minAgeSeconds: 3600, maxDeletions: 100 },
    status: { phase: 'Completed', startedAt: '2026-12-06T07:00:00.000Z', scanned: 0, counts: emptyCounts(), reasons: {}, decisions: [], decisionsTruncated: false, conditions: [], ...overrides },
  };
}

describe('sweepReportLines', () => {
  it('counts each decision that occurred and lists what was marked or failed, saying a dry run changed nothing', () => {
    const counts = { ...emptyCounts(), marked: 1, 'kept-referenced': 4, error: 1 };
    const text = sweepReportLines(
      sweep({
        scanned: 6,
        counts,
        decisions: [
          { kind: 'machine', id: 'i-1', name: 'dead-w0', cluster: 'dead-1', decision: 'marked', code: 'orphan-unmarked', reason: 'cluster dead-1 is not live' },
          { kind: 'network', id: 'vpc-1', name: 'live-vpc', cluster: 'live-1', decision: 'kept-referenced', code: 'cluster-live', reason: 'cluster live-1 is live' },
          { kind: 'machine', id: 'i-2', name: 'dead-w1', cluster: 'dead-1', decision: 'error', code: 'mark-failed', reason: 'marking failed: throttled' },
        ],
      }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('sweep nightly-1 on aws/us-east-1: Completed, 6 resources scanned (dry run: nothing was changed)');
    expect(lines.find((line) => line.startsWith('kept-referenced'))?.split(/\s+/)).toEqual(['kept-referenced', '4']);
    expect(lines.some((line) => line.startsWith('kept-young'))).toBe(false);
    expect(lines.find((line) => line.includes('dead-w0'))).toMatch(/^marked\s+machine\s+dead-w0\s+dead-1\s+cluster dead-1 is not live$/);
    expect(lines.find((line) => line.includes('dead-w1'))).toMatch(/marking failed: throttled$/);
    expect(text).not.toContain('live-vpc');
  });

  it('shows a held run\'s condition and no dry-run note for a deleting run', () => {
    const text = sweepReportLines(sweep({ phase: 'Held', conditions: [{ type: 'FailSafe', status: 'True', reason: 'inventory-unreadable', message: 'the inventory could not be read', lastTransitionTime: '2026-12-06T07:00:01.000Z' }] }, 'delete'));
    expect(text.split('\n')).toEqual(['sweep nightly-1 on aws/us-east-1: Held, 0 resources scanned', 'FailSafe: the inventory could not be read']);
  });
});
