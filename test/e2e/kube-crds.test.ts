/**
 * Slipway's CRDs on a real kube-apiserver 1.34 (on etcd 3.6), through @kubernetes/client-node:
 * installed by services/controller/crds.ts, then exercised with ClusterDeployment objects.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { ApiException, CustomObjectsApi, PatchStrategy, VersionApi, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isPlainObject, type JsonObject } from '../../crds/json';
import { installCrds, type InstalledCrd } from '../../services/controller/crds';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';

const SLIPWAY = { group: 'slipway.dev', version: 'v1alpha1' } as const;
const CLUSTER_DEPLOYMENTS = { ...SLIPWAY, plural: 'clusterdeployments', namespace: 'default' } as const;
const APIEXTENSIONS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' } as const;
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let server: KubeApiServer;
let api: CustomObjectsApi;
let firstInstall: InstalledCrd[];

beforeAll(async () => {
  server = await startKubeApiServer();
  api = server.kubeConfig.makeApiClient(CustomObjectsApi);
  firstInstall = await installCrds(server.kubeConfig);
});

afterAll(async () => {
  await server?.stop();
});

async function exampleClusterDeployment(name: string): Promise<JsonObject> {
  const example: unknown = parse(await readFile(new URL('../../examples/cluster-deployment.yaml', import.meta.url), 'utf8'));
  if (!isPlainObject(example) || !isPlainObject(example.metadata) || !isPlainObject(example.spec)) throw new Error('examples/cluster-deployment.yaml is not a ClusterDeployment');
  return { ...example, metadata: { ...example.metadata, name }, spec: { ...example.spec, clusterName: name } };
}

function object(value: unknown): JsonObject {
  if (!isPlainObject(value)) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return value;
}

async function rejectionOf(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return error;
    throw error;
  }
  throw new Error('the API server accepted what it should have refused');
}

/** A GET with a raw Accept header, which client-node's generated methods do not let us choose. */
async function getWithAccept(path: string, accept: string): Promise<{ readonly status: number; readonly body: unknown }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server.url);
    const call = request(url, { method: 'GET', ca: server.caCertificate, headers: { accept, authorization: `Bearer ${server.token}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
      response.on('error', reject);
    });
    call.once('error', reject);
    call.end();
  });
}

describe('Slipway CRDs on a real kube-apiserver', () => {
  it('runs against kube-apiserver 1.34', async () => {
    const version = await server.kubeConfig.makeApiClient(VersionApi).getCode();
    expect({ major: version.major, minor: version.minor, gitVersion: version.gitVersion }).toEqual({ major: '1', minor: '34', gitVersion: 'v1.34.2' });
  });

  it('installs all six CRDs and each becomes Established, keeping its x-kubernetes-* schema fields', async () => {
    expect(firstInstall.map((crd) => crd.name)).toEqual([
      'clusterdeployments.slipway.dev',
      'hostedclusters.slipway.dev',
      'machinedeployments.slipway.dev',
      'machines.slipway.dev',
      'machinesets.slipway.dev',
      'nodepools.slipway.dev',
    ]);
    for (const { name } of firstInstall) {
      const crd = object(await api.getClusterCustomObject({ ...APIEXTENSIONS, name }));
      const conditions = object(crd.status).conditions;
      expect(conditions, name).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]));
      expect(object(crd.metadata).managedFields, name).toEqual(expect.arrayContaining([expect.objectContaining({ manager: 'slipway', operation: 'Apply' })]));
    }
    const clusterDeployments = object(await api.getClusterCustomObject({ ...APIEXTENSIONS, name: 'clusterdeployments.slipway.dev' }));
    const storedSchema = JSON.stringify(object(clusterDeployments.spec).versions);
    expect(storedSchema).toContain('"x-kubernetes-list-type":"map"');
    expect(storedSchema).toContain('"x-kubernetes-list-map-keys":["type"]');
  });

  it('changes nothing when the same CRDs are applied again', async () => {
    const secondInstall = await installCrds(server.kubeConfig);
    expect(secondInstall).toEqual(firstInstall);
  });

  it('takes back, on the next install, a field someone else changed (forced apply), and reports the new generation', async () => {
    const name = 'clusterdeployments.slipway.dev';
    const byHand = object(
      await api.patchClusterCustomObject({ ...APIEXTENSIONS, name, body: { spec: { names: { shortNames: ['cdx'] } } }, fieldManager: 'hand-edit' }, MERGE_PATCH),
    );
    expect(object(object(byHand.spec).names).shortNames).toEqual(['cdx']);

    const reinstalled = await installCrds(server.kubeConfig);
    const crd = object(await api.getClusterCustomObject({ ...APIEXTENSIONS, name }));
    expect(object(object(crd.spec).names).shortNames).toEqual(['cd', 'cds']);
    const before = firstInstall.find((installed) => installed.name === name);
    const after = reinstalled.find((installed) => installed.name === name);
    expect(after?.generation).toBe((before?.generation ?? 0) + 2);
    expect(reinstalled.filter((installed) => installed.name !== name)).toEqual(firstInstall.filter((installed) => installed.name !== name));
  });

  it('accepts the example ClusterDeployment, with its spec as written', async () => {
    const created = object(await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('example') }));
    expect(object(created.metadata)).toMatchObject({ name: 'example', namespace: 'default', generation: 1, labels: { team: 'platform' } });
    expect(object(created.spec)).toMatchObject({ clusterName: 'example', baseDomain: 'example.com', platform: { simulated: { region: 'local-1' } }, controlPlane: { replicas: 3 }, compute: [{ name: 'worker', replicas: 3 }] });
  });

  it('refuses an invalid ClusterDeployment with 422, naming the field', async () => {
    const invalid = await exampleClusterDeployment('too-many-masters');
    const rejection = await rejectionOf(api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: { ...invalid, spec: { ...object(invalid.spec), controlPlane: { replicas: 9 } } } }));
    expect(rejection.code).toBe(422);
    expect(typeof rejection.body === 'string' ? rejection.body : JSON.stringify(rejection.body)).toContain('spec.controlPlane.replicas');
    await expect(api.getNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'too-many-masters' })).rejects.toMatchObject({ code: 404 });
  });

  it('keeps every status field written through the status subresource, and bumps generation only for spec changes', async () => {
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('status-trip') });
    const status = {
      observedGeneration: 1,
      infraID: 'status-trip-x7k2p',
      platform: 'simulated',
      region: 'local-1',
      installVersion: '4.16.3',
      installRestarts: 0,
      installAttempts: [{ attempt: 1, startedAt: '2026-12-06T07:00:00Z', outcome: 'Succeeded' }],
      controlPlane: { name: 'control-plane', replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 },
      machines: [
        {
          name: 'status-trip-master-0',
          role: 'control-plane',
          pool: 'control-plane',
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', reason: 'NodeReady', message: 'the node is ready', lastTransitionTime: '2026-12-06T07:01:00Z' }],
        },
      ],
      conditions: [
        { type: 'Provisioned', status: 'True', reason: 'ProvisionSucceeded', message: 'the cluster is installed', lastTransitionTime: '2026-12-06T07:02:00Z' },
        { type: 'Ready', status: 'True', reason: 'AllMachinesReady', message: 'every machine is ready', lastTransitionTime: '2026-12-06T07:02:00Z' },
      ],
    };
    const afterStatus = object(await api.patchNamespacedCustomObjectStatus({ ...CLUSTER_DEPLOYMENTS, name: 'status-trip', body: { status } }, MERGE_PATCH));
    expect(object(afterStatus.metadata).generation).toBe(1);

    const readBack = object(await api.getNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'status-trip' }));
    expect(readBack.status).toEqual(status);
    expect(object(readBack.metadata).generation).toBe(1);

    const afterSpec = object(await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'status-trip', body: { spec: { compute: [{ name: 'worker', replicas: 5 }] } } }, MERGE_PATCH));
    expect(object(afterSpec.metadata).generation).toBe(2);
    expect(afterSpec.status).toEqual(status);
  });

  it('serves the printer columns in a Table', async () => {
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('table-row') });
    await api.patchNamespacedCustomObjectStatus(
      {
        ...CLUSTER_DEPLOYMENTS,
        name: 'table-row',
        body: { status: { infraID: 'table-row-q9w8e', platform: 'simulated', region: 'local-1', installVersion: '4.16.3', conditions: [{ type: 'Provisioned', status: 'True', reason: 'ProvisionSucceeded', message: 'installed', lastTransitionTime: '2026-12-06T07:02:00Z' }] } },
      },
      MERGE_PATCH,
    );
    const { status, body } = await getWithAccept('/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments/table-row', 'application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(status).toBe(200);
    const table = object(body);
    expect(table.kind).toBe('Table');
    const columns = (table.columnDefinitions as unknown[]).map((column) => object(column).name);
    expect(columns).toEqual(['Name', 'InfraID', 'Platform', 'Region', 'Version', 'ProvisionStatus', 'Ready', 'Age']);
    const rows = table.rows as unknown[];
    expect(rows).toHaveLength(1);
    const cells = object(rows[0]).cells as unknown[];
    expect(cells.slice(0, 7)).toEqual(['table-row', 'table-row-q9w8e', 'simulated', 'local-1', '4.16.3', 'ProvisionSucceeded', null]);
  });
});
