/** What the simulated kubelet reports as its Node's Ready condition, for each machine phase and node report. */
import { describe, expect, it } from 'vitest';
import { desiredReady } from '../../providers/simulated/kubelet';
import type { MachinePhase, NodeCondition } from '../../providers/types';

const at = '2026-12-06T10:00:00.000Z';
const ready = (status: NodeCondition['status']) => ({ conditions: [{ type: 'Ready', status, lastTransitionTime: at }] });

describe('desiredReady', () => {
  it.each<[string, MachinePhase, { conditions: NodeCondition[] } | null, ReturnType<typeof desiredReady>]>([
    ['a booting machine has no Node yet', 'pending', null, undefined],
    ['a terminated machine has no kubelet', 'terminated', ready('True'), undefined],
    ['a running machine whose node never joined registers none', 'running', null, undefined],
    ['a running machine with a ready node', 'running', ready('True'), { status: 'True', reason: 'KubeletReady', message: expect.stringContaining('runs no pods') }],
    ['a running machine whose node reports no Ready condition counts as ready', 'running', { conditions: [] }, { status: 'True', reason: 'KubeletReady', message: expect.any(String) }],
    ['a running machine whose node is not ready', 'running', ready('False'), { status: 'False', reason: 'KubeletNotReady', message: expect.any(String) }],
    ['a running machine whose node is unknown', 'running', ready('Unknown'), { status: 'Unknown', reason: 'KubeletNotReady', message: expect.any(String) }],
    ['a stopping machine', 'stopping', ready('True'), { status: 'False', reason: 'MachineStopping', message: expect.any(String) }],
    ['a failed machine', 'failed', null, { status: 'False', reason: 'MachineFailed', message: expect.any(String) }],
  ])('%s', (_label, phase, node, expected) => {
    expect(desiredReady(phase, node)).toEqual(expected);
  });
});
