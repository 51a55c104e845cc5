/**
 * The `describe` trees of hosted clusters: a HostedCluster with its control-plane components
 * and its NodePools, each NodePool with its machines and the Node each registered in the
 * hosted cluster. Pure: the command fetches the objects.
 */
import { isPlainObject } from '../../crds/json';
import { objectConditions, type ConditionView, type ObjectLike } from './conditions';
import type { TreeNode } from './output';

/** HyperShift's HostedCluster has no Ready condition: Available is its summary. */
const HOSTED_SUMMARY = 'Available';
const COMPONENTS: readonly { readonly condition: string; readonly name: string }[] = [
  { condition: 'EtcdAvailable', name: 'Etcd' },
  { condition: 'KubeAPIServerAvailable', name: 'KubeAPIServer' },
];

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function machineNodes(pool: ObjectLike): TreeNode[] {
  const status = isPlainObject(pool.status) ? pool.status : {};
  const machines = Array.isArray(status.machines) ? status.machines.filter(isPlainObject) : [];
  return machines.map((machine) => {
    const phase = text(machine.phase) ?? 'Unknown';
    const ready = machine.ready === true;
    const node = isPlainObject(machine.node) ? machine.node : undefined;
    const nodeChildren: TreeNode[] = node
      ? [
          {
            name: `Node/${text(node.name) ?? ''}`,
            condition: { type: 'Ready', status: text(node.ready) ?? 'Unknown', ...(text(node.reason) ? { reason: text(node.reason) } : {}) },
            message: text(node.lastHeartbeat) ? `last heartbeat ${text(node.lastHeartbeat)}` : '',
            children: [],
          },
        ]
      : [];
    const condition: ConditionView = { type: 'Ready', status: ready ? 'True' : 'False', reason: phase };
    return { name: `Machine/${text(machine.name) ?? ''}`, condition, message: text(machine.message) ?? (node ? '' : 'no Node registered yet'), children: nodeChildren };
  });
}

function counts(pool: ObjectLike): string {
  const status = isPlainObject(pool.status) ? pool.status : {};
  const ready = typeof status.readyReplicas === 'number' ? status.readyReplicas : 0;
  const replicas = typeof status.replicas === 'number' ? status.replicas : 0;
  return `${ready}/${replicas}`;
}

export function nodePoolTree(pool: ObjectLike): TreeNode {
  const conditions = objectConditions(pool);
  const ready = conditions.find((condition) => condition.type === 'Ready');
  return {
    name: `NodePool/${pool.metadata?.name ?? ''} (${counts(pool)})`,
    ...(ready ? { condition: ready } : {}),
    children: [
      ...conditions.filter((condition) => condition.type !== 'Ready').map((condition) => ({ name: condition.type, condition, children: [] })),
      ...machineNodes(pool),
    ],
  };
}

export function hostedClusterTree(cluster: ObjectLike, nodePools: readonly ObjectLike[]): TreeNode {
  const conditions = objectConditions(cluster);
  const find = (type: string) => conditions.find((condition) => condition.type === type);
  const summary = find(HOSTED_SUMMARY);
  const status = isPlainObject(cluster.status) ? cluster.status : {};
  const endpoint = isPlainObject(status.controlPlaneEndpoint) ? `https://${text(status.controlPlaneEndpoint.host) ?? ''}:${String(status.controlPlaneEndpoint.port ?? '')}` : undefined;
  // Ready repeats Available, the summary shown on the cluster's own line.
  const shown = new Set([HOSTED_SUMMARY, 'Ready', ...COMPONENTS.map((component) => component.condition)]);
  const components: TreeNode[] = COMPONENTS.map(({ condition, name }) => {
    const found = find(condition);
    return { name, ...(found ? { condition: found } : {}), children: [] };
  });
  const kubeAPIServer = find('KubeAPIServerAvailable');
  return {
    name: `HostedCluster/${cluster.metadata?.name ?? ''}`,
    ...(summary ? { condition: summary } : {}),
    children: [
      ...conditions.filter((condition) => !shown.has(condition.type)).map((condition) => ({ name: condition.type, condition, children: [] })),
      { name: 'ControlPlane', ...(kubeAPIServer ? { condition: kubeAPIServer } : {}), ...(endpoint ? { message: `API server at ${endpoint}` } : {}), children: components },
      { name: 'NodePools', message: nodePools.length === 0 ? 'none: create one with spec.clusterName set to this cluster' : `${nodePools.length}`, children: nodePools.map(nodePoolTree) },
    ],
  };
}
