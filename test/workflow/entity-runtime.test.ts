/**
 * The entity runtime on the real stack: a missing credential is a waiting state that ends by
 * itself, no failure wedges an entity, a teardown never gives up (unless explicitly
 * abandoned), and owners are proven by uid.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../crds/schemas/common';
import { deleteClusterDeployment, patchClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { deleteMachineDeployment, ownerDeleteSignal, patchMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { cloudResources, clusterObject, isReady, liveMachines, startCluster, waitForCluster } from '../support/clusters';
import { cloudMachines, machineDeploymentObject, readMachineDeployment, rolledOut, startMachineDeployment, waitForMachineDeployment } from '../support/machine-deployments';
import { removeSecret as removeStackSecret, writeSimulatedSecret } from '../support/secrets';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ simCloud: { bootMs: 100, deleteMs: 50 } });
});
afterAll(async () => {
  await stack?.stop();
});

const now = () => new Date().toISOString();
const conditionOf = (conditions: readonly Condition[] | undefined, type: string) => conditions?.find((condition) => condition.type === type);

const writeSecret = (name: string) => writeSimulatedSecret(stack, name);
const removeSecret = (name: string) => removeStackSecret(stack, name);

async function refusal(promise: Promise<unknown>): Promise<{ type?: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause as { type?: string; message: string };
}

describe('missing credentials are a waiting state', () => {
  it('a MachineDeployment waits for its Secret to create, stays readable and patchable, and waits again to delete', { timeout: 120_000 }, async () => {
    const infraId = 'creds-a1b2c';
    const object = machineDeploymentObject('creds', { replicas: 2 });
    const handle = await startMachineDeployment(stack, object, infraId, {
      observeIntervalSeconds: 2,
      placement: { target: { platform: 'simulated', region: 'local-1', credentialsRef: { namespace: 'default', name: 'md-creds' } } },
    });
    const waiting = await waitForMachineDeployment(handle, (current) => conditionOf(current.status?.conditions, 'CredentialsReady')?.status === 'False');
    expect(conditionOf(waiting.status?.conditions, 'CredentialsReady')?.message).toMatch(/md-creds.*Slipway retries by itself/s);
    const { object: patched } = await handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { labels: { team: 'a' } } }] });
    expect(patched.metadata.labels).toEqual({ team: 'a' });
    expect(await cloudMachines(stack, infraId)).toEqual([]);

    await writeSecret('md-creds');
    const ready = await waitForMachineDeployment(handle, rolledOut, 60_000);
    expect(conditionOf(ready.status?.conditions, 'CredentialsReady')?.status).toBe('True');
    expect(await cloudMachines(stack, infraId)).toHaveLength(2);

    await removeSecret('md-creds');
    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    const stuck = await waitForMachineDeployment(handle, (current) => conditionOf(current.status?.conditions, 'CredentialsReady')?.status === 'False');
    expect(stuck.metadata.deletionTimestamp).toBeDefined();
    expect((await refusal(handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { labels: { team: 'b' } } }] }))).type).toBe('BeingDeleted');
    expect(await cloudMachines(stack, infraId)).toHaveLength(2);

    await writeSecret('md-creds');
    await handle.result();
    expect(await cloudMachines(stack, infraId)).toEqual([]);
  });
});

describe('teardown never gives up', () => {
  /** A Ready cluster whose credentials Secret is then removed and which is then deleted: its pool waits for the Secret. */
  async function deletedWithoutCredentials(name: string): Promise<{ handle: WorkflowHandle; pool: WorkflowHandle; infraId: string }> {
    await writeSecret(`${name}-creds`);
    const object = clusterObject(name, { platform: { simulated: { region: 'local-1', credentialsSecretRef: { name: `${name}-creds` } } }, controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] });
    const handle = await startCluster(stack, object);
    const ready = await waitForCluster(handle, isReady);
    await removeSecret(`${name}-creds`);
    await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: now() }] });
    const pool = stack.client.workflow.getHandle(entityWorkflowId('MachineDeployment', 'default', `${name}-worker`));
    await waitForMachineDeployment(pool, (current) => conditionOf(current.status?.conditions, 'CredentialsReady')?.status === 'False');
    return { handle, pool, infraId: ready.status?.infraID ?? '' };
  }

  it('waits with a Deleting condition while the credentials are gone, then finishes with nothing left', { timeout: 120_000 }, async () => {
    const { handle, infraId } = await deletedWithoutCredentials('td-wait');
    const deleting = await waitForCluster(handle, (current) => conditionOf(current.status?.conditions, 'Deleting')?.status === 'True');
    expect(conditionOf(deleting.status?.conditions, 'Deleting')?.message).toMatch(/deletePools/);
    expect(await liveMachines(stack, infraId)).toHaveLength(2);
    const refused = await refusal(handle.executeUpdate(patchClusterDeployment, { args: [{ metadata: { labels: { x: 'y' } } }] }));
    expect(refused.type).toBe('BeingDeleted');

    await writeSecret('td-wait-creds');
    await handle.result();
    expect(await cloudResources(stack, infraId)).toEqual([]);
  });

  it('is abandoned only by setting spec.preserveOnDelete, which keeps what is left and finishes', { timeout: 120_000 }, async () => {
    const { handle, pool, infraId } = await deletedWithoutCredentials('td-keep');
    const refused = await refusal(handle.executeUpdate(patchClusterDeployment, { args: [{ spec: { preserveOnDelete: true, compute: [] } }] }));
    expect(refused.type).toBe('BeingDeleted');

    await handle.executeUpdate(patchClusterDeployment, { args: [{ spec: { preserveOnDelete: true } }] });
    await handle.result();
    await pool.result();
    expect((await liveMachines(stack, infraId)).length).toBeGreaterThan(0);
  });
});

describe('the shared patch Update', () => {
  it('refuses annotations over 256 KiB, as Kubernetes does, before they reach history or the carried state', { timeout: 60_000 }, async () => {
    const handle = await startMachineDeployment(stack, machineDeploymentObject('heavy', { replicas: 0 }), 'heavy-a1b2c');
    await waitForMachineDeployment(handle, rolledOut);
    const refused = await refusal(handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { annotations: { 'example.com/blob': 'x'.repeat(300 * 1024) } } }] }));
    expect(refused.type).toBe('InvalidPatch');
    expect(refused.message).toMatch(/metadata\.annotations: .*262144/);
    const { object: accepted } = await handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { annotations: { 'example.com/note': 'small' } } }] });
    expect(accepted.metadata.annotations).toEqual({ 'example.com/note': 'small' });
    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await handle.result();
  });

  it('takes changes only from the side that owns the object, and moves the owner only through a handover', { timeout: 60_000 }, async () => {
    const object = machineDeploymentObject('sided', { replicas: 0 });
    const handle = await startMachineDeployment(stack, { ...object, metadata: { ...object.metadata, annotations: { 'slipway.dev/owner': 'kubernetes' } } }, 'sided-a1b2c');
    await waitForMachineDeployment(handle, rolledOut);
    const fromRest = await refusal(handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { replicas: 1 }, from: 'rest' }] }));
    expect(fromRest.type).toBe('OwnedByKubernetes');
    expect(fromRest.message).toContain('slipway handover md/sided --to rest');
    expect((await refusal(handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now(), from: 'rest' }] }))).type).toBe('OwnedByKubernetes');
    const grab = await refusal(handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { annotations: { 'slipway.dev/owner': 'rest' } }, from: 'kubernetes' }] }));
    expect(grab.type).toBe('InvalidPatch');
    expect((await readMachineDeployment(handle)).spec.replicas).toBe(0);

    // Sending the owner the object already has is no change of owner.
    const { object: fromKubernetes } = await handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { labels: { side: 'kubernetes' }, annotations: { 'slipway.dev/owner': 'kubernetes' } }, from: 'kubernetes' }] });
    expect(fromKubernetes.metadata.labels).toEqual({ side: 'kubernetes' });
    const { object: handed } = await handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { annotations: { 'slipway.dev/owner': 'rest' } }, handover: true }] });
    expect(handed.metadata.annotations?.['slipway.dev/owner']).toBe('rest');
    expect((await refusal(handle.executeUpdate(patchMachineDeployment, { args: [{ metadata: { labels: { side: 'kubernetes' } }, from: 'kubernetes' }] }))).type).toBe('OwnedByRest');
    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now(), from: 'rest' }] });
    await handle.result();
  });
});

describe('ownership by uid', () => {
  it('a cluster whose pool name another MachineDeployment holds says so and never touches it', { timeout: 120_000 }, async () => {
    const squatterInfra = 'squat-a1b2c';
    const squatter = machineDeploymentObject('owned-worker', { replicas: 1 });
    const squatterHandle = await startMachineDeployment(stack, squatter, squatterInfra, { observeIntervalSeconds: 2 });
    await waitForMachineDeployment(squatterHandle, rolledOut);

    // Nobody but its owner, proven by uid, may delete it by the owner's signal.
    await squatterHandle.signal(ownerDeleteSignal, { requestedAt: now(), ownerUid: 'not-the-owner' });
    const cluster = await startCluster(stack, clusterObject('owned', { controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] }));
    const blocked = await waitForCluster(cluster, (current) => conditionOf(current.status?.conditions, 'WorkersReady')?.reason === 'PoolNameTaken');
    expect(conditionOf(blocked.status?.conditions, 'WorkersReady')?.message).toMatch(/owned-worker already exists.*rename/);

    await cluster.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: now() }] });
    await cluster.result();
    expect(await cloudResources(stack, blocked.status?.infraID ?? '')).toEqual([]);
    const survivor = await readMachineDeployment(squatterHandle);
    expect(survivor.metadata.deletionTimestamp).toBeUndefined();
    expect(await cloudMachines(stack, squatterInfra)).toHaveLength(1);

    await squatterHandle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: now() }] });
    await squatterHandle.result();
  });

  it('deleting a cluster first deletes the standalone MachineDeployments that joined it, from inside its workflow', { timeout: 120_000 }, async () => {
    const cluster = await startCluster(stack, clusterObject('host', { controlPlane: { replicas: 1 }, compute: [] }));
    const ready = await waitForCluster(cluster, isReady);
    const infraId = ready.status?.infraID ?? '';
    const uid = ready.metadata.uid ?? '';
    const member = await startMachineDeployment(stack, machineDeploymentObject('guest', { clusterName: 'host', replicas: 2 }), infraId, {
      observeIntervalSeconds: 2,
      placement: { cluster: { kind: 'ClusterDeployment', name: 'host', uid, workflowId: cluster.workflowId } },
    });
    await waitForMachineDeployment(member, rolledOut);
    expect(await liveMachines(stack, infraId)).toHaveLength(3);

    await cluster.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: now() }] });
    await member.result();
    await cluster.result();
    expect(await cloudResources(stack, infraId)).toEqual([]);
  });
});
