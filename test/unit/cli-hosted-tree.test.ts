import { describe, expect, it } from 'vitest';
import { hostedClusterTree, nodePoolTree } from '../../services/cli/hosted-tree';
import { renderTree } from '../../services/cli/output';

const at = '2026-01-01T00:00:00Z';
const condition = (type: string, status: string, reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: at });
const cluster = {
  kind: 'HostedCluster',
  metadata: { name: 'demo' },
  status: {
    controlPlaneEndpoint: { host: '127.0.0.1', port: 16443 },
    conditions: [
      condition('ValidReleaseImage', 'True', 'AsExpected'),
      condition('EtcdAvailable', 'True', 'AsExpected'),
      condition('KubeAPIServerAvailable', 'False', 'WaitingForAvailable', 'kube-apiserver is starting'),
      condition('Available', 'False', 'WaitingForAvailable', 'Waiting for etcd and kube-apiserver'),
    ],
  },
};
const pool = {
  kind: 'NodePool',
  metadata: { name: 'workers' },
  spec: { clusterName: 'demo' },
  status: {
    replicas: 2,
    readyReplicas: 1,
    conditions: [condition('Ready', 'False', 'WaitingForMachines', '1 of 2 machines are ready'), condition('AllNodesHealthy', 'False', 'NodesNotReady', 'Node m-2 is not Ready')],
    machines: [
      { name: 'm-1', phase: 'Running', ready: true, node: { name: 'm-1', ready: 'True' } },
      { name: 'm-2', phase: 'Provisioning', ready: false },
    ],
  },
};

describe('hosted describe trees', () => {
  it('shows a HostedCluster with Available as its summary, its components under ControlPlane, and each NodePool with machines and Nodes', () => {
    const lines = renderTree(hostedClusterTree(cluster, [pool]), new Date('2026-01-01T00:05:00Z')).split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+SEVERITY\s+REASON\s+SINCE\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^HostedCluster\/demo\s+False\s+Info\s+WaitingForAvailable\s+5m\s+Waiting for etcd/);
    expect(lines.slice(2).map((line) => /^(\s*\S.*?)(?:\s{2,}|$)/.exec(line)?.[1])).toEqual([
      '├─ValidReleaseImage',
      '├─ControlPlane',
      '│ ├─Etcd',
      '│ └─KubeAPIServer',
      '└─NodePools',
      '  └─NodePool/workers (1/2)',
      '    ├─AllNodesHealthy',
      '    ├─Machine/m-1',
      '    │ └─Node/m-1',
      '    └─Machine/m-2',
    ]);
    expect(lines.find((line) => line.includes('ControlPlane'))).toMatch(/API server at https:\/\/127\.0\.0\.1:16443/);
    expect(lines.find((line) => line.includes('Machine/m-2'))).toMatch(/no Node registered yet/);
  });

  it('says how to add a NodePool to a cluster that has none', () => {
    expect(renderTree(hostedClusterTree(cluster, []), new Date(at))).toMatch(/NodePools\s+none: create one with spec\.clusterName/);
    expect(renderTree(nodePoolTree(pool), new Date(at)).split('\n')[1]).toMatch(/^NodePool\/workers \(1\/2\)\s+False/);
  });
});
