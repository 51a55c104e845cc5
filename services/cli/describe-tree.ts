/**
 * Builds the `describe` tree from an object's status, after `clusterctl describe cluster`:
 * the object with its summary condition, its other top-level conditions, then the control
 * plane and each worker pool with their machines (a ClusterDeployment), or each MachineSet
 * with its machines (a MachineDeployment). Other kinds show their conditions.
 */
import { isPlainObject } from '../../crds/json';
import { conditionsOf, objectConditions, type ConditionView, type ObjectLike } from './conditions';
import type { TreeNode } from './output';

interface PoolView {
  readonly name: string;
  readonly replicas: number;
  readonly readyReplicas: number;
}

interface MachineSetView extends PoolView {
  readonly revisionNumber: number;
  readonly availableReplicas: number;
}

interface MachineView {
  readonly name: string;
  readonly role: string;
  readonly pool: string;
  readonly machineSet: string;
  readonly phase: string;
  readonly providerID?: string;
  readonly conditions: ConditionView[];
}

function poolOf(value: unknown): PoolView | undefined {
  if (!isPlainObject(value) || typeof value.name !== 'string') return undefined;
  return {
    name: value.name,
    replicas: typeof value.replicas === 'number' ? value.replicas : 0,
    readyReplicas: typeof value.readyReplicas === 'number' ? value.readyReplicas : 0,
  };
}

function machineSetOf(value: unknown): MachineSetView | undefined {
  const pool = poolOf(value);
  if (!pool || !isPlainObject(value)) return undefined;
  const count = (field: unknown) => (typeof field === 'number' ? field : 0);
  return { ...pool, revisionNumber: count(value.revisionNumber), availableReplicas: count(value.availableReplicas) };
}

function machineOf(value: unknown): MachineView | undefined {
  if (!isPlainObject(value) || typeof value.name !== 'string') return undefined;
  return {
    name: value.name,
    role: typeof value.role === 'string' ? value.role : '',
    pool: typeof value.pool === 'string' ? value.pool : '',
    machineSet: typeof value.machineSet === 'string' ? value.machineSet : '',
    phase: typeof value.phase === 'string' ? value.phase : '',
    ...(typeof value.providerID === 'string' ? { providerID: value.providerID } : {}),
    conditions: conditionsOf(value.conditions),
  };
}

function machineNode(machine: MachineView): TreeNode {
  const ready = machine.conditions.find((condition) => condition.type === 'Ready');
  const fallback: ConditionView = { type: 'Ready', status: 'Unknown', reason: machine.phase || 'Unknown', message: `phase ${machine.phase || 'unknown'}` };
  return { name: `Machine/${machine.name}`, condition: ready ?? fallback, children: [] };
}

/** A pool's line: READY from its counts, SINCE and REASON from the matching summary condition. */
function poolNode(label: string, pool: PoolView, summary: ConditionView | undefined, machines: readonly MachineView[], message?: string): TreeNode {
  const ready = pool.readyReplicas >= pool.replicas;
  const condition: ConditionView = {
    type: 'Ready',
    status: ready ? 'True' : 'False',
    reason: ready ? 'AllMachinesRunning' : (summary?.status === 'False' ? summary.reason : undefined) ?? 'WaitingForMachines',
    ...(summary?.lastTransitionTime ? { lastTransitionTime: summary.lastTransitionTime } : {}),
  };
  return {
    name: `${label} (${pool.readyReplicas}/${pool.replicas})`,
    condition,
    message: message ?? `${pool.readyReplicas} of ${pool.replicas} machines running`,
    children: machines.map(machineNode),
  };
}

/** A MachineDeployment's MachineSets, newest revision first, each with its machines; machines of no listed set last. */
function machineSetNodes(sets: readonly MachineSetView[], machines: readonly MachineView[]): TreeNode[] {
  const nodes = sets.map((set) =>
    poolNode(
      `MachineSet/${set.name}`,
      set,
      undefined,
      machines.filter((machine) => machine.machineSet === set.name),
      `revision ${set.revisionNumber}: ${set.replicas} replicas, ${set.readyReplicas} ready, ${set.availableReplicas} available`,
    ),
  );
  const names = new Set(sets.map((set) => set.name));
  return [...nodes, ...machines.filter((machine) => !names.has(machine.machineSet)).map(machineNode)];
}

const POOL_CONDITION_TYPES = new Set(['ControlPlaneReady', 'WorkersReady']);

export function describeTree(object: ObjectLike): TreeNode {
  const kind = object.kind ?? 'Object';
  const name = object.metadata?.name ?? '';
  const conditions = objectConditions(object);
  const ready = conditions.find((condition) => condition.type === 'Ready');
  const status = isPlainObject(object.status) ? object.status : {};

  const conditionNodes: TreeNode[] = conditions
    .filter((condition) => condition.type !== 'Ready' && !POOL_CONDITION_TYPES.has(condition.type))
    .map((condition) => ({ name: condition.type, condition, children: [] }));

  const machines = (Array.isArray(status.machines) ? status.machines : []).map(machineOf).filter((machine) => machine !== undefined);
  const controlPlane = poolOf(status.controlPlane);
  const workerPools = (Array.isArray(status.workerPools) ? status.workerPools : []).map(poolOf).filter((pool) => pool !== undefined);
  const find = (type: string) => conditions.find((condition) => condition.type === type);

  const poolNodes: TreeNode[] = [];
  if (controlPlane) {
    const members = machines.filter((machine) => machine.role === 'control-plane' || (machine.role === '' && machine.pool === controlPlane.name));
    poolNodes.push(poolNode(`ControlPlane/${controlPlane.name}`, controlPlane, find('ControlPlaneReady'), members));
  }
  if (workerPools.length > 0) {
    const pools = workerPools.map((pool) =>
      poolNode(`MachinePool/${pool.name}`, pool, find('WorkersReady'), machines.filter((machine) => machine.pool === pool.name && machine.role !== 'control-plane')),
    );
    const workersReady = find('WorkersReady');
    poolNodes.push({ name: 'Workers', ...(workersReady ? { condition: workersReady } : {}), children: pools });
  }

  if (Array.isArray(status.machineSets)) {
    const sets = status.machineSets.map(machineSetOf).filter((set) => set !== undefined);
    poolNodes.push(...machineSetNodes(sets, machines));
  }

  return {
    name: `${kind}/${name}`,
    ...(ready ? { condition: ready } : {}),
    children: [...conditionNodes, ...poolNodes],
  };
}
