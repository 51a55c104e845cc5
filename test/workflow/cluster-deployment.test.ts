import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterDeployment, patchClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { PROTECTED_DELETE_ANNOTATION } from '../../workflows/entity/handlers';
import { cloudResources, clusterObject, conditionStatus, isReady, liveMachines, startCluster, waitForCluster } from '../support/clusters';
import { recordHistoryIfAsked } from '../support/histories';
import { startTestStack, type TestStack } from '../support/stack';

/** History as text with every payload decoded, so a secret inside a payload would show. */
function historyText(history: unknown): string {
  const json = JSON.stringify(history);
  const payloads = [...json.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((match) => Buffer.from(match[1] ?? '', 'base64').toString('utf8'));
  expect(payloads.length).toBeGreaterThan(10);
  return `${json}\n${payloads.join('\n')}`;
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ simCloud: { bootMs: 200, deleteMs: 100 } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('ClusterDeployment workflow on the simulated cloud', () => {
  it('provisions infrastructure, control plane and workers, scales workers, and deletes without leaks', { timeout: 120_000 }, async () => {
    const handle = await startCluster(stack, clusterObject('alpha'));
    const ready = await waitForCluster(handle, isReady);
    const infraId = ready.status?.infraID ?? '';
    expect(infraId).toMatch(/^alpha-[a-z0-9]{10}$/);
    expect(ready.status).toMatchObject({
      apiURL: 'https://api.alpha.example.test:6443',
      platform: 'simulated',
      region: 'local-1',
      provisionStatus: 'Provisioned',
      controlPlane: { replicas: 3, readyReplicas: 3 },
      workerPools: [{ name: 'worker', replicas: 3, readyReplicas: 3 }],
    });
    expect(ready.status?.installedTimestamp).toBeDefined();
    expect(await liveMachines(stack, infraId)).toHaveLength(6);
    const kinds = new Set((await cloudResources(stack, infraId)).map((resource) => resource.kind));
    expect(kinds).toEqual(new Set(['machine', 'network', 'securityGroup', 'loadBalancer', 'dnsRecord']));

    const { object: scaled } = await handle.executeUpdate(patchClusterDeployment, { args: [{ spec: { compute: [{ name: 'worker', replicas: 5 }] } }] });
    expect(scaled.metadata.generation).toBe(2);
    await waitForCluster(handle, (object) => isReady(object) && object.status?.workerPools?.[0]?.readyReplicas === 5);
    expect(await liveMachines(stack, infraId)).toHaveLength(8);

    await handle.executeUpdate(patchClusterDeployment, { args: [{ spec: { compute: [{ name: 'worker', replicas: 1 }] } }] });
    const shrunk = await waitForCluster(handle, (object) => isReady(object) && object.status?.workerPools?.[0]?.updatedReplicas === 1);
    const workers = shrunk.status?.machines?.filter((machine) => machine.role === 'worker') ?? [];
    expect(workers).toHaveLength(1);
    expect(workers[0]?.name).toMatch(/^alpha-worker-[0-9a-z]+-[0-9]+$/);
    expect(await liveMachines(stack, infraId)).toHaveLength(4);

    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
    expect(await cloudResources(stack, infraId)).toEqual([]);
    // The worker resolved the cloud's key inside its activities; history only ever saw references.
    expect(stack.simCloud.apiKey).toBeTruthy();
    const text = historyText(await handle.fetchHistory());
    expect(text).toContain('"clusterName":"alpha"'); // payloads really were decoded
    expect(text).not.toContain(stack.simCloud.apiKey);
    await recordHistoryIfAsked(handle, 'lifecycle');
  });

  it('refuses an invalid patch before it reaches history', async () => {
    const handle = await startCluster(stack, clusterObject('bravo', { compute: [{ name: 'worker', replicas: 1 }], controlPlane: { replicas: 1 } }));
    await waitForCluster(handle, isReady);
    // Ready is published by a local activity whose workflow task may still be closing.
    let historyBefore = -1;
    for (let stableReads = 0; stableReads < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const length = (await handle.fetchHistory()).events?.length ?? 0;
      stableReads = length === historyBefore ? stableReads + 1 : 0;
      historyBefore = length;
    }

    const refused = await handle
      .executeUpdate(patchClusterDeployment, { args: [{ spec: { clusterName: 'renamed', compute: [{ name: 'worker', replicas: 'many' }] } }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refused as WorkflowUpdateFailedError).cause as { type?: string; message: string } | undefined;
    expect(cause?.type).toBe('InvalidPatch');
    expect(cause?.message).toMatch(/spec\.clusterName/);
    expect(cause?.message).toMatch(/spec\.compute\[0\]\.replicas/);

    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.length).toBe(historyBefore);
    expect(JSON.stringify(events)).not.toContain('renamed');
    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
  });

  it('blocks deletion while the protected-delete annotation is set', async () => {
    const object = clusterObject('charlie', { compute: [{ name: 'worker', replicas: 0 }], controlPlane: { replicas: 1 } });
    object.metadata.annotations = { [PROTECTED_DELETE_ANNOTATION]: 'true' };
    const handle = await startCluster(stack, object);
    const ready = await waitForCluster(handle, isReady);

    const refused = await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] }).catch((error: unknown) => error);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'DeletionProtected' });
    expect(((refused as WorkflowUpdateFailedError).cause as Error).message).toMatch(/Remove the annotation/);
    expect(await liveMachines(stack, ready.status?.infraID ?? '')).toHaveLength(1);

    await handle.executeUpdate(patchClusterDeployment, { args: [{ metadata: { annotations: { [PROTECTED_DELETE_ANNOTATION]: null } } }] });
    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
    expect(await cloudResources(stack, ready.status?.infraID ?? '')).toEqual([]);
    await recordHistoryIfAsked(handle, 'protected-delete');
  });

  it('cancels provisioning when deleted mid-way and leaves nothing behind', async () => {
    const handle = await startCluster(stack, clusterObject('delta'));
    const midway = await waitForCluster(handle, (object) => (object.status?.machines?.length ?? 0) > 0);
    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
    expect(await cloudResources(stack, midway.status?.infraID ?? '')).toEqual([]);
    await recordHistoryIfAsked(handle, 'delete-mid-provision');
  });
});

describe('install attempts', () => {
  let failing: TestStack;
  beforeAll(async () => {
    failing = await startTestStack({ simCloud: { bootMs: 50, deleteMs: 20, bootFailureRate: 1 } });
  });
  afterAll(async () => {
    await failing?.stop();
  });

  it('cleans up each failed attempt, records it, and stops at installAttemptsLimit', async () => {
    const handle = await startCluster(failing, clusterObject('echo', { installAttemptsLimit: 2, controlPlane: { replicas: 1 } }));
    const failed = await waitForCluster(handle, (object) => object.status?.provisionStatus === 'ProvisionFailed');
    expect(failed.status?.installAttempts?.map((attempt) => attempt.outcome)).toEqual(['Failed', 'Failed']);
    expect(failed.status?.installAttempts?.[0]?.message).toMatch(/failed instead of running/);
    expect(failed.status?.installRestarts).toBe(1);
    expect(conditionStatus(failed, 'Ready')).toBe('False');
    expect(await cloudResources(failing, failed.status?.infraID ?? '')).toEqual([]);
    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
    await recordHistoryIfAsked(handle, 'failed-attempts');
  });
});

describe('continue-as-new', () => {
  it('starts a fresh run when history grows, carrying every machine and the install record', async () => {
    const object = clusterObject('foxtrot', { controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] });
    const handle = await stack.client.workflow.start('clusterDeploymentWorkflow', {
      workflowId: `ClusterDeployment/default/foxtrot-${stack.id}`,
      taskQueue: stack.taskQueue,
      args: [{ object, managementId: stack.managementId, continueAsNewAfterEvents: 40 }],
    });
    const ready = await waitForCluster(handle, isReady);
    const firstRun = (await handle.describe()).runId;
    for (const replicas of [2, 1, 2]) {
      await handle.executeUpdate(patchClusterDeployment, { args: [{ spec: { compute: [{ name: 'worker', replicas }] } }] });
      await waitForCluster(handle, (current) => isReady(current) && current.status?.workerPools?.[0]?.replicas === replicas);
    }
    const deadline = Date.now() + 30_000;
    while ((await handle.describe()).runId === firstRun && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await handle.describe()).runId).not.toBe(firstRun);

    const carried = await waitForCluster(handle, isReady);
    expect(carried.status?.installedTimestamp).toBe(ready.status?.installedTimestamp);
    expect(carried.status?.infraID).toBe(ready.status?.infraID);
    expect(carried.metadata.generation).toBe(4);
    expect(await liveMachines(stack, ready.status?.infraID ?? '')).toHaveLength(3);

    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
    expect(await cloudResources(stack, ready.status?.infraID ?? '')).toEqual([]);
  });
});
