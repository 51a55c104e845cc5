/**
 * What decides how often the cloud observer looks, and when an entity writes its memo or
 * reports to its owner: each is a history event or a workflow task saved, so each must
 * still fire when it matters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subscriberExpecting, type Subscription } from '../../workflows/cloud-observer/definitions';
import type { MachineObservation } from '../../workflows/machine-deployment/activities-api';
import type { PoolReport } from '../../workflows/machine-deployment/definitions';
import { poolReportKey } from '../../workflows/machine-deployment/state';
import { lifecycleKey } from '../../workflows/entity/publisher';

const running: MachineObservation = { providerId: 'sim://a', phase: 'running' };
const readyNode: MachineObservation = { providerId: 'sim://a', phase: 'running', node: { name: 'n', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
const notJoined: MachineObservation = { providerId: 'sim://a', phase: 'running', node: null };
const pending: MachineObservation = { providerId: 'sim://a', phase: 'pending' };
const subscription = (expectedMachines?: string[], expecting?: boolean): Subscription => ({
  workflowId: 'MachineDeployment/default/md',
  infraId: 'infra',
  namePattern: '^md-[0-9a-z]+-[0-9]+$',
  settledPollSeconds: 30,
  ...(expectedMachines ? { expectedMachines } : {}),
  ...(expecting !== undefined ? { expecting } : {}),
});

describe('subscriberExpecting', () => {
  it.each([
    ['every expected machine runs', ['a', 'b'], { a: running, b: running }, false],
    ['every expected machine runs with a Ready node', ['a'], { a: readyNode }, false],
    ['nothing expected and nothing there', [], {}, false],
    ['an expected machine is missing', ['a', 'b'], { a: running }, true],
    ['an expected machine is still pending', ['a'], { a: pending }, true],
    ['a node has not joined', ['a'], { a: notJoined }, true],
    ['a machine is there that should be gone', ['a'], { a: running, b: running }, true],
  ] as const)('%s: %s', (_case, expected, seen, result) => {
    expect(subscriberExpecting(subscription([...expected]), seen)).toBe(result);
  });

  it('falls back to the flag of a subscription made before expected machines', () => {
    expect(subscriberExpecting(subscription(undefined, true), { a: running })).toBe(true);
    expect(subscriberExpecting(subscription(undefined, false), {})).toBe(false);
    expect(subscriberExpecting(subscription(), {})).toBe(false);
  });

  it('is settled exactly when the cloud shows the expected names, each settled', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd');
    const observation = fc.constantFrom(running, readyNode, notJoined, pending);
    fc.assert(
      fc.property(fc.uniqueArray(name), fc.dictionary(name, observation), (expected, seen) => {
        const sameNames = Object.keys(seen).sort().join() === [...expected].sort().join();
        const allSettled = Object.values(seen).every((entry) => entry === running || entry === readyNode);
        expect(subscriberExpecting(subscription(expected), seen)).toBe(!(sameNames && allSettled));
      }),
    );
  });
});

describe('poolReportKey', () => {
  const report = (machines: PoolReport['machines'], readyReplicas = 0): PoolReport => ({
    pool: 'worker',
    machineDeployment: 'c-worker',
    observedGeneration: 1,
    replicas: 2,
    readyReplicas,
    availableReplicas: readyReplicas,
    updatedReplicas: 2,
    revision: 'r1',
    desiredReplicas: 2,
    deleted: false,
    machines,
  });
  const machine = (name: string, phase: string, ready: boolean, message?: string) => ({ name, phase, ready, since: `2026-01-01T00:00:0${phase.length % 10}Z`, ...(message ? { message } : {}) });

  it('ignores a machine passing from one phase to the next', () => {
    expect(poolReportKey(report([machine('a', 'Provisioning', false)]))).toBe(poolReportKey(report([{ ...machine('a', 'Provisioned', false), providerID: 'sim://a' }])));
  });

  it('changes when a machine becomes ready, gets a message, comes or goes, or a count moves', () => {
    const base = poolReportKey(report([machine('a', 'Provisioning', false)]));
    expect(poolReportKey(report([machine('a', 'Running', true)], 1))).not.toBe(base);
    expect(poolReportKey(report([machine('a', 'Failed', false, 'quota exceeded')]))).not.toBe(base);
    expect(poolReportKey(report([machine('a', 'Provisioning', false), machine('b', 'Provisioning', false)]))).not.toBe(base);
    expect(poolReportKey({ ...report([machine('a', 'Provisioning', false)]), desiredReplicas: 3 })).not.toBe(base);
  });
});

describe('lifecycleKey', () => {
  const object = (ready: string, extra: Record<string, unknown> = {}) => ({
    metadata: { name: 'c', generation: 1 },
    spec: { replicas: 2 },
    status: { conditions: [{ type: 'Ready', status: ready }, { type: 'Progressing', status: 'True', message: 'creating machine a' }], ...extra },
  });

  it('stays while only passing status changes, and moves with readiness, spec or metadata', () => {
    const base = lifecycleKey(object('False'));
    const later = object('False');
    later.status.conditions[1] = { type: 'Progressing', status: 'True', message: 'creating machine b' };
    expect(lifecycleKey(later)).toBe(base);
    expect(lifecycleKey(object('True'))).not.toBe(base);
    expect(lifecycleKey({ ...object('False'), spec: { replicas: 3 } })).not.toBe(base);
    expect(lifecycleKey({ ...object('False'), metadata: { name: 'c', generation: 1, deletionTimestamp: '2026-01-01T00:00:00Z' } })).not.toBe(base);
    expect(lifecycleKey(object('False', { phase: 'Deleting' }))).not.toBe(base);
  });
});
