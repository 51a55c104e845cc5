import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostedClusterConditions, type HostedClusterFacts } from '../../../workflows/planners/hosted/hosted-cluster-conditions';
import { nodePoolConditions, type NodePoolFacts } from '../../../workflows/planners/hosted/node-pool-conditions';

const HOSTED_TYPES = ['ValidReleaseImage', 'InfrastructureReady', 'EtcdAvailable', 'KubeAPIServerAvailable', 'Available', 'Progressing', 'Degraded', 'Ready'];
const POOL_TYPES = ['Ready', 'UpdatingVersion', 'UpdatingConfig', 'AutoscalingEnabled', 'AutorepairEnabled', 'AllMachinesReady', 'AllNodesHealthy'];

const up = { available: true };
const down = (message: string) => ({ available: false, message });
const hosted = (overrides: Partial<HostedClusterFacts>): HostedClusterFacts => ({ infrastructure: 'not-needed', desiredVersion: '4.20.1', rolledOut: false, lostAvailability: false, deleting: false, ...overrides });
const statusOf = (conditions: readonly { type: string; status: string; reason: string }[], type: string) => {
  const found = conditions.find((condition) => condition.type === type);
  return found ? `${found.status}/${found.reason}` : 'absent';
};

describe('hostedClusterConditions', () => {
  it.each([
    ['just created', hosted({}), { Available: 'False/WaitingForAvailable', EtcdAvailable: 'Unknown/StatusUnknown', Progressing: 'True/Progressing', Degraded: 'False/AsExpected', InfrastructureReady: 'True/AsExpected' }],
    ['cloud infrastructure pending', hosted({ infrastructure: 'pending' }), { InfrastructureReady: 'False/WaitingOnInfrastructureReady' }],
    ['etcd up, kube-apiserver starting', hosted({ etcd: up, kubeAPIServer: down('port 6443 not answering') }), { EtcdAvailable: 'True/AsExpected', KubeAPIServerAvailable: 'False/WaitingForAvailable', Available: 'False/WaitingForAvailable' }],
    ['available at its release', hosted({ etcd: up, kubeAPIServer: up, rolledOut: true }), { Available: 'True/AsExpected', Progressing: 'False/AsExpected', Degraded: 'False/AsExpected' }],
    ['upgrading while available', hosted({ etcd: up, kubeAPIServer: up, rolledOut: false }), { Available: 'True/AsExpected', Progressing: 'True/Progressing' }],
    ['lost a component', hosted({ etcd: down('exited'), kubeAPIServer: up, rolledOut: true, lostAvailability: true }), { Available: 'False/WaitingForAvailable', Degraded: 'True/ControlPlaneUnavailable' }],
    ['a step keeps failing', hosted({ lastError: 'Starting the control plane failed 3 time(s)' }), { Degraded: 'True/ReconciliationError' }],
    ['invalid release', hosted({ desiredVersion: undefined, invalidRelease: 'pinned by digest' }), { ValidReleaseImage: 'False/InvalidImage', Progressing: 'False/AsExpected', Available: 'False/WaitingForAvailable' }],
    ['deleting', hosted({ etcd: up, kubeAPIServer: up, rolledOut: true, deleting: true }), { Available: 'False/Deleting', Progressing: 'False/AsExpected' }],
  ])('%s', (_name, facts, expected) => {
    const conditions = hostedClusterConditions(facts);
    expect(conditions.map((condition) => condition.type)).toEqual(HOSTED_TYPES);
    for (const [type, value] of Object.entries(expected)) expect(statusOf(conditions, type), type).toBe(value);
  });

  it('is Available exactly when etcd and kube-apiserver are and it is not being deleted, and every message is filled', () => {
    const component = fc.option(fc.record({ available: fc.boolean(), message: fc.option(fc.string(), { nil: undefined }) }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({ etcd: component, kubeAPIServer: component, rolledOut: fc.boolean(), lostAvailability: fc.boolean(), deleting: fc.boolean(), infrastructure: fc.constantFrom('not-needed' as const, 'pending' as const, 'ready' as const) }),
        (facts) => {
          const conditions = hostedClusterConditions(hosted(Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined))));
          const available = facts.etcd?.available === true && facts.kubeAPIServer?.available === true && !facts.deleting;
          expect(statusOf(conditions, 'Available').startsWith(available ? 'True' : 'False')).toBe(true);
          expect(statusOf(conditions, 'Ready')).toBe(statusOf(conditions, 'Available'));
          for (const condition of conditions) expect(condition.message.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

const pool = (overrides: Partial<NodePoolFacts>): NodePoolFacts => ({
  desiredReplicas: 3,
  replicas: 3,
  readyReplicas: 3,
  updatedReplicas: 3,
  rolledOut: true,
  desiredVersion: '4.20.1',
  currentVersion: '4.20.1',
  configChanging: false,
  autoRepair: false,
  nodes: { healthy: 3, expected: 3, unhealthy: [] },
  failedMachines: [],
  deleting: false,
  ...overrides,
});

describe('nodePoolConditions', () => {
  it.each([
    ['settled', pool({}), { Ready: 'True/AsExpected', UpdatingVersion: 'False/AsExpected', AllMachinesReady: 'True/AsExpected', AllNodesHealthy: 'True/AsExpected', AutoscalingEnabled: 'False/AsExpected' }],
    ['scaling up', pool({ desiredReplicas: 5, rolledOut: false }), { Ready: 'False/WaitingForMachines', AllMachinesReady: 'False/WaitingForMachines' }],
    ['a version rollout', pool({ desiredVersion: '4.21.0', rolledOut: false, updatedReplicas: 1 }), { Ready: 'False/Updating', UpdatingVersion: 'True/AsExpected', UpdatingConfig: 'False/AsExpected' }],
    ['a configuration rollout', pool({ configChanging: true, rolledOut: false, updatedReplicas: 1 }), { Ready: 'False/Updating', UpdatingConfig: 'True/AsExpected' }],
    ['a failed machine', pool({ readyReplicas: 2, failedMachines: ['m-1: quota'] }), { AllMachinesReady: 'False/MachinesFailed', Ready: 'False/WaitingForMachines' }],
    ['a Node not Ready', pool({ nodes: { healthy: 2, expected: 3, unhealthy: ['Node n-3 is not Ready'] } }), { AllNodesHealthy: 'False/NodesNotReady' }],
    ['Nodes unreadable', pool({ nodes: 'connection refused' }), { AllNodesHealthy: 'Unknown/NodesUnreadable' }],
    ['a platform without Nodes (no kubelet)', pool({ nodes: undefined, nodesNotReported: 'AWS', autoRepair: true }), { Ready: 'True/AsExpected', AllMachinesReady: 'True/AsExpected', AllNodesHealthy: 'Unknown/NodesNotReported', AutorepairEnabled: 'True/AsExpected' }],
    ['autoscaling and autorepair', pool({ autoScaling: { min: 1, max: 5 }, autoRepair: true }), { AutoscalingEnabled: 'True/AsExpected', AutorepairEnabled: 'True/AsExpected' }],
    ['blocked', pool({ blocked: { reason: 'InvalidReleaseImage', message: 'no tag' } }), { Ready: 'False/InvalidReleaseImage' }],
    ['deleting', pool({ deleting: true, desiredVersion: '4.21.0' }), { Ready: 'False/Deleting', UpdatingVersion: 'False/AsExpected' }],
  ])('%s', (_name, facts, expected) => {
    const conditions = nodePoolConditions(facts);
    expect(conditions.map((condition) => condition.type)).toEqual(POOL_TYPES);
    for (const [type, value] of Object.entries(expected)) expect(statusOf(conditions, type), type).toBe(value);
  });

  it('says plainly that Nodes are not reported on a platform without a kubelet, and judges the pool by its machines', () => {
    const conditions = nodePoolConditions(pool({ nodes: undefined, nodesNotReported: 'AWS', readyReplicas: 2, autoRepair: true }));
    const nodes = conditions.find((condition) => condition.type === 'AllNodesHealthy');
    expect(nodes?.message).toMatch(/^Nodes are not reported on AWS: .*judged by its machines' running state \(2 of 3 running\)\.$/);
    expect(conditions.find((condition) => condition.type === 'AutorepairEnabled')?.message).toMatch(/not reported on AWS, so no machine is replaced for its Node/);
  });

  it('is Ready only when every desired machine is ready and up to date, nothing blocks it and it is not being deleted', () => {
    fc.assert(
      fc.property(
        fc.record({ desiredReplicas: fc.integer({ min: 0, max: 5 }), replicas: fc.integer({ min: 0, max: 6 }), readyReplicas: fc.integer({ min: 0, max: 6 }), updatedReplicas: fc.integer({ min: 0, max: 6 }), rolledOut: fc.boolean(), deleting: fc.boolean(), failed: fc.boolean() }),
        (facts) => {
          const conditions = nodePoolConditions(pool({ ...facts, failedMachines: facts.failed ? ['m: failed'] : [] }));
          const ready = statusOf(conditions, 'Ready').startsWith('True');
          const expected = !facts.deleting && !facts.failed && facts.rolledOut && facts.replicas === facts.desiredReplicas && facts.readyReplicas === facts.desiredReplicas && facts.updatedReplicas === facts.desiredReplicas;
          expect(ready).toBe(expected);
        },
      ),
    );
  });
});
