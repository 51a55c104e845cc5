/**
 * The baselines for bench/overhead.ts: bare Temporal workflows that make the same activity
 * calls, in the same shape, as provisioning one ClusterDeployment, but each activity does
 * nothing. Slipway's overhead is whatever it costs beyond them.
 *
 * - bareProvisionWorkflow makes every machine in one workflow: the least any design could cost.
 * - bareClusterWithPoolWorkflow has Slipway's topology (a cluster workflow that makes its
 *   control plane, then starts one child workflow for its worker pool and waits for the pool's
 *   signal that its machines run) with nothing else: no status, projection, memo or observer.
 *   What Slipway costs beyond it is its runtime's; what it costs beyond the first, and not
 *   beyond this one, is the price of a pool being a workflow of its own.
 */
import { ParentClosePolicy, condition, defineSignal, getExternalWorkflowHandle, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: string): Promise<void> }>({ startToCloseTimeout: '60s' });

interface Shape {
  readonly controlPlane: number;
  readonly workers: number;
}

const poolReadySignal = defineSignal('poolReady');

async function makeMachine(name: string): Promise<void> {
  await noop(`createMachine ${name}`);
  await noop(`awaitMachineRunning ${name}`);
}

async function makeControlPlane(shape: Shape): Promise<void> {
  await noop('ensureClusterInfra');
  await makeMachine('master-0');
  await Promise.all(Array.from({ length: shape.controlPlane - 1 }, (_, index) => makeMachine(`master-${index + 1}`)));
}

async function makeWorkers(workers: number): Promise<void> {
  await Promise.all(Array.from({ length: workers }, (_, index) => makeMachine(`worker-${index}`)));
}

export async function bareProvisionWorkflow(shape: Shape): Promise<void> {
  await makeControlPlane(shape);
  await makeWorkers(shape.workers);
}

export async function bareClusterWithPoolWorkflow(shape: Shape): Promise<void> {
  let poolReady = false;
  setHandler(poolReadySignal, () => void (poolReady = true));
  await makeControlPlane(shape);
  // Like Slipway's pool, the child outlives this workflow's wait and is not awaited to its end.
  await startChild(barePoolWorkflow, {
    workflowId: `${workflowInfo().workflowId}-pool`,
    args: [{ workers: shape.workers, ownerWorkflowId: workflowInfo().workflowId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  await condition(() => poolReady);
}

export async function barePoolWorkflow(pool: { readonly workers: number; readonly ownerWorkflowId: string }): Promise<void> {
  await makeWorkers(pool.workers);
  await getExternalWorkflowHandle(pool.ownerWorkflowId).signal(poolReadySignal);
}
