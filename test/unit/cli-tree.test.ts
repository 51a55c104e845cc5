import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeLastState, progressSummary, severityOf } from '../../services/cli/conditions';
import { describeTree } from '../../services/cli/describe-tree';
import { renderTree, treeRows, type TreeNode } from '../../services/cli/output';
import { SseParser } from '../../services/cli/sse';
import { judge } from '../../services/cli/waiting';

const now = new Date('2025-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const condition = (type: string, status: string, reason: string, message: string, seconds = 60) => ({ type, status, reason, message, lastTransitionTime: ago(seconds) });
const machine = (name: string, role: string, pool: string, phase: string) => ({
  name,
  role,
  pool,
  phase,
  providerID: `sim://${name}`,
  conditions: [condition('Ready', phase === 'Running' ? 'True' : 'False', phase, `The machine is ${phase.toLowerCase()}.`, 30)],
});

const demo = {
  apiVersion: 'slipway.dev/v1alpha1',
  kind: 'ClusterDeployment',
  metadata: { name: 'demo', namespace: 'default' },
  spec: {},
  status: {
    infraID: 'demo-abcde',
    controlPlane: { name: 'master', replicas: 1, readyReplicas: 1 },
    workerPools: [{ name: 'worker', replicas: 2, readyReplicas: 1 }],
    machines: [machine('demo-master-0', 'control-plane', 'master', 'Running'), machine('demo-worker-0', 'worker', 'worker', 'Running'), machine('demo-worker-1', 'worker', 'worker', 'Provisioning')],
    conditions: [
      condition('InfrastructureReady', 'True', 'InfrastructureCreated', 'API answers.', 300),
      condition('ControlPlaneReady', 'True', 'AllMachinesRunning', '1 of 1 running', 200),
      condition('WorkersReady', 'False', 'WaitingForMachines', 'worker: 1/2 running', 100),
      condition('Provisioned', 'False', 'Provisioning', 'Creating worker machines.', 120),
      condition('Ready', 'False', 'Provisioning', 'Creating worker machines.', 120),
    ],
  },
};

describe('describe tree', () => {
  it('puts the cluster first, then its conditions, control plane and worker pools with their machines', () => {
    const lines = renderTree(describeTree(demo), now).split('\n');
    const readyColumn = lines[0]?.indexOf('READY') ?? 0;
    expect(lines.map((line) => line.slice(0, readyColumn).trimEnd())).toEqual([
      'NAME',
      'ClusterDeployment/demo',
      '├─InfrastructureReady',
      '├─Provisioned',
      '├─ControlPlane/master (1/1)',
      '│ └─Machine/demo-master-0',
      '└─Workers',
      '  └─MachinePool/worker (1/2)',
      '    ├─Machine/demo-worker-0',
      '    └─Machine/demo-worker-1',
    ]);
    expect(lines[0]).toMatch(/^NAME +READY +SEVERITY +REASON +SINCE +MESSAGE$/);
    expect(lines[1]).toMatch(/ClusterDeployment\/demo +False +Info +Provisioning +2m +Creating worker machines\./);
    expect(lines[9]).toMatch(/Machine\/demo-worker-1 +False +Info +Provisioning +30s +The machine is provisioning\./);
    expect(lines[8]).toMatch(/Machine\/demo-worker-0 +True +30s +The machine is running\./);
    expect(lines[7]).toMatch(/MachinePool\/worker \(1\/2\) +False +Info +WaitingForMachines +100s +1 of 2 machines running/);
  });

  it('shows just the conditions of kinds without pools, and a bare line before any status', () => {
    const tree = describeTree({ kind: 'NodePool', metadata: { name: 'np' }, status: { conditions: [condition('Ready', 'True', 'AsExpected', 'ok')] } });
    expect(tree).toEqual({ name: 'NodePool/np', condition: expect.objectContaining({ type: 'Ready' }), children: [] });
    expect(renderTree(describeTree({ kind: 'ClusterDeployment', metadata: { name: 'new' } }), now).split('\n')[1]).toBe('ClusterDeployment/new');
  });

  it('draws a prefix for every node, depth first, whatever the shape', () => {
    // A random tree: node i (i > 0) hangs under node parents[i - 1] % i.
    const build = (parents: number[]): TreeNode => {
      const children: TreeNode[][] = [[]];
      parents.forEach((parent, index) => {
        children.push([]);
        children[parent % (index + 1)]?.push({ name: `n${index + 1}`, children: children[index + 1] ?? [] });
      });
      return { name: 'n0', children: children[0] ?? [] };
    };
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }).map(build), (root) => {
        const count = (tree: TreeNode): number => 1 + tree.children.reduce((sum, child) => sum + count(child), 0);
        const rows = treeRows(root);
        expect(rows).toHaveLength(count(root));
        expect(rows[0]?.prefix).toBe('');
        for (const row of rows.slice(1)) expect(row.prefix).toMatch(/^([│ ] )*[├└]─$/);
      }),
    );
  });

  it('derives severity from status and reason', () => {
    expect(severityOf(undefined)).toBe('');
    expect(severityOf({ type: 'Ready', status: 'True' })).toBe('');
    expect(severityOf({ type: 'Provisioned', status: 'False', reason: 'ProvisionFailed' })).toBe('Error');
    expect(severityOf({ type: 'Ready', status: 'False', reason: 'Provisioning' })).toBe('Info');
    expect(severityOf({ type: 'Ready', status: 'Unknown', reason: 'NoData' })).toBe('Warning');
  });
});

describe('wait judgement', () => {
  const ready = { type: 'condition', condition: 'Ready', status: 'True' } as const;
  it('is met, pending or failed for good', () => {
    expect(judge(ready, demo).state).toBe('pending');
    const readyDemo = { ...demo, status: { conditions: [condition('Ready', 'True', 'Ready', 'all good')] } };
    expect(judge(ready, readyDemo).state).toBe('met');
    const failed = { ...demo, status: { conditions: [condition('Provisioned', 'False', 'ProvisionFailed', 'Every install attempt failed.'), condition('Ready', 'False', 'ProvisionFailed', 'x')] } };
    expect(judge(ready, failed)).toEqual({ state: 'failed', reason: 'Provisioned=False reason ProvisionFailed: Every install attempt failed.' });
    expect(judge({ type: 'condition', condition: 'Ready', status: 'False' }, failed).state).toBe('met');
    expect(judge(ready, undefined)).toEqual({ state: 'failed', reason: 'it was deleted' });
    expect(judge({ type: 'delete' }, demo).state).toBe('pending');
    expect(judge({ type: 'delete' }, undefined).state).toBe('met');
  });

  it('names the last state seen, preferring what Provisioned says', () => {
    expect(describeLastState(demo, 'Ready')).toBe('Provisioned=False reason Provisioning: Creating worker machines.');
    expect(describeLastState({ status: { conditions: [condition('Available', 'False', 'Waiting', 'hold on')] } }, 'Available')).toBe('Available=False reason Waiting: hold on');
    expect(describeLastState({ status: {} }, 'Ready')).toBe('no conditions yet (Ready not reported)');
    expect(describeLastState(undefined, 'Ready')).toBe('object not found');
  });

  it('sums up progress in one line', () => {
    expect(progressSummary(demo)).toBe('Provisioned=False (Provisioning) Creating worker machines. machines 2/3');
    expect(progressSummary({ metadata: { name: 'x' } })).toBe('waiting for status');
  });
});

describe('SSE parser', () => {
  const stream = 'event: ADDED\nid: 5\ndata: {"a":1}\n\n: keep-alive\n\nevent: MODIFIED\r\nid: 6\r\ndata: {"a":\r\ndata: 2}\r\n\r\ndata: plain\n\n';

  it('reads events, comments, CRLF and multi-line data', () => {
    expect(new SseParser().push(stream)).toEqual([
      { event: 'ADDED', id: '5', data: '{"a":1}' },
      { event: 'MODIFIED', id: '6', data: '{"a":\n2}' },
      { event: 'message', id: '6', data: 'plain' },
    ]);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const whole = new SseParser().push(stream);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const parser = new SseParser();
        const bounds = [0, ...[...cuts].sort((a, b) => a - b), stream.length];
        const events = bounds.slice(1).flatMap((end, index) => parser.push(stream.slice(bounds[index], end)));
        expect(events).toEqual(whole);
      }),
    );
  });
});
