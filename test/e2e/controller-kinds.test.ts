/**
 * The controller (services/controller/main.ts, as a process) beyond ClusterDeployments, on a
 * real kube-apiserver 1.34 over a real Slipway stack with its REST API: MachineDeployment
 * custom resources created, scaled and deleted as kubectl would; and one object, one owner
 * side: REST refuses to change what a custom resource drives, a custom resource of a
 * REST-owned object is a read-only view, and `slipway handover` moves an object between them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { JsonObject } from '../../crds/json';
import { columnsFor, tableRows } from '../../services/cli/output';
import { getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { getMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { startTestApi, type TestApi } from '../support/api';
import { startControllerProcess, writeKubeconfig } from '../support/controller-process';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';
import { conditionOf, eventually as eventuallyWith, jsonObject, kubeResources } from '../support/kube-resources';
import { cloudMachines } from '../support/machine-deployments';
import { slipwayBin } from '../support/slipway-bin';
import { startTestStack, type TestStack } from '../support/stack';
import { hostedClusterManifest, LOCAL_RELEASE, nodePoolManifest } from '../support/hosted-clusters';
import type { WorkerProcess } from '../support/worker-process';

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const FINALIZER = 'slipway.dev/deprovision';

let server: KubeApiServer;
let stack: TestStack;
let rest: TestApi;
let controller: WorkerProcess | undefined;
let scratch: string;
let slipway: ReturnType<typeof slipwayBin>;
let clusters: ReturnType<typeof kubeResources>;
let machineDeployments: ReturnType<typeof kubeResources>;

beforeAll(async () => {
  [server, stack] = await Promise.all([startKubeApiServer(), startTestStack({ supervisor: true })]);
  rest = await startTestApi(stack);
  scratch = await mkdtemp(join(tmpdir(), 'slipway-controller-kinds-'));
  slipway = slipwayBin(stack, rest, scratch);
  clusters = kubeResources(server, 'clusterdeployments');
  machineDeployments = kubeResources(server, 'machinedeployments');
  controller = startControllerProcess({
    ...stack.workerEnv,
    SLIPWAY_KUBECONFIG: await writeKubeconfig(server.kubeConfig, stack.home),
    SLIPWAY_CONTROLLER_LEASE_NAMESPACE: 'default',
    SLIPWAY_CONTROLLER_LEASE_SECONDS: '3',
    SLIPWAY_CONTROLLER_RESYNC_SECONDS: '5',
    SLIPWAY_CONTROLLER_POLL_MS: '300',
    SLIPWAY_LOG_LEVEL: 'info',
  });
  // The CRDs are installed once a create is accepted.
  await eventually('the controller to install the CRDs', async () => (await clusters.api.listNamespacedCustomObject(clusters.coordinates).then(() => true).catch(() => undefined)));
}, 240_000);

afterAll(async () => {
  await controller?.stop();
  await rest?.close();
  await stack?.stop();
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventuallyWith(what, probe, () => `--- controller:\n${controller?.output() ?? ''}`, timeoutMs);
}

async function example(file: string, name: string, spec: JsonObject = {}): Promise<JsonObject> {
  const manifest = jsonObject(parse(await readFile(new URL(`../../examples/${file}`, import.meta.url), 'utf8')));
  return { ...manifest, metadata: { ...jsonObject(manifest.metadata), name }, spec: { ...jsonObject(manifest.spec), ...spec } };
}

async function smallCluster(name: string): Promise<JsonObject> {
  return example('cluster-deployment.yaml', name, { clusterName: name, controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] });
}

/** Running machines of MachineDeployment `name` in the simulated cloud. */
async function machinesOf(infraId: string, name: string): Promise<number> {
  return (await cloudMachines(stack, infraId)).filter((machine) => machine.name.includes(`${name}-`) && machine.phase === 'running').length;
}

describe('MachineDeployment custom resources', () => {
  let infraId = '';

  it('takes a MachineDeployment created as kubectl apply would to Ready with its replicas in the cloud, a finalizer, Events and the printer columns slipway get shows', async () => {
    await clusters.api.createNamespacedCustomObject({ ...clusters.coordinates, body: await smallCluster('kinds-demo') });
    // Applied together, as `kubectl apply -f examples/` does: the MachineDeployment waits for its cluster's infrastructure.
    await machineDeployments.api.createNamespacedCustomObject({ ...machineDeployments.coordinates, body: await example('machine-deployment.yaml', 'kinds-extra', { clusterName: 'kinds-demo' }) });
    const cluster = await eventually('demo to be Ready', () => clusters.readyAtGeneration('kinds-demo'));
    infraId = String(jsonObject(cluster.status).infraID);

    const ready = await eventually('kinds-extra to be Ready', () => machineDeployments.readyAtGeneration('kinds-extra'));
    const metadata = jsonObject(ready.metadata);
    expect(metadata.finalizers).toContain(FINALIZER);
    expect(jsonObject(ready.status).observedGeneration).toBe(1);
    expect(jsonObject(ready.status).replicas).toBe(2);
    expect(await machinesOf(infraId, 'kinds-extra')).toBe(2);

    // One workflow, under the ID REST would give it, holding the CR's uid and owned by Kubernetes.
    const snapshot = await stack.client.workflow.getHandle(entityWorkflowId('MachineDeployment', 'default', 'kinds-extra')).query(getMachineDeployment);
    expect(snapshot.object.metadata.uid).toBe(metadata.uid);
    expect(snapshot.object.metadata.annotations?.['slipway.dev/owner']).toBe('kubernetes');

    // kubectl's columns hold the values `slipway get md -o wide` prints for the same object.
    const viaRest = await rest.request('GET', '/apis/slipway.dev/v1alpha1/namespaces/default/machinedeployments/kinds-extra');
    const cliColumns = columnsFor('MachineDeployment', true);
    const [cliRow] = tableRows([jsonObject(viaRest.body)], cliColumns, new Date());
    const kubectlRow = await machineDeployments.tableRow('kinds-extra');
    for (const column of ['Cluster', 'Desired', 'Replicas', 'Ready', 'Updated', 'Unavailable', 'Phase', 'Version']) {
      const cli = cliRow?.[cliColumns.findIndex((item) => item.header === column.toUpperCase())];
      expect(String(kubectlRow[column] ?? ''), column).toBe(cli);
    }
    expect(kubectlRow.Phase).toBe('Running');

    const reasons = await eventually('the Ready event', async () => {
      const found = await machineDeployments.eventReasons('kinds-extra');
      return found.includes('Ready') ? found : undefined;
    });
    expect(reasons).toContain('Provisioning');
  });

  it('reaches the cloud when the CR is scaled through its scale subresource, as kubectl scale does', async () => {
    await machineDeployments.api.patchNamespacedCustomObjectScale({ ...machineDeployments.coordinates, name: 'kinds-extra', body: { spec: { replicas: 3 } } }, MERGE_PATCH);
    const ready = await eventually('kinds-extra to be Ready at generation 2', async () => {
      const resource = await machineDeployments.readyAtGeneration('kinds-extra');
      return resource && jsonObject(resource.metadata).generation === 2 ? resource : undefined;
    });
    expect(jsonObject(ready.status).replicas).toBe(3);
    await eventually('3 running machines of kinds-extra', async () => ((await machinesOf(infraId, 'kinds-extra')) === 3 ? true : undefined));
    expect(await machineDeployments.eventReasons('kinds-extra')).toContain('SpecApplied');
  });

  it('refuses REST changes to a MachineDeployment its custom resource drives, saying how to change it', async () => {
    const scaled = await rest.request('PATCH', '/apis/slipway.dev/v1alpha1/namespaces/default/machinedeployments/kinds-extra/scale', { body: { spec: { replicas: 9 } }, contentType: 'application/merge-patch+json' });
    expect(scaled.status).toBe(409);
    expect(scaled.contentType).toContain('application/problem+json');
    const problem = jsonObject(scaled.body);
    expect(String(problem.type)).toContain('owned-by-kubernetes');
    expect(String(problem.detail)).toContain('kubectl edit machinedeployment kinds-extra -n default');
    expect(String(problem.detail)).toContain('slipway handover md/kinds-extra --to rest');
    expect((problem.errors as JsonObject[]).map((error) => error.path)).toEqual(['metadata.annotations["slipway.dev/owner"]']);
    const snapshot = await stack.client.workflow.getHandle(entityWorkflowId('MachineDeployment', 'default', 'kinds-extra')).query(getMachineDeployment);
    expect(snapshot.object.spec.replicas).toBe(3);
  });

  it('keeps a deleted MachineDeployment until its machines are gone from the cloud, then it is gone', async () => {
    await machineDeployments.api.deleteNamespacedCustomObject({ ...machineDeployments.coordinates, name: 'kinds-extra' });
    const deleting = await machineDeployments.read('kinds-extra');
    expect(jsonObject(deleting?.metadata).deletionTimestamp).toEqual(expect.any(String));
    expect(jsonObject(deleting?.metadata).finalizers).toContain(FINALIZER);

    let machinesWhenGone: number | undefined;
    await eventually('kinds-extra to be gone', async () => {
      if (await machineDeployments.read('kinds-extra')) return undefined;
      machinesWhenGone = (await cloudMachines(stack, infraId)).filter((machine) => machine.name.includes('kinds-extra-')).length;
      return true;
    });
    expect(machinesWhenGone).toBe(0);
    expect(await machineDeployments.eventReasons('kinds-extra')).toEqual(expect.arrayContaining(['Deleting', 'Deprovisioned']));
    // The cluster's own pool is untouched.
    expect(await machinesOf(infraId, 'kinds-demo-worker')).toBe(1);
  });
});

describe('one object, one owner side', () => {
  const clusterPath = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';

  async function workflowCompute(name: string): Promise<unknown> {
    return (await stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', name)).query(getClusterDeployment)).object.spec.compute;
  }

  it('refuses a REST patch or delete of a cluster its custom resource drives, with problem+json naming the owner and what to do', async () => {
    const patched = await rest.request('PATCH', `${clusterPath}/kinds-demo`, { body: { spec: { compute: [{ name: 'worker', replicas: 4 }] } }, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(409);
    expect(String(jsonObject(patched.body).detail)).toContain('owned by its Kubernetes resource');
    const deleted = await rest.request('DELETE', `${clusterPath}/kinds-demo`);
    expect(deleted.status).toBe(409);
    expect(String(jsonObject(deleted.body).type)).toContain('owned-by-kubernetes');
    expect(await workflowCompute('kinds-demo')).toEqual([{ name: 'worker', replicas: 1 }]);
    // A plain patch cannot move ownership either: only a handover sets the owner.
    const grab = await rest.request('PATCH', `${clusterPath}/kinds-demo`, { body: { metadata: { annotations: { 'slipway.dev/owner': 'rest' } } }, contentType: 'application/merge-patch+json' });
    expect(grab.status).toBe(422);
    expect((jsonObject(grab.body).errors as JsonObject[]).map((error) => error.path)).toEqual(['metadata.annotations["slipway.dev/owner"]']);
  });

  it('shows a custom resource of a REST-created cluster as read-only, not applying its spec, until it is handed over', async () => {
    const created = await rest.request('POST', clusterPath, { body: await smallCluster('restful') });
    expect(created.status).toBe(201);
    await clusters.api.createNamespacedCustomObject({ ...clusters.coordinates, body: { ...(await smallCluster('restful')), spec: { ...jsonObject((await smallCluster('restful')).spec), compute: [{ name: 'worker', replicas: 2 }] } } });

    const readOnly = await eventually('restful to show ReadOnly', async () => {
      const resource = await clusters.read('restful');
      return resource && conditionOf(resource, 'ReadOnly')?.status === 'True' && conditionOf(resource, 'Ready')?.status === 'True' ? resource : undefined;
    });
    expect(conditionOf(readOnly, 'ReadOnly')?.reason).toBe('OwnedByREST');
    expect(String(conditionOf(readOnly, 'ReadOnly')?.message)).toContain('slipway handover cd/restful --to kubernetes');
    expect(jsonObject(readOnly.status).infraID).toMatch(/^restful-/);
    expect(await clusters.eventReasons('restful')).toContain('OwnedByREST');
    expect(await workflowCompute('restful')).toEqual([{ name: 'worker', replicas: 1 }]);

    const listed = await slipway(['get', 'cd', '-o', 'wide']);
    expect(listed.stdout).toMatch(/\nrestful\s.*\srest\s+\S+\n?/);
    expect(listed.stdout).toMatch(/\nkinds-demo\s.*\skubernetes\s+\S+\n?/);

    const handed = await slipway(['handover', 'cd/restful', '--to', 'kubernetes']);
    expect(handed.code, handed.stderr).toBe(0);
    expect(handed.stdout).toContain('handed over to kubernetes');
    const driven = await eventually('restful to be driven by its CR', async () => {
      const resource = await clusters.readyAtGeneration('restful');
      return resource && conditionOf(resource, 'ReadOnly') === undefined ? resource : undefined;
    });
    expect(jsonObject(driven.status).observedGeneration).toBe(1);
    expect(await workflowCompute('restful')).toEqual([{ name: 'worker', replicas: 2 }]);
    expect(await clusters.eventReasons('restful')).toContain('TookOver');
    const refused = await rest.request('PATCH', `${clusterPath}/restful`, { body: { spec: { compute: [{ name: 'worker', replicas: 3 }] } }, contentType: 'application/merge-patch+json' });
    expect(refused.status).toBe(409);
  });

  it('hands a cluster back to REST: REST changes it, and deleting its custom resource leaves it running', async () => {
    expect((await slipway(['handover', 'cd', 'restful', '--to', 'rest'])).code).toBe(0);
    const patched = await rest.request('PATCH', `${clusterPath}/restful`, { body: { spec: { compute: [{ name: 'worker', replicas: 3 }] } }, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    await eventually('restful to show ReadOnly again', async () => {
      const resource = await clusters.read('restful');
      return resource && conditionOf(resource, 'ReadOnly')?.status === 'True' ? true : undefined;
    });

    await clusters.api.deleteNamespacedCustomObject({ ...clusters.coordinates, name: 'restful' });
    await eventually('the restful CR to be gone', async () => ((await clusters.read('restful')) ? undefined : true));
    const snapshot = await stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', 'restful')).query(getClusterDeployment);
    expect(snapshot.deleted).toBe(false);
    expect(snapshot.object.metadata.deletionTimestamp).toBeUndefined();
    expect(snapshot.object.spec.compute).toEqual([{ name: 'worker', replicas: 3 }]);

    const bad = await slipway(['handover', 'cd/restful', '--to', 'nobody']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--to rest or --to kubernetes');
  });
});

describe('HostedCluster and NodePool custom resources', () => {
  it('takes a HostedCluster and its NodePool applied as kubectl would to Ready on a real local control plane, and kubectl delete holds each until it is gone', async () => {
    const hostedClusters = kubeResources(server, 'hostedclusters');
    const nodePools = kubeResources(server, 'nodepools');
    await hostedClusters.api.createNamespacedCustomObject({ ...hostedClusters.coordinates, body: hostedClusterManifest('cr-hc', LOCAL_RELEASE) });
    await nodePools.api.createNamespacedCustomObject({ ...nodePools.coordinates, body: nodePoolManifest('cr-np', 'cr-hc', { replicas: 1 }) });
    const cluster = await eventually('cr-hc to be Ready', () => hostedClusters.readyAtGeneration('cr-hc'));
    expect(jsonObject(cluster.metadata).finalizers).toContain(FINALIZER);
    expect(conditionOf(cluster, 'KubeAPIServerAvailable')?.status).toBe('True');
    const pool = await eventually('cr-np to be Ready', () => nodePools.readyAtGeneration('cr-np'));
    expect(jsonObject(pool.status).replicas).toBe(1);
    expect((await stack.supervisor?.client.list())?.length).toBe(1);

    await hostedClusters.api.deleteNamespacedCustomObject({ ...hostedClusters.coordinates, name: 'cr-hc' });
    await eventually('the cr-hc CR to be gone', async () => ((await hostedClusters.read('cr-hc')) ? undefined : true), 180_000);
    expect(await stack.supervisor?.client.list()).toEqual([]);
  }, 300_000);
});
