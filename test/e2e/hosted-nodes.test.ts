/**
 * NodePool machines on the simulated provider are real Nodes: the createMachine activity gives a
 * hosted cluster's machine its join credentials, the simulated cloud (as its kubelet) registers
 * the Node in the hosted API server run by the supervisor, renews its Lease, and keeps its Ready
 * condition following the machine, until the machine is deleted. listHostedNodes reads them back
 * through @kubernetes/client-node. The credential never shows in what the cloud lists.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapterResolver } from '../../services/worker/adapters';
import { createClusterActivities } from '../../services/worker/cluster-activities';
import { createControlPlaneActivities } from '../../services/worker/control-plane-activities';
import { fileSecretStore } from '../../services/worker/secrets';
import { cloudMachineName } from '../../workflows/planners/names';
import type { ControlPlaneActivities, HostedNode } from '../../workflows/hosted-cluster/control-plane-api';
import type { CreateMachineInput } from '../../workflows/entity/activities-api';
import { eventually, sleep } from '../support/async-checks';
import { startTestStack, type TestStack } from '../support/stack';
import { CONTROL_PLANE_STARTUP_MS } from '../support/supervisor';

const ref = { namespace: 'default', name: 'nodes-hc', uid: '7a2b3c4d-3333-4000-8000-000000000001' };
const HEARTBEAT_MS = 300;
const pool = 'workers';

describe('hosted Nodes from simulated machines', { timeout: 3 * CONTROL_PLANE_STARTUP_MS }, () => {
  let stack: TestStack | undefined;
  let controlPlanes: ControlPlaneActivities;
  let clusterActivities: ReturnType<typeof createClusterActivities>;
  const machine = (machineName: string): CreateMachineInput => ({
    target: { platform: 'simulated', region: 'local' },
    infraId: 'nodes-hc-0123456789',
    workflowId: `NodePool/default/${pool}`,
    uid: 'pool-uid',
    machineName,
    attempt: 0,
    managementId: 'test',
    role: 'worker',
    pool,
    instanceType: 'small',
    image: 'rhcos',
    hostedCluster: ref,
  });
  const nodes = () => controlPlanes.listHostedNodes({ ref, nodePool: pool });
  const nodeOf = (list: HostedNode[], machineName: string) => list.find((node) => node.machineName === machineName);
  const cloud = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, stack!.simCloud.url), { ...init, headers: { authorization: `Bearer ${stack!.simCloud.apiKey}`, 'content-type': 'application/json' } });
    return response.text();
  };

  beforeAll(async () => {
    stack = await startTestStack({ supervisor: true, inProcessWorker: false, simCloud: { bootMs: 500, deleteMs: 1_000, kubeletHeartbeatMs: HEARTBEAT_MS } });
    const secrets = fileSecretStore(join(stack.home, 'secrets'));
    controlPlanes = createControlPlaneActivities({ secrets, supervisor: stack.supervisor!.client });
    clusterActivities = createClusterActivities({ adapters: createAdapterResolver({ secrets, simCloudUrl: stack.simCloud.url, simulatedApiKey: stack.simCloud.apiKey }), hostedSecrets: secrets });
    const names = await controlPlanes.ensureHostedPki({ ref });
    await controlPlanes.ensureControlPlane({ ref, placement: 'local', kubernetesVersion: '1.34.2', secrets: names });
    await eventually(() => controlPlanes.describeControlPlane({ ref, placement: 'local' }), (status) => status.kubeAPIServer.available, CONTROL_PLANE_STARTUP_MS, 500);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('registers a Ready Node with a Lease heartbeat once the machine boots, labelled with its machine and pool', async () => {
    const created = await clusterActivities.createMachine(machine('workers-0'));
    expect(created.providerId).toMatch(/^simulated:\/\//);
    const first = await eventually(nodes, (list) => nodeOf(list, 'workers-0')?.ready === 'True' && nodeOf(list, 'workers-0')?.lastHeartbeat !== undefined, 30_000, 200);
    expect(nodeOf(first, 'workers-0')).toEqual({ name: cloudMachineName('nodes-hc-0123456789', 'workers-0'), ready: 'True', reason: 'KubeletReady', lastHeartbeat: expect.any(String), machineName: 'workers-0' });
    // The Lease is renewed: a later read sees a later heartbeat.
    const heartbeat = nodeOf(first, 'workers-0')!.lastHeartbeat!;
    const later = await eventually(nodes, (list) => (nodeOf(list, 'workers-0')?.lastHeartbeat ?? '') > heartbeat, 30_000, 200);
    expect(nodeOf(later, 'workers-0')!.lastHeartbeat! > heartbeat).toBe(true);
    expect(await controlPlanes.listHostedNodes({ ref, nodePool: 'other-pool' })).toEqual([]);
  });

  it('never shows the join credential in what the cloud lists', async () => {
    const listed = `${await cloud('/v1/machines')} ${await cloud('/admin/resources')}`;
    expect(listed).toContain('workers-0');
    expect(listed).not.toMatch(/BEGIN|kubeconfig|bootstrap/);
  });

  it("follows the machine's node report: Ready False when the machine says its node is not ready", async () => {
    const id = (await stack!.simCloud.adapter.describeMachine(cloudMachineName('nodes-hc-0123456789', 'workers-0')))!.providerId.replace('simulated://', '');
    await cloud(`/admin/machines/${id}/node`, { method: 'PUT', body: JSON.stringify({ conditions: [{ type: 'Ready', status: 'False' }] }) });
    const list = await eventually(nodes, (current) => nodeOf(current, 'workers-0')?.ready === 'False', 30_000, 200);
    expect(nodeOf(list, 'workers-0')).toMatchObject({ ready: 'False', reason: 'KubeletNotReady' });
  });

  it('reports a deleted machine not ready, then stops: a deleted Node does not come back', async () => {
    await clusterActivities.createMachine(machine('workers-1'));
    await eventually(nodes, (list) => nodeOf(list, 'workers-1')?.ready === 'True', 30_000, 200);
    const name = cloudMachineName('nodes-hc-0123456789', 'workers-1');
    const described = await stack!.simCloud.adapter.describeMachine(name);
    await stack!.simCloud.adapter.deleteMachine(described!.providerId);
    const stopping = await eventually(nodes, (list) => nodeOf(list, 'workers-1')?.reason === 'MachineStopping', 30_000, 200);
    expect(nodeOf(stopping, 'workers-1')?.ready).toBe('False');
    await eventually(async () => stack!.simCloud.adapter.describeMachine(name), (current) => current === undefined, 30_000, 200);

    await controlPlanes.deleteHostedNode({ ref, nodeName: name });
    // Several heartbeats later the kubelet of the gone machine has not registered it again.
    await sleep(5 * HEARTBEAT_MS);
    expect(nodeOf(await nodes(), 'workers-1')).toBeUndefined();
    expect(nodeOf(await nodes(), 'workers-0')).toBeDefined();
  });
});
