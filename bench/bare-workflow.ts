/**
 * The baseline for bench/overhead.ts: a bare Temporal workflow that makes the same
 * activity calls, in the same shape, as provisioning one ClusterDeployment, but each
 * activity does nothing. Slipway's overhead is whatever it costs beyond this.
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: string): Promise<void> }>({ startToCloseTimeout: '60s' });

export async function bareProvisionWorkflow(shape: { controlPlane: number; workers: number }): Promise<void> {
  await noop('ensureClusterInfra');
  const machine = async (name: string) => {
    await noop(`createMachine ${name}`);
    await noop(`awaitMachineRunning ${name}`);
  };
  await machine('master-0');
  await Promise.all(Array.from({ length: shape.controlPlane - 1 }, (_, index) => machine(`master-${index + 1}`)));
  await Promise.all(Array.from({ length: shape.workers }, (_, index) => machine(`worker-${index}`)));
}
