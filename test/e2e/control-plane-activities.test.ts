/**
 * The worker's control-plane activities against a real supervisor running real etcd and
 * kube-apiserver processes: PKI once, a control plane that answers, Nodes read back with their
 * Lease heartbeats, and a delete that leaves nothing. No key or kubeconfig is ever in what an
 * activity returns (that is what reaches workflow history).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, PatchStrategy, V1MicroTime, setHeaderOptions } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_LEASE_NAMESPACE } from '../../providers/hosted-node';
import { createControlPlaneActivities } from '../../services/worker/control-plane-activities';
import { createAutoscalingActivities } from '../../services/worker/hosted-autoscaling-activities';
import { machineBootstrap } from '../../services/worker/hosted-bootstrap';
import { readHostedAdminKubeconfig } from '../../services/worker/hosted-secrets';
import { fileSecretStore } from '../../services/worker/secrets';
import type { ControlPlaneActivities, ControlPlaneStatus } from '../../workflows/hosted-cluster/control-plane-api';
import { eventually } from '../support/async-checks';
import { CONTROL_PLANE_STARTUP_MS, kubeConfigFromYaml, startTestSupervisor, stopTestSupervisor, type TestSupervisor } from '../support/supervisor';

const ref = { namespace: 'default', name: 'activities-cp', uid: '9d1c7e00-2222-4000-8000-000000000001' };
const placement = 'local' as const;

/** What an activity returns must never carry key material: it lands in workflow history. */
function expectNoSecrets(result: unknown): void {
  const text = JSON.stringify(result ?? null);
  expect(text).not.toMatch(/BEGIN|PRIVATE|client-key|certificate-authority-data/);
}

const available = (status: ControlPlaneStatus) => status.etcd.available && status.kubeAPIServer.available;

describe('control-plane activities on the supervisor', { timeout: 3 * CONTROL_PLANE_STARTUP_MS }, () => {
  let home: string;
  let supervisor: TestSupervisor | undefined;
  let activities: ControlPlaneActivities;
  const secrets = () => fileSecretStore(join(home, 'secrets'));

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'slipway-cp-activities-'));
    supervisor = await startTestSupervisor(home);
    activities = createControlPlaneActivities({ secrets: secrets(), supervisor: supervisor.client });
  });
  afterAll(async () => {
    await stopTestSupervisor(supervisor);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('starts a control plane that reports its version, from the PKI made once', async () => {
    const names = await activities.ensureHostedPki({ ref });
    expect(await activities.ensureHostedPki({ ref })).toEqual(names);
    expectNoSecrets(names);
    expect(await activities.describeControlPlane({ ref, placement })).toEqual({
      etcd: { available: false, message: 'the control plane has not been started' },
      kubeAPIServer: { available: false, message: 'the control plane has not been started' },
    });

    const ensured = await activities.ensureControlPlane({ ref, placement, kubernetesVersion: '1.34.2', secrets: names });
    expectNoSecrets(ensured);
    expect(ensured.apiServerURL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await eventually(() => activities.describeControlPlane({ ref, placement }), available, CONTROL_PLANE_STARTUP_MS, 500);
    expect(status).toEqual({ etcd: { available: true }, kubeAPIServer: { available: true }, apiServerURL: ensured.apiServerURL, version: 'v1.34.2' });
    expectNoSecrets(status);
    // The admin kubeconfig now names the server and answers.
    const core = kubeConfigFromYaml(await readHostedAdminKubeconfig(secrets(), ref)).makeApiClient(CoreV1Api);
    expect((await core.readNamespace({ name: 'kube-node-lease' })).metadata?.name).toBe('kube-node-lease');
  });

  it('says a version this stack cannot run is the problem, without failing', async () => {
    const other = { ...ref, name: 'too-new', uid: '9d1c7e00-2222-4000-8000-000000000002' };
    const names = await activities.ensureHostedPki({ ref: other });
    const status = await activities.ensureControlPlane({ ref: other, placement, kubernetesVersion: '1.35.0', secrets: names });
    expect(status.kubeAPIServer.available).toBe(false);
    expect(status.kubeAPIServer.message).toContain('runs kube-apiserver v1.34.2 only');
    await activities.deleteControlPlane({ ref: other, placement });
  });

  it("reads a node pool's Nodes, registered with a machine credential, with their Lease heartbeat; and deletes them", async () => {
    // A machine's own credential (what the simulated kubelet gets): the Node authorizer lets it register itself.
    const bootstrap = await machineBootstrap(secrets(), ref, { nodeName: 'workers-abc12', machineName: 'workers-0', nodePool: 'workers' });
    expectNoSecrets({ labels: bootstrap.labels, nodeName: bootstrap.nodeName });
    const kubelet = kubeConfigFromYaml(bootstrap.kubeconfig);
    const renewTime = new V1MicroTime('2026-12-06T10:00:00.000000Z');
    await kubelet.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: bootstrap.nodeName, labels: { ...bootstrap.labels } } } });
    await kubelet.makeApiClient(CoreV1Api).patchNodeStatus(
      { name: bootstrap.nodeName, body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await kubelet.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: NODE_LEASE_NAMESPACE, body: { metadata: { name: bootstrap.nodeName }, spec: { holderIdentity: bootstrap.nodeName, leaseDurationSeconds: 40, renewTime } } });
    // ...and no other Node: the Node authorizer refuses a name that is not its own.
    const refused = await kubelet.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name: 'someone-else' } } }).then(() => 'created', (error: unknown) => String(error));
    expect(refused).toMatch(/403|forbidden/i);

    const nodes = await activities.listHostedNodes({ ref, nodePool: 'workers' });
    expect(nodes).toEqual([{ name: 'workers-abc12', ready: 'True', reason: 'KubeletReady', lastHeartbeat: '2026-12-06T10:00:00.000Z', machineName: 'workers-0' }]);
    expect(await activities.listHostedNodes({ ref, nodePool: 'infra' })).toEqual([]);

    await activities.deleteHostedNode({ ref, nodeName: 'workers-abc12' });
    await activities.deleteHostedNode({ ref, nodeName: 'workers-abc12' });
    expect(await activities.listHostedNodes({ ref, nodePool: 'workers' })).toEqual([]);
    const admin = kubeConfigFromYaml(await readHostedAdminKubeconfig(secrets(), ref));
    expect((await admin.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE })).items.map((lease) => lease.metadata?.name)).not.toContain('workers-abc12');
  });

  it("reads the autoscaler's input from the hosted API server: what a Node offers, Pods waiting for one, and the pool's empty Nodes", async () => {
    const admin = kubeConfigFromYaml(await readHostedAdminKubeconfig(secrets(), ref));
    const core = admin.makeApiClient(CoreV1Api);
    const labels = { 'slipway.dev/node-pool': 'scaled', 'slipway.dev/machine': '' };
    for (const name of ['scaled-a', 'scaled-b']) {
      await core.createNode({ body: { metadata: { name, labels: { ...labels, 'slipway.dev/machine': name } } } });
      await core.patchNodeStatus({ name, body: { status: { allocatable: { cpu: '2', memory: '8Gi', pods: '110' }, capacity: { cpu: '2', memory: '8Gi', pods: '110' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    // No controller-manager runs here to make the namespace's default ServiceAccount.
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'default' } } }).catch(() => undefined);
    const container = (cpu: string, memory: string) => [{ name: 'main', image: 'registry.example/app:1', resources: { requests: { cpu, memory } } }];
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'runs-on-a' }, spec: { nodeName: 'scaled-a', automountServiceAccountToken: false, containers: container('100m', '64Mi') } } });
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'daemon-on-b', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: '9d1c7e00-3333-4000-8000-000000000001' }] }, spec: { nodeName: 'scaled-b', automountServiceAccountToken: false, containers: container('10m', '16Mi') } },
    });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'waits' }, spec: { automountServiceAccountToken: false, containers: container('1500m', '1Gi') } } });

    const observation = await createAutoscalingActivities({ secrets: secrets() }).readAutoscalingInput({ ref, nodePool: 'scaled' });
    expectNoSecrets(observation);
    expect(observation.nodeAllocatable).toEqual({ cpu: 2000, memoryBytes: 8 * 2 ** 30 });
    expect(observation.pendingPods.map((pod) => ({ name: pod.name, requests: pod.requests }))).toEqual([{ name: 'default/waits', requests: { cpu: 1500, memoryBytes: 2 ** 30 } }]);
    expect(observation.nodes.map((node) => [node.name, node.machineName, node.empty]).sort()).toEqual([
      ['scaled-a', 'scaled-a', false],
      ['scaled-b', 'scaled-b', true],
    ]);
  });

  it('deletes the control plane and its secrets, and a second delete is fine', async () => {
    const before = await supervisor!.client.describe((await supervisor!.client.list())[0]?.key ?? '');
    expect(before).toBeDefined();
    await activities.deleteControlPlane({ ref, placement });
    await activities.deleteControlPlane({ ref, placement });
    expect(await supervisor!.client.list()).toEqual([]);
    expect((await activities.describeControlPlane({ ref, placement })).kubeAPIServer.available).toBe(false);
    const gone = await readHostedAdminKubeconfig(secrets(), ref).catch((error: unknown) => error);
    expect((gone as ApplicationFailure).type).toBe('ControlPlaneNotReady');
  });
});
