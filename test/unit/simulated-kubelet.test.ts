/** What the simulated kubelet reports as its Node's Ready condition, for each machine phase and node report, and how the cloud records that a machine has joined. */
import { describe, expect, it } from 'vitest';
import { desiredReady } from '../../providers/simulated/kubelet';
import { CloudStore } from '../../providers/simulated/store';
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

describe("the simulated cloud's record of a machine joining its hosted cluster", () => {
  const resource = (id: string) => ({ kind: 'machine' as const, id, name: `m-${id}`, tags: {}, data: {}, createdAt: 0, token: null, willFail: false });
  const bootstrap = { apiServerURL: 'https://127.0.0.1:6443', kubeconfig: 'apiVersion: v1', nodeName: 'node-a', labels: {} };

  it('is joining from the bootstrap until the kubelet registers the Node, and gone with the bootstrap; a machine of no hosted cluster has none', () => {
    const store = new CloudStore(':memory:');
    store.insert(resource('a'));
    store.insert(resource('b'));
    store.setBootstrap('a', bootstrap);
    expect(store.joinState('a')).toBe('joining');
    expect(store.joinState('b')).toBeUndefined();
    store.markJoined('a');
    store.markJoined('a');
    expect(store.joinState('a')).toBe('joined');
    store.removeBootstrap('a');
    expect(store.joinState('a')).toBeUndefined();
    store.close();
  });
});
