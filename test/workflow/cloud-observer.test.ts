/**
 * The shared cloud observer on the time-skipping server: a settled MachineDeployment writes no
 * history, and its account is listed by one observer on a pace that slows while all stays quiet.
 * Each test gets a test server of its own, so an observer pass left in flight by one test cannot
 * hold the next one's clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { OBSERVE_JITTER } from '../../workflows/entity/timers';
import { DEFAULT_QUIET_POLL_MAX_SECONDS } from '../../workflows/planners/observer-pace';
import { deleteMachineDeployment, getMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { machineDeploymentObject, placementFor } from '../support/machine-deployments';
import { awaitCompletion, fakeCloud, startTimeSkippingEnvironment, withCloudWorker } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkippingEnvironment();
});
afterEach(async () => {
  await env?.teardown();
});

function startStandalone(taskQueue: string, managementId: string, name: string, spec: Record<string, unknown>, observeIntervalSeconds?: number) {
  return env.client.workflow.start('machineDeploymentWorkflow', {
    workflowId: `MachineDeployment/default/${name}`,
    taskQueue,
    args: [{ object: machineDeploymentObject(name, spec), managementId, placement: placementFor(`${name}-a1b2c`), ...(observeIntervalSeconds === undefined ? {} : { observeIntervalSeconds }) }],
  });
}

/** A loaded CI machine moves the test server's clock slowly: each step of simulated time is a round trip or more. */
const TEST_TIMEOUT_MS = 180_000;

describe('MachineDeployments on the time-skipping server', () => {
  it('a settled MachineDeployment adds no history events, and its account is listed once per interval, not once per object', async () => {
    const cloud = fakeCloud(env, (_infraId, machineName) => ({ providerId: `stub://${machineName}`, phase: 'running' }));
    await withCloudWorker(env, cloud, cloud.activities, async (taskQueue) => {
      const settledPollSeconds = 30;
      const handles = await Promise.all(['quiet-a', 'quiet-b', 'quiet-c'].map((name) => startStandalone(taskQueue, cloud.managementId, name, { replicas: 2 }, settledPollSeconds)));
      await env.sleep('2m');
      for (const handle of handles) expect((await handle.query(getMachineDeployment)).object.status?.availableReplicas).toBe(2);

      const lengths = await Promise.all(handles.map(async (handle) => (await handle.fetchHistory()).events?.length ?? 0));
      const passesBefore = cloud.passes();
      await env.sleep('1m');
      expect(await Promise.all(handles.map(async (handle) => (await handle.fetchHistory()).events?.length ?? 0))).toEqual(lengths);
      // One observer for the three: a pass per settled interval (and one in flight), whatever the number of objects.
      expect(cloud.passes() - passesBefore).toBeGreaterThanOrEqual(1);
      expect(cloud.passes() - passesBefore).toBeLessThanOrEqual(60 / settledPollSeconds + 1);

      await Promise.all(handles.map((handle) => handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: new Date().toISOString() }] })));
      await awaitCompletion(env, handles);
      expect(cloud.machines.size).toBe(0);
    });
  }, TEST_TIMEOUT_MS);

  it('with the default interval, a quiet fleet is listed less and less often, down to once per quiet ceiling', async () => {
    const cloud = fakeCloud(env, (_infraId, machineName) => ({ providerId: `stub://${machineName}`, phase: 'running' }));
    await withCloudWorker(env, cloud, cloud.activities, async (taskQueue) => {
      const handles = await Promise.all(['idle-a', 'idle-b'].map((name) => startStandalone(taskQueue, cloud.managementId, name, { replicas: 1 })));
      await env.sleep('2m');
      for (const handle of handles) expect((await handle.query(getMachineDeployment)).object.status?.availableReplicas).toBe(1);

      const lengths = await Promise.all(handles.map(async (handle) => (await handle.fetchHistory()).events?.length ?? 0));
      const passesBefore = cloud.passes();
      await env.sleep('30m');
      expect(await Promise.all(handles.map(async (handle) => (await handle.fetchHistory()).events?.length ?? 0))).toEqual(lengths);
      // At the settled 30 s this would be 60 passes. Doubling from there to the 300 s ceiling
      // (give or take the jitter) makes at most the ramp's few and one per 240 s after it.
      const passes = cloud.passes() - passesBefore;
      expect(passes).toBeGreaterThanOrEqual(1800 / (DEFAULT_QUIET_POLL_MAX_SECONDS * (1 + OBSERVE_JITTER)) - 1);
      expect(passes).toBeLessThanOrEqual(4 + 1800 / (DEFAULT_QUIET_POLL_MAX_SECONDS * (1 - OBSERVE_JITTER)) + 1);

      await Promise.all(handles.map((handle) => handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: new Date().toISOString() }] })));
      await awaitCompletion(env, handles);
      expect(cloud.machines.size).toBe(0);
    });
  }, TEST_TIMEOUT_MS);
});
