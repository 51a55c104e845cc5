/**
 * Durability: SIGKILL the worker process at several points while clusters provision
 * and while they are deleted. Every cluster must still reach Ready with exactly the
 * machines it asked for (counted in the cloud, not in Slipway's status), and deletion
 * must leave nothing behind.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { TAG } from '../../providers/tags';
import { deleteClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { getMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { cloudResources, clusterObject, isReady, liveMachines, startCluster, waitForCluster } from '../support/clusters';
import { replayFailures } from '../support/histories';
import { removeSecret, writeSimulatedSecret } from '../support/secrets';
import { startTestStack, type TestStack } from '../support/stack';
import { startWorkerProcess, waitWhileWorkerRuns, type WorkerProcess } from '../support/worker-process';

let stack: TestStack;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  stack = await startTestStack({ inProcessWorker: false, simCloud: { bootMs: 400, deleteMs: 200 } });
});
afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

async function countOwnedMachines(): Promise<number> {
  let count = 0;
  for await (const machine of stack.simCloud.adapter.listMachines({ [TAG.management]: stack.managementId })) {
    if (machine.phase !== 'terminated') count += 1;
  }
  return count;
}

const waitUntil = (predicate: () => Promise<boolean>, timeoutMs: number, what: string) => waitWhileWorkerRuns(predicate, timeoutMs, what, () => worker);

it('survives SIGKILL of the worker during provisioning and deletion without duplicates or leaks', { timeout: 240_000 }, async () => {
  worker = startWorkerProcess(stack.workerEnv);
  const names = ['kilo', 'lima', 'mike'];
  const handles = await Promise.all(names.map((name) => startCluster(stack, clusterObject(name))));

  // Kill as machines appear: mid control plane, mid workers, and right at the end.
  for (const threshold of [1, 5, 10, 16]) {
    await waitUntil(async () => (await countOwnedMachines()) >= threshold, 90_000, `${threshold} machines`);
    await worker.kill();
    worker = startWorkerProcess(stack.workerEnv);
  }
  const clusters = await Promise.all(handles.map((handle) => waitForCluster(handle, isReady, 120_000)));
  for (const cluster of clusters) {
    const infraId = cluster.status?.infraID ?? '';
    const machines = await liveMachines(stack, infraId);
    expect(machines).toHaveLength(6);
    expect(new Set(machines.map((machine) => machine.tags[TAG.machine])).size).toBe(6);
    const recorded = new Set(cluster.status?.machines?.map((machine) => machine.providerID));
    expect(machines.every((machine) => recorded.has(machine.id))).toBe(true);
  }

  await Promise.all(handles.map((handle) => handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] })));
  await waitUntil(async () => (await countOwnedMachines()) <= 12, 60_000, 'deletion to begin');
  await worker.kill();
  worker = startWorkerProcess(stack.workerEnv);
  await Promise.all(handles.map((handle) => handle.result()));
  for (const cluster of clusters) expect(await cloudResources(stack, cluster.status?.infraID ?? '')).toEqual([]);
  // Every history written across the kills, clusters and their pools, must replay exactly.
  const workflowIds = [...handles.map((handle) => handle.workflowId), ...names.map((name) => `MachineDeployment/default/${name}-worker`)];
  expect(await replayFailures(stack.client, workflowIds, inject('workflowBundlePath'))).toEqual([]);
});

it('loses nothing when the worker is SIGKILLed while a teardown waits for its credentials', { timeout: 180_000 }, async () => {
  worker ??= startWorkerProcess(stack.workerEnv);
  await writeSimulatedSecret(stack, 'oscar-creds');
  const object = clusterObject('oscar', { platform: { simulated: { region: 'local-1', credentialsSecretRef: { name: 'oscar-creds' } } }, controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 2 }] });
  const handle = await startCluster(stack, object);
  const ready = await waitForCluster(handle, isReady, 90_000);
  const infraId = ready.status?.infraID ?? '';
  expect(await liveMachines(stack, infraId)).toHaveLength(3);

  await removeSecret(stack, 'oscar-creds');
  await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
  const pool = stack.client.workflow.getHandle('MachineDeployment/default/oscar-worker');
  const credentialsMissing = async () => (await pool.query(getMachineDeployment)).object.status?.conditions?.some((condition) => condition.type === 'CredentialsReady' && condition.status === 'False') === true;
  await waitUntil(credentialsMissing, 60_000, 'the pool to wait for its credentials');
  for (let kill = 0; kill < 2; kill += 1) {
    await worker.kill();
    worker = startWorkerProcess(stack.workerEnv);
    await waitUntil(credentialsMissing, 60_000, 'the pool to wait for its credentials again');
  }
  // Nothing was deleted while the credentials were missing, and nothing was given up on.
  expect(await liveMachines(stack, infraId)).toHaveLength(3);
  expect((await handle.describe()).status.name).toBe('RUNNING');

  await writeSimulatedSecret(stack, 'oscar-creds');
  await handle.result();
  expect(await cloudResources(stack, infraId)).toEqual([]);
  expect(await replayFailures(stack.client, [handle.workflowId, pool.workflowId], inject('workflowBundlePath'))).toEqual([]);
});
