import { describe, expect, it } from 'vitest';
import { autoscalingObservationOf, resourcesOf } from '../../../services/worker/hosted-autoscaling-activities';

describe('resourcesOf', () => {
  it.each([
    [{ cpu: '2', memory: '8Gi' }, { cpu: 2000, memoryBytes: 8 * 2 ** 30 }],
    [{ cpu: '500m', memory: '512Mi' }, { cpu: 500, memoryBytes: 512 * 2 ** 20 }],
    [{ cpu: '1.5', memory: '1G' }, { cpu: 1500, memoryBytes: 1e9 }],
    [{ memory: '100Ki' }, { cpu: 0, memoryBytes: 102_400 }],
    [undefined, { cpu: 0, memoryBytes: 0 }],
  ])('%j is %j', (quantities, expected) => {
    expect(resourcesOf(quantities)).toEqual(expected);
  });
});

describe('autoscalingObservationOf', () => {
  const pod = (name: string, extra: { nodeName?: string; phase?: string; scheduled?: 'True' | 'False'; daemon?: boolean; mirror?: boolean } = {}) => ({
    metadata: {
      name,
      namespace: 'apps',
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      ...(extra.daemon ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'd', uid: 'u' }] } : {}),
      ...(extra.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'x' } } : {}),
    },
    spec: { ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), containers: [{ name: 'c', resources: { requests: { cpu: '250m', memory: '1Mi' } } }] },
    status: {
      ...(extra.phase ? { phase: extra.phase } : {}),
      ...(extra.scheduled ? { conditions: [{ type: 'PodScheduled', status: extra.scheduled, lastTransitionTime: new Date('2026-01-01T00:05:00Z') }] } : {}),
    },
  });

  it('counts Pods without a Node as waiting since the scheduler said so, and Nodes running only DaemonSet, mirror or finished Pods as empty', () => {
    const observation = autoscalingObservationOf(
      [{ name: 'a', machineName: 'm-a', allocatable: { cpu: '4', memory: '16Gi' } }, { name: 'b' }, { name: 'c' }],
      [pod('web', { nodeName: 'a' }), pod('agent', { nodeName: 'b', daemon: true }), pod('static', { nodeName: 'b', mirror: true }), pod('done', { nodeName: 'c', phase: 'Succeeded' }), pod('waits', { scheduled: 'False' }), pod('fresh'), pod('binding', { scheduled: 'True' })],
    );
    expect(observation.nodeAllocatable).toEqual({ cpu: 4000, memoryBytes: 16 * 2 ** 30 });
    expect(observation.nodes).toEqual([
      { name: 'a', machineName: 'm-a', empty: false },
      { name: 'b', empty: true },
      { name: 'c', empty: true },
    ]);
    expect(observation.pendingPods).toEqual([
      { name: 'apps/waits', requests: { cpu: 250, memoryBytes: 2 ** 20 }, pendingSince: '2026-01-01T00:05:00.000Z' },
      { name: 'apps/fresh', requests: { cpu: 250, memoryBytes: 2 ** 20 }, pendingSince: '2026-01-01T00:00:00.000Z' },
    ]);
  });
});
