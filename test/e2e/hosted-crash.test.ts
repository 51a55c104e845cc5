/**
 * Durability of a hosted cluster (issue 14): a HostedCluster with a NodePool, created over REST
 * on the real stack, has its worker and then its supervisor killed with SIGKILL while it
 * provisions (a call from the workflow to the supervisor in flight, the pool's first machine
 * made), and both started again. Nothing may be lost or made twice: the cluster becomes
 * Available and the pool Ready with exactly `replicas` machines in the cloud and as many Ready
 * Nodes in the hosted API server, one etcd and one kube-apiserver run for the cluster, under
 * the same CA; and deleting the cluster stops them, frees their ports and empties the cloud.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { HostedCluster } from '../../crds/schemas/hosted-cluster';
import type { NodePool } from '../../crds/schemas/node-pool';
import { portIsFree } from '../../infra/processes';
import { TAG } from '../../providers/tags';
import type { ControlPlaneReport } from '../../services/supervisor/control-plane';
import { controlPlaneFolders, type ControlPlaneRecord } from '../../services/supervisor/control-plane-state';
import { controlPlaneKey } from '../../services/worker/hosted-names';
import { readHostedAdminKubeconfig, readHostedApiServerURL } from '../../services/worker/hosted-secrets';
import { fileSecretStore } from '../../services/worker/secrets';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { poolMachineDeploymentName } from '../../workflows/planners/names';
import { startTestApi, type TestApi } from '../support/api';
import { eventually } from '../support/async-checks';
import { cloudResources, liveMachines } from '../support/clusters';
import { replayFailures } from '../support/histories';
import { LOCAL_RELEASE, hostedClusterManifest, nodePoolManifest } from '../support/hosted-clusters';
import { startTestStack, type TestStack } from '../support/stack';
import { CONTROL_PLANE_STARTUP_MS, isAvailable, kubeConfigFromYaml, processExists } from '../support/supervisor';
import { startWorkerProcess, waitWhileWorkerRuns, type WorkerProcess } from '../support/worker-process';

const REPLICAS = 3;
const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';

let stack: TestStack;
let api: TestApi;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  // Machines boot for 5 s: the pool is still coming up when the kills land, a second or two after its first machine is made.
  stack = await startTestStack({ supervisor: true, inProcessWorker: false, simCloud: { bootMs: 5_000, deleteMs: 200, kubeletHeartbeatMs: 500 } });
  api = await startTestApi(stack, { secrets: fileSecretStore(join(stack.home, 'secrets')) });
});
afterAll(async () => {
  // A test that failed while the supervisor was paused must not leave it stopped: it could not stop.
  if (stack?.supervisor?.process.pid) process.kill(stack.supervisor.process.pid, 'SIGCONT');
  await worker?.stop();
  await api?.close();
  await stack?.stop();
});

const waitUntil = (predicate: () => Promise<boolean>, timeoutMs: number, what: string) => waitWhileWorkerRuns(predicate, timeoutMs, what, () => worker);

async function read<T>(path: string): Promise<T> {
  const response = await api.request('GET', path);
  expect(response.status, `GET ${path}: ${JSON.stringify(response.body)}`).toBe(200);
  return response.body as T;
}

const conditionOf = (object: HostedCluster | NodePool | undefined, type: string) => object?.status?.conditions?.find((condition) => condition.type === type)?.status;

/** As read, but undefined on a 503: while the new worker starts, the API cannot read an object in time and says to retry, as a client then does. */
async function readOnceServed<T>(path: string): Promise<T | undefined> {
  const response = await api.request('GET', path);
  if (response.status === 503) return undefined;
  expect(response.status, `GET ${path}: ${JSON.stringify(response.body)}`).toBe(200);
  return response.body as T;
}

/** The pids of every process running with the control plane's folder in its arguments: its etcd and kube-apiserver, and any left behind. */
function controlPlaneProcesses(folder: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.startsWith(folder));
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(processExists);
}

/** Bytes sent to a local port that its server has not read yet (and connections it has not accepted): calls to a paused process. */
function unansweredRequests(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // Fields of /proc/net/tcp: sl, local_address, rem_address, st, tx_queue:rx_queue, ...
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(hexPort))
    .reduce((sum, fields) => sum + parseInt(fields[4]?.split(':')[1] ?? '0', 16), 0);
}

function caOf(kubeconfigYaml: string): string {
  return (parse(kubeconfigYaml) as { clusters: { cluster: { 'certificate-authority-data': string } }[] }).clusters[0]!.cluster['certificate-authority-data'];
}

it('loses nothing when the worker and the supervisor are SIGKILLed while a hosted cluster provisions', { timeout: 4 * CONTROL_PLANE_STARTUP_MS }, async () => {
  // Short names: a pool's machine names carry the infra ID, the cluster's name and the pool's.
  const name = `hcc-${stack.id.slice(0, 4)}`;
  const poolName = 'hcc-np';
  worker = startWorkerProcess(stack.workerEnv);
  for (const [path, body] of [
    ['hostedclusters', hostedClusterManifest(name, LOCAL_RELEASE)],
    ['nodepools', nodePoolManifest(poolName, name, { ...LOCAL_RELEASE, replicas: REPLICAS })],
  ] as const) {
    const response = await api.request('POST', `${NS}/${path}`, { body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  }
  const created = await read<HostedCluster>(`${NS}/hostedclusters/${name}`);
  const ref = { namespace: 'default', name, uid: created.metadata.uid ?? '' };
  const key = controlPlaneKey(ref);
  const folder = controlPlaneFolders.of(stack.home, key);
  const supervisor = stack.supervisor!;

  // Mid-provision, with calls in flight: once the first start of the control plane has answered
  // (its admin kubeconfig is written), the supervisor is paused, so the workflow's next call to it
  // hangs; meanwhile the pool's first machine is made.
  const secrets = fileSecretStore(join(stack.home, 'secrets'));
  await waitUntil(async () => (await readHostedApiServerURL(secrets, ref)) !== undefined, 60_000, 'the control plane to be started');
  const caBefore = caOf(await readHostedAdminKubeconfig(secrets, ref));
  process.kill(supervisor.process.pid!, 'SIGSTOP');
  // What the paused supervisor runs, from its state folder: the ports it keeps and the pids of its etcd and kube-apiserver.
  const portsBefore = (JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as ControlPlaneRecord).ports;
  const pidsBefore = ['etcd', 'kube-apiserver'].map((component) => Number(readFileSync(join(folder, `${component}.pid`), 'utf8')));
  expect(pidsBefore.every(processExists)).toBe(true);
  await waitUntil(async () => unansweredRequests(Number(new URL(supervisor.process.url).port)) > 0, 30_000, 'a call to the paused supervisor');
  await waitUntil(async () => (await liveMachines(stack, (await read<HostedCluster>(`${NS}/hostedclusters/${name}`)).status?.infraID ?? '-')).length >= 1, 60_000, 'the first machine of the pool');
  const provisioning = [await read<HostedCluster>(`${NS}/hostedclusters/${name}`), await read<NodePool>(`${NS}/nodepools/${poolName}`)] as const;
  expect(conditionOf(provisioning[0], 'Available'), JSON.stringify(provisioning[0].status)).not.toBe('True');
  expect(conditionOf(provisioning[1], 'Ready'), JSON.stringify(provisioning[1].status)).not.toBe('True');
  await worker.kill();
  await supervisor.kill();
  await supervisor.start();
  worker = startWorkerProcess(stack.workerEnv);

  await waitUntil(async () => conditionOf(await readOnceServed<HostedCluster>(`${NS}/hostedclusters/${name}`), 'Available') === 'True', 90_000, 'the HostedCluster to become Available');
  await waitUntil(async () => conditionOf(await readOnceServed<NodePool>(`${NS}/nodepools/${poolName}`), 'Ready') === 'True', 90_000, 'the NodePool to become Ready');
  const cluster = await read<HostedCluster>(`${NS}/hostedclusters/${name}`);
  const infraId = cluster.status?.infraID ?? '';

  // The cloud holds exactly the pool's machines: none made twice, none leaked.
  const machines = await liveMachines(stack, infraId);
  expect(machines).toHaveLength(REPLICAS);
  expect(new Set(machines.map((machine) => machine.tags[TAG.machine])).size).toBe(REPLICAS);
  expect(await cloudResources(stack, infraId)).toHaveLength(REPLICAS);

  // The hosted API server, reached through the admin kubeconfig the API serves, under the same CA, holds a Ready Node per machine.
  const kubeconfig = await api.request('GET', `${NS}/hostedclusters/${name}/kubeconfig`);
  expect(kubeconfig.status).toBe(200);
  expect(caOf(String(kubeconfig.body))).toBe(caBefore);
  const core = kubeConfigFromYaml(String(kubeconfig.body)).makeApiClient(CoreV1Api);
  const isReadyNode = (node: V1Node) => node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;
  const poolNodes = async () => (await core.listNode({ labelSelector: `slipway.dev/node-pool=${poolName}` })).items;
  const nodes = await eventually(poolNodes, (list) => list.length === REPLICAS && list.every(isReadyNode), 30_000, 500);
  expect(nodes.filter(isReadyNode).map((node) => node.metadata?.name).sort()).toEqual(machines.map((machine) => machine.name).sort());

  // One etcd and one kube-apiserver: the ones the supervisor reports, and no process the killed supervisor left.
  const after = (await supervisor.client.describe(key)) as ControlPlaneReport;
  expect(isAvailable(after)).toBe(true);
  expect(after.ports).toEqual(portsBefore);
  expect(pidsBefore.some(processExists)).toBe(false);
  expect(controlPlaneProcesses(folder).sort()).toEqual([after.etcd.pid, after.kubeAPIServer.pid].sort());
  expect(await supervisor.client.list()).toHaveLength(1);

  // Deleting the cluster stops both processes, frees their ports and leaves nothing in the cloud.
  expect((await api.request('DELETE', `${NS}/hostedclusters/${name}`)).status).toBeLessThan(300);
  await waitUntil(async () => (await api.request('GET', `${NS}/hostedclusters/${name}`)).status === 404, 90_000, 'the HostedCluster to be deleted');
  expect((await api.request('GET', `${NS}/nodepools/${poolName}`)).status).toBe(404);
  expect(await supervisor.client.describe(key)).toBeUndefined();
  expect(controlPlaneProcesses(folder)).toEqual([]);
  for (const port of Object.values(after.ports)) expect(await portIsFree(port), `port ${port}`).toBe(true);
  expect(await cloudResources(stack, infraId)).toEqual([]);
  // Every history written across the kills must replay exactly, or the next worker restart would wedge it.
  const workflowIds = [entityWorkflowId('HostedCluster', 'default', name), entityWorkflowId('NodePool', 'default', poolName), entityWorkflowId('MachineDeployment', 'default', poolMachineDeploymentName(name, poolName))];
  expect(await replayFailures(stack.client, workflowIds, inject('workflowBundlePath'))).toEqual([]);
});
