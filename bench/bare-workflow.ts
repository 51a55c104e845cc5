/**
 * The baselines for bench/overhead.ts: bare Temporal workflows that make the same activity
 * calls, in the same shape, as provisioning one ClusterDeployment. Slipway's overhead is
 * whatever it costs beyond them.
 *
 * - bareProvisionWorkflow makes every machine in one workflow: the least any design could cost.
 * - bareClusterWithPoolWorkflow has Slipway's topology (a cluster workflow that makes its
 *   control plane, then starts one child workflow for its worker pool and waits for the pool's
 *   signal that its machines run) with nothing else: no status, projection, memo or observer.
 *
 * Each runs its activities one of two ways: as no-ops, or as Slipway's own activities on the
 * same simulated cloud (infrastructure, create, and a poll until the machine runs), so that the
 * baseline does the cloud work Slipway does and only the orchestration differs.
 */
import { ParentClosePolicy, condition, defineSignal, getExternalWorkflowHandle, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import type { ClusterActivities } from '../workflows/cluster-deployment/activities-api';
import type { ProviderTarget } from '../workflows/entity/activities-api';

type BareActivities = Pick<ClusterActivities, 'ensureClusterInfra' | 'createMachine' | 'awaitMachineRunning'> & { noop(step: string): Promise<void> };
const activities = proxyActivities<BareActivities>({ startToCloseTimeout: '60s' });

export interface Shape {
  readonly controlPlane: number;
  readonly workers: number;
}

export interface BareInput {
  readonly shape: Shape;
  /** Absent: every activity is a no-op. Present: Slipway's activities, on this cloud. */
  readonly cloud?: { readonly target: ProviderTarget; readonly managementId: string; readonly infraId: string };
}

const poolReadySignal = defineSignal('poolReady');

type Role = 'control-plane' | 'worker';

/** The cluster's steps as the input asks: no-ops, or Slipway's activities on its cloud. */
function stepsFor(input: BareInput): { infra(): Promise<unknown>; makeMachine(name: string, role: Role): Promise<void> } {
  const { cloud } = input;
  if (!cloud) {
    return {
      infra: () => activities.noop('ensureClusterInfra'),
      async makeMachine(name) {
        await activities.noop(`createMachine ${name}`);
        await activities.noop(`awaitMachineRunning ${name}`);
      },
    };
  }
  return {
    infra: () => activities.ensureClusterInfra({ target: cloud.target, infraId: cloud.infraId, clusterName: cloud.infraId, baseDomain: 'example.test', managementId: cloud.managementId }),
    async makeMachine(machineName, role) {
      const identity = { target: cloud.target, infraId: cloud.infraId, workflowId: workflowInfo().workflowId, machineName, attempt: 0 };
      await activities.createMachine({ ...identity, managementId: cloud.managementId, role, pool: role === 'worker' ? 'worker' : 'master', instanceType: 'm6i.large', image: 'rhcos-4.16' });
      await activities.awaitMachineRunning(identity);
    },
  };
}

async function makeControlPlane(input: BareInput): Promise<void> {
  const { infra, makeMachine } = stepsFor(input);
  await infra();
  await makeMachine('master-0', 'control-plane');
  await Promise.all(Array.from({ length: input.shape.controlPlane - 1 }, (_, index) => makeMachine(`master-${index + 1}`, 'control-plane')));
}

async function makeWorkers(input: BareInput): Promise<void> {
  const { makeMachine } = stepsFor(input);
  await Promise.all(Array.from({ length: input.shape.workers }, (_, index) => makeMachine(`worker-${index}`, 'worker')));
}

export async function bareProvisionWorkflow(input: BareInput): Promise<void> {
  await makeControlPlane(input);
  await makeWorkers(input);
}

export async function bareClusterWithPoolWorkflow(input: BareInput): Promise<void> {
  let poolReady = false;
  setHandler(poolReadySignal, () => void (poolReady = true));
  await makeControlPlane(input);
  // Like Slipway's pool, the child outlives this workflow's wait and is not awaited to its end.
  await startChild(barePoolWorkflow, {
    workflowId: `${workflowInfo().workflowId}-pool`,
    args: [{ ...input, ownerWorkflowId: workflowInfo().workflowId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  await condition(() => poolReady);
}

export async function barePoolWorkflow(pool: BareInput & { readonly ownerWorkflowId: string }): Promise<void> {
  await makeWorkers(pool);
  await getExternalWorkflowHandle(pool.ownerWorkflowId).signal(poolReadySignal);
}
