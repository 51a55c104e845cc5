/**
 * Kubernetes placement against a real kube-apiserver 1.34 (test/support/kube-apiserver.ts): the
 * control plane is applied with server-side apply, applying again changes nothing, a field
 * someone else changed is taken back, and delete removes every object. This management cluster
 * has no kubelet and no controllers, so no pod ever runs: the tests check the objects and the
 * status they give (0 of 1 replicas ready), not running pods.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlaneActivities } from '../../services/worker/control-plane-activities';
import { controlPlaneNamespace } from '../../services/worker/hosted-names';
import { readHostedAdminKubeconfig } from '../../services/worker/hosted-secrets';
import { FIELD_MANAGER } from '../../services/worker/hosted-kubernetes';
import { apiServerServiceURL } from '../../services/worker/hosted-control-plane-manifests';
import { fileSecretStore } from '../../services/worker/secrets';
import type { ControlPlaneActivities } from '../../workflows/hosted-cluster/control-plane-api';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';
import { kubeConfigFromYaml } from '../support/supervisor';

const ref = { namespace: 'default', name: 'placed', uid: 'c3d4e5f6-5555-4000-8000-000000000001' };
const placement = 'kubernetes' as const;
const namespace = controlPlaneNamespace(ref);

const statusOf = async (call: Promise<unknown>) =>
  call.then(
    () => 200,
    (error: unknown) => (error instanceof ApiException ? error.code : String(error)),
  );

describe('kubernetes placement on a real kube-apiserver', { timeout: 240_000 }, () => {
  let kube: KubeApiServer | undefined;
  let home: string;
  let activities: ControlPlaneActivities;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'slipway-placement-'));
    kube = await startKubeApiServer();
    core = kube.kubeConfig.makeApiClient(CoreV1Api);
    apps = kube.kubeConfig.makeApiClient(AppsV1Api);
    activities = createControlPlaneActivities({ secrets: fileSecretStore(join(home, 'secrets')), managementCluster: kube.kubeConfig });
  });
  afterAll(async () => {
    await kube?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('applies the namespace, Secrets, etcd StatefulSet, kube-apiserver Deployment and Services, owned by slipway', async () => {
    const names = await activities.ensureHostedPki({ ref });
    const status = await activities.ensureControlPlane({ ref, placement, kubernetesVersion: '1.34.2', secrets: names });
    // No kubelet in this management cluster: the workloads exist and report no ready replica.
    expect(status).toEqual({
      etcd: { available: false, message: `etcd StatefulSet ${namespace}/etcd has 0 of 1 replicas ready` },
      kubeAPIServer: { available: false, message: `kube-apiserver Deployment ${namespace}/kube-apiserver has 0 of 1 replicas ready` },
      apiServerURL: apiServerServiceURL(ref),
    });
    expect(await activities.describeControlPlane({ ref, placement })).toEqual(status);

    const deployment = await apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace });
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('registry.k8s.io/kube-apiserver:v1.34.2');
    expect(deployment.metadata?.managedFields?.map((entry) => [entry.manager, entry.operation])).toContainEqual([FIELD_MANAGER, 'Apply']);
    expect((await apps.readNamespacedStatefulSet({ name: 'etcd', namespace })).spec?.serviceName).toBe('etcd');
    expect((await core.readNamespacedService({ name: 'kube-apiserver', namespace })).spec?.ports?.[0]?.port).toBe(6443);
    expect((await core.readNamespacedService({ name: 'etcd', namespace })).spec?.clusterIP).toBe('None');
    const pki = await core.readNamespacedSecret({ name: 'control-plane-pki', namespace });
    expect(Object.keys(pki.data ?? {}).sort()).toEqual(['apiserver.crt', 'apiserver.key', 'ca.crt', 'sa.key', 'sa.pub']);
    const kubeconfigSecret = await core.readNamespacedSecret({ name: 'admin-kubeconfig', namespace });
    const rendered = kubeConfigFromYaml(Buffer.from(kubeconfigSecret.data?.kubeconfig ?? '', 'base64').toString());
    expect(rendered.getCurrentCluster()?.server).toBe(apiServerServiceURL(ref));
    // The admin kubeconfig in Slipway's own store names the same address.
    expect(kubeConfigFromYaml(await readHostedAdminKubeconfig(fileSecretStore(join(home, 'secrets')), ref)).getCurrentCluster()?.server).toBe(apiServerServiceURL(ref));
  });

  it('changes nothing when applied again, and takes back a field someone else changed', async () => {
    const names = await activities.ensureHostedPki({ ref });
    const before = await apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace });
    await activities.ensureControlPlane({ ref, placement, kubernetesVersion: '1.34.2', secrets: names });
    const after = await apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);

    await apps.patchNamespacedDeployment({ name: 'kube-apiserver', namespace, body: { spec: { replicas: 3 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect((await apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace })).spec?.replicas).toBe(3);
    await activities.ensureControlPlane({ ref, placement, kubernetesVersion: '1.34.2', secrets: names });
    expect((await apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace })).spec?.replicas).toBe(1);
  });

  it('rolls the kube-apiserver image to a new version', async () => {
    const names = await activities.ensureHostedPki({ ref });
    await activities.ensureControlPlane({ ref, placement, kubernetesVersion: '1.34.3', secrets: names });
    expect((await apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace })).spec?.template.spec?.containers[0]?.image).toBe('registry.k8s.io/kube-apiserver:v1.34.3');
  });

  it('deletes every object and the namespace, and the secrets; a second delete is fine', async () => {
    await activities.deleteControlPlane({ ref, placement });
    await activities.deleteControlPlane({ ref, placement });
    expect(await statusOf(apps.readNamespacedDeployment({ name: 'kube-apiserver', namespace }))).toBe(404);
    expect(await statusOf(apps.readNamespacedStatefulSet({ name: 'etcd', namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedService({ name: 'kube-apiserver', namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedService({ name: 'etcd', namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedSecret({ name: 'control-plane-pki', namespace }))).toBe(404);
    expect(await statusOf(core.readNamespacedSecret({ name: 'admin-kubeconfig', namespace }))).toBe(404);
    // No namespace controller runs here to finish the delete: the namespace is Terminating (a real cluster then removes it).
    const left = await core.readNamespace({ name: namespace }).catch(() => undefined);
    expect(left === undefined || left.metadata?.deletionTimestamp !== undefined).toBe(true);
    const gone = await readHostedAdminKubeconfig(fileSecretStore(join(home, 'secrets')), ref).catch((error: unknown) => error);
    expect((gone as { type?: string }).type).toBe('ControlPlaneNotReady');
  });
});
