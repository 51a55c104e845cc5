/**
 * The MachineDeployment workflow on the simulated cloud, through a real Temporal dev server.
 * Invariants are checked against what the cloud itself holds, sampled throughout each
 * rollout, not against what the workflow believes.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteMachineDeployment, machinesUpdate, patchMachineDeployment, planMachineDeploymentRollout, undoMachineDeployment } from '../../workflows/machine-deployment/definitions';
import {
  cloudMachines,
  machineDeploymentObject,
  readMachineDeployment,
  rolledOut,
  sampleCloud,
  setNodeConditions,
  startMachineDeployment,
  waitForMachineDeployment,
} from '../support/machine-deployments';
import { recordHistoryIfAsked } from '../support/histories';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ simCloud: { bootMs: 300, deleteMs: 150 } });
});
afterAll(async () => {
  await stack?.stop();
});

const now = () => new Date().toISOString();

describe('MachineDeployment workflow', () => {
  it('rolls 10 machines with maxSurge 2 and maxUnavailable 1 within both bounds, as the cloud sees it', { timeout: 120_000 }, async () => {
    const infraId = 'roll-a1b2c';
    const object = machineDeploymentObject('roll', { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } } });
    const handle = await startMachineDeployment(stack, object, infraId);
    await waitForMachineDeployment(handle, rolledOut);
    expect(await cloudMachines(stack, infraId)).toHaveLength(10);

    const sampler = sampleCloud(stack, infraId, 20);
    const { object: patched } = await handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { template: { spec: { infrastructure: { instanceType: 'm6i.xlarge' } } } } }] });
    expect(patched.metadata.generation).toBe(2);
    const done = await waitForMachineDeployment(handle, rolledOut, 90_000);
    const seen = await sampler.stop();

    expect(seen.samples).toBeGreaterThan(10);
    expect(seen.maxTotal).toBeLessThanOrEqual(12);
    expect(seen.minAvailable).toBeGreaterThanOrEqual(9);
    const machines = await cloudMachines(stack, infraId);
    expect(machines).toHaveLength(10);
    expect(machines.every((machine) => machine.instanceType === 'm6i.xlarge')).toBe(true);
    expect(new Set(machines.map((machine) => machine.name)).size).toBe(10);
    expect(done.status?.machineSets?.map((set) => set.revisionNumber)).toEqual([2, 1]);
    expect(done.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');

    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await handle.result();
    expect(await cloudMachines(stack, infraId)).toEqual([]);
    await recordHistoryIfAsked(handle, 'rollout', 'machine-deployment');
  });

  it('pauses, resumes, undoes to the previous revision, and previews a plan', { timeout: 120_000 }, async () => {
    const infraId = 'undo-a1b2c';
    const handle = await startMachineDeployment(stack, machineDeploymentObject('undo', { replicas: 3 }), infraId);
    await waitForMachineDeployment(handle, rolledOut);

    const plan = await handle.query(planMachineDeploymentRollout, { patch: { spec: { template: { spec: { version: 'v1.35.0' } } } }, bootSeconds: 60, drainSeconds: 30 });
    expect(plan.idealWaves).toBe(3);
    expect(plan.waves.filter((wave) => wave.create.length > 0)).toHaveLength(3);

    await handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { paused: true, template: { spec: { version: 'v1.35.0' } } } }] });
    await waitForMachineDeployment(handle, (object) => object.status?.observedGeneration === 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const paused = await readMachineDeployment(handle);
    expect(paused.status?.updatedReplicas).toBe(0);
    expect(paused.status?.conditions?.find((condition) => condition.type === 'Paused')?.status).toBe('True');

    await handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { paused: false } }] });
    const resumed = await waitForMachineDeployment(handle, rolledOut);
    expect(resumed.status?.revisionNumber).toBe(2);

    const { object: undone } = await handle.executeUpdate(undoMachineDeployment, { args: [{}] });
    expect(undone.spec.template.spec.version).toBe('v1.34.0');
    const back = await waitForMachineDeployment(handle, rolledOut);
    expect(back.status?.revisionNumber).toBe(1);

    const refused = await handle.executeUpdate(undoMachineDeployment, { args: [{ toRevision: 9 }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/no revision 9/);

    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await handle.result();
    expect(await cloudMachines(stack, infraId)).toEqual([]);
    await recordHistoryIfAsked(handle, 'pause-undo', 'machine-deployment');
  });

  it('OnDelete replaces only the machines the user deletes, from the new template', { timeout: 120_000 }, async () => {
    const infraId = 'ondel-a1b2c';
    const handle = await startMachineDeployment(stack, machineDeploymentObject('ondel', { replicas: 3, strategy: { type: 'OnDelete' } }), infraId);
    await waitForMachineDeployment(handle, rolledOut);
    await handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { template: { spec: { infrastructure: { instanceType: 'm6i.2xlarge' } } } } }] });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const untouched = await cloudMachines(stack, infraId);
    expect(untouched.filter((machine) => machine.instanceType === 'm6i.2xlarge')).toHaveLength(0);

    const victim = (await readMachineDeployment(handle)).status?.machines?.[0]?.name ?? '';
    await handle.executeUpdate(machinesUpdate, { args: [{ names: [victim], delete: true }] });
    await waitForMachineDeployment(handle, (object) => object.status?.updatedReplicas === 1 && object.status.availableReplicas === 3 && object.status.replicas === 3);
    const after = await cloudMachines(stack, infraId);
    expect(after).toHaveLength(3);
    expect(after.filter((machine) => machine.instanceType === 'm6i.2xlarge')).toHaveLength(1);

    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await handle.result();
  });

  it('remediates an unhealthy machine, and stops remediating when too many are unhealthy', { timeout: 120_000 }, async () => {
    const infraId = 'mhc-a1b2c';
    const healthCheck = { unhealthyConditions: [{ type: 'Ready', status: 'False', timeoutSeconds: 2 }], maxUnhealthy: 1, checkIntervalSeconds: 1 };
    const handle = await startMachineDeployment(stack, machineDeploymentObject('mhc', { replicas: 4, healthCheck }), infraId);
    await waitForMachineDeployment(handle, rolledOut);
    const [first, second, third] = await cloudMachines(stack, infraId);

    await setNodeConditions(stack, first?.id ?? '', { conditions: [{ type: 'Ready', status: 'False' }] });
    await waitForMachineDeployment(handle, (object) => rolledOut(object) && !object.status?.machines?.some((machine) => machine.providerID === `simulated://${first?.id}`), 60_000);
    expect((await cloudMachines(stack, infraId)).map((machine) => machine.id)).not.toContain(first?.id);

    // Both fail at the same recorded moment, a few seconds ahead, so that even on a starved machine
    // both changes are observed before either has been unhealthy for its timeout: the check can
    // never see one timed out without the other.
    const failedAt = new Date(Date.now() + 5_000).toISOString();
    await setNodeConditions(stack, second?.id ?? '', { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: failedAt }] });
    await setNodeConditions(stack, third?.id ?? '', { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: failedAt }] });
    const blocked = await waitForMachineDeployment(handle, (object) => object.status?.conditions?.find((condition) => condition.type === 'RemediationAllowed')?.status === 'False', 30_000);
    expect(blocked.status?.conditions?.find((condition) => condition.type === 'RemediationAllowed')?.message).toMatch(/unhealthy/);
    const ids = (await cloudMachines(stack, infraId)).map((machine) => machine.id);
    expect(ids).toContain(second?.id);
    expect(ids).toContain(third?.id);

    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await handle.result();
    expect(await cloudMachines(stack, infraId)).toEqual([]);
    await recordHistoryIfAsked(handle, 'health-check', 'machine-deployment');
  });

  it('refuses a strategy that could never make progress, before it reaches history', async () => {
    const handle = await startMachineDeployment(stack, machineDeploymentObject('refuse', { replicas: 0 }), 'refuse-a1b2c');
    const refused = await handle
      .executeUpdate(patchMachineDeployment, { args: [{ spec: { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } } }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/maxSurge and maxUnavailable cannot both be 0/);
    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await handle.result();
  });
});
