/**
 * Durability of a rollout: SIGKILL the worker process at random points while a
 * MachineDeployment rolls to a new template. The rollout must still finish with exactly
 * `replicas` machines of the new template, counted in the cloud: none duplicated, none
 * leaked, none of the old template left.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { deleteMachineDeployment, patchMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { cloudMachines, machineDeploymentObject, rolledOut, startMachineDeployment, waitForMachineDeployment } from '../support/machine-deployments';
import { replayFailures } from '../support/histories';
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

const waitUntil = (predicate: () => Promise<boolean>, timeoutMs: number, what: string) => waitWhileWorkerRuns(predicate, timeoutMs, what, () => worker);

it('finishes a rollout with exactly replicas new machines although the worker is killed at random points', { timeout: 300_000 }, async () => {
  const replicas = 6;
  const infraId = 'crash-a1b2c';
  worker = startWorkerProcess(stack.workerEnv);
  const handle = await startMachineDeployment(
    stack,
    machineDeploymentObject('crash', { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } } }),
    infraId,
    { observeIntervalSeconds: 2 },
  );
  await waitForMachineDeployment(handle, rolledOut, 120_000);

  await handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { template: { spec: { infrastructure: { instanceType: 'm6i.xlarge' } } } } }] });
  // Kill after a random number of new-template machines have appeared (seeded, so a failure can be replayed).
  const [killPoints] = fc.sample(fc.uniqueArray(fc.integer({ min: 1, max: replicas }), { minLength: 3, maxLength: 3 }), { numRuns: 1, seed: 20261125 });
  for (const threshold of [...(killPoints ?? [1, 3, 5])].sort((a, b) => a - b)) {
    await waitUntil(async () => (await cloudMachines(stack, infraId)).filter((machine) => machine.instanceType === 'm6i.xlarge').length >= threshold, 120_000, `${threshold} new machines`);
    await worker.kill();
    worker = startWorkerProcess(stack.workerEnv);
  }

  await waitForMachineDeployment(handle, rolledOut, 180_000);
  const machines = await cloudMachines(stack, infraId);
  expect(machines).toHaveLength(replicas);
  expect(machines.every((machine) => machine.instanceType === 'm6i.xlarge')).toBe(true);
  expect(new Set(machines.map((machine) => machine.name)).size).toBe(replicas);

  await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
  await handle.result();
  expect(await cloudMachines(stack, infraId)).toEqual([]);
  expect(await replayFailures(stack.client, [handle.workflowId], inject('workflowBundlePath'))).toEqual([]);
});
