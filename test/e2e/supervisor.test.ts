/**
 * The dev stack's supervisor with real etcd 3.6 and kube-apiserver 1.34 processes: a control
 * plane started with a hosted cluster's own PKI answers its admin kubeconfig (and only a client
 * that trusts that CA), comes back after its kube-apiserver or the supervisor itself is killed
 * with SIGKILL, and leaves no process, port or file behind once deleted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portIsFree } from '../../infra/processes';
import type { ControlPlaneReport } from '../../services/supervisor/control-plane';
import { controlPlaneFolders, type ControlPlaneFiles } from '../../services/supervisor/control-plane-state';
import { controlPlaneFilesOf } from '../../services/worker/control-plane-activities';
import { controlPlaneKey } from '../../services/worker/hosted-names';
import { ensureHostedPkiSecrets, readHostedAdminKubeconfig, readHostedPki, recordApiServerURL } from '../../services/worker/hosted-secrets';
import { fileSecretStore } from '../../services/worker/secrets';
import { eventually } from '../support/async-checks';
import { CONTROL_PLANE_STARTUP_MS, availableReport, isAvailable, kubeConfigFromYaml, processExists, startTestSupervisor, stopTestSupervisor, type TestSupervisor } from '../support/supervisor';

const ref = { namespace: 'default', name: 'local-cp', uid: 'b5e7a1f0-1111-4000-8000-000000000001' };
const other = { namespace: 'default', name: 'other-cp', uid: 'b5e7a1f0-1111-4000-8000-000000000002' };
const key = controlPlaneKey(ref);

describe('the supervisor runs local control planes', { timeout: 4 * CONTROL_PLANE_STARTUP_MS }, () => {
  let home: string;
  let supervisor: TestSupervisor | undefined;
  const store = () => fileSecretStore(join(home, 'secrets'));
  let first: ControlPlaneReport | undefined;

  const files = async (which = ref): Promise<ControlPlaneFiles> => controlPlaneFilesOf(await readHostedPki(store(), which));
  const namespacesWith = async (kubeconfigYaml: string) => (await kubeConfigFromYaml(kubeconfigYaml).makeApiClient(CoreV1Api).listNamespace()).items.map((namespace) => namespace.metadata?.name);

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'slipway-supervisor-'));
    await ensureHostedPkiSecrets(store(), ref);
    await ensureHostedPkiSecrets(store(), other);
    supervisor = await startTestSupervisor(home);
  });
  afterAll(async () => {
    await stopTestSupervisor(supervisor);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('starts etcd and kube-apiserver with the cluster PKI, and the admin kubeconfig verifies the server', async () => {
    const started = await supervisor!.client.ensure(key, { kubernetesVersion: '1.34.2', files: await files() });
    expect(started.apiServerURL).toBe(`https://127.0.0.1:${started.ports.apiServer}`);
    first = await availableReport(supervisor!.client, key);
    expect(first?.etcd.available, first?.etcd.message).toBe(true);
    expect(first?.kubeAPIServer.available, first?.kubeAPIServer.message).toBe(true);
    expect(first?.version).toBe('v1.34.2');

    await recordApiServerURL(store(), ref, started.apiServerURL);
    const kubeconfig = await readHostedAdminKubeconfig(store(), ref);
    expect(await namespacesWith(kubeconfig)).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-node-lease']));

    // The other cluster's kubeconfig trusts another CA: TLS must refuse this server (and the server its certificate).
    await recordApiServerURL(store(), other, started.apiServerURL);
    const refused = await namespacesWith(await readHostedAdminKubeconfig(store(), other)).then(
      () => 'accepted',
      // fetch names the TLS failure in its cause.
      (error: unknown) => `${String(error)} ${String((error as { cause?: unknown }).cause)}`,
    );
    expect(refused).toMatch(/certificate/i);
  });

  it('answers only with its token, and refuses a bad key or a request without the PKI files', async () => {
    const url = `${supervisor!.process.url}/v1/control-planes`;
    const call = async (path: string, init: RequestInit = {}, token: string | null = supervisor!.token) => {
      const response = await fetch(`${url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' } });
      return { status: response.status, code: ((await response.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code };
    };
    expect(await call('', {}, null)).toEqual({ status: 401, code: 'Unauthorized' });
    expect(await call('', {}, `${supervisor!.token}x`)).toEqual({ status: 401, code: 'Unauthorized' });
    expect(await call('/Not_A_Label', { method: 'PUT', body: '{}' })).toEqual({ status: 400, code: 'InvalidParameter' });
    expect(await call('/no-files', { method: 'PUT', body: JSON.stringify({ kubernetesVersion: '1.34.2', files: { caCertificate: 'x' } }) })).toEqual({ status: 400, code: 'InvalidParameter' });
    expect(await call('/no-files', { method: 'PUT', body: 'not json' })).toEqual({ status: 400, code: 'InvalidParameter' });
    expect(await supervisor!.client.describe('no-files')).toBeUndefined();
    expect(existsSync(controlPlaneFolders.of(home, 'no-files'))).toBe(false);
  });

  it('keeps its ports across a repeated ensure, and refuses a version it cannot run', async () => {
    const again = await supervisor!.client.ensure(key, { kubernetesVersion: 'v1.34.2', files: await files() });
    expect(again.ports).toEqual(first?.ports);
    const refused = await supervisor!.client.ensure('wrong-version', { kubernetesVersion: '1.33.0', files: await files() }).then(
      () => 'accepted',
      (error: unknown) => String(error),
    );
    expect(refused).toContain('1.34.2');
    expect(await supervisor!.client.describe('wrong-version')).toBeUndefined();
  });

  it('starts a kube-apiserver killed with SIGKILL again', async () => {
    const before = await availableReport(supervisor!.client, key);
    const pid = before?.kubeAPIServer.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const after = await eventually(() => supervisor!.client.describe(key), (report) => isAvailable(report) && report?.kubeAPIServer.pid !== pid, CONTROL_PLANE_STARTUP_MS, 500);
    expect(after?.kubeAPIServer.available, after?.kubeAPIServer.message).toBe(true);
    expect(after?.kubeAPIServer.pid).not.toBe(pid);
    expect(after?.kubeAPIServer.restarts).toBe((before?.kubeAPIServer.restarts ?? 0) + 1);
    expect(after?.kubeAPIServer.lastExit).toBe('killed by SIGKILL');
  });

  it('serves the control plane again, with the same PKI and data, after the supervisor itself is killed and started again', async () => {
    const kubeconfig = await readHostedAdminKubeconfig(store(), ref);
    const core = kubeConfigFromYaml(kubeconfig).makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'survives' }, data: { kept: 'yes' } } });
    const before = await availableReport(supervisor!.client, key);
    const token = supervisor!.token;

    await supervisor!.process.kill();
    // What a crash leaves: the old processes still run, holding the ports, until the next supervisor ends them.
    const leftovers = [before?.etcd.pid, before?.kubeAPIServer.pid].filter((pid): pid is number => pid !== undefined);
    expect(leftovers).toHaveLength(2);
    expect(leftovers.every(processExists)).toBe(true);

    supervisor = await startTestSupervisor(home, token);
    const after = await availableReport(supervisor.client, key);
    expect(after?.kubeAPIServer.available, after?.kubeAPIServer.message).toBe(true);
    expect(after?.ports).toEqual(before?.ports);
    expect(leftovers.some(processExists)).toBe(false);
    // The same kubeconfig (the same CA and admin certificate) works, and etcd kept the data.
    const kept = await kubeConfigFromYaml(kubeconfig).makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'default', name: 'survives' });
    expect(kept.data).toEqual({ kept: 'yes' });
  });

  it('stops every process, frees every port and removes the state on delete, and a second delete is fine', async () => {
    const before = await availableReport(supervisor!.client, key);
    const pids = [before?.etcd.pid, before?.kubeAPIServer.pid].filter((pid): pid is number => pid !== undefined);
    expect(pids).toHaveLength(2);
    const folder = controlPlaneFolders.of(home, key);
    expect(await readFile(join(folder, 'pki', 'apiserver.key'), 'utf8')).toContain('PRIVATE KEY');

    await supervisor!.client.remove(key);
    await supervisor!.client.remove(key);
    expect(await supervisor!.client.describe(key)).toBeUndefined();
    expect(pids.some(processExists)).toBe(false);
    for (const port of Object.values(before!.ports)) expect(await portIsFree(port), `port ${port}`).toBe(true);
    expect(existsSync(folder)).toBe(false);
  });
});
