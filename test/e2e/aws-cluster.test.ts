/**
 * A ClusterDeployment on platform aws, end to end against moto: the real workflows in a
 * worker process, credentials from a secret resolved inside the activities, the AWS adapter
 * behind the shared Redis rate limiter. It must reach Ready with its machines and network
 * (its API load balancer and DNS zone included) in moto, delete down to zero tagged resources
 * (those too), and the credential must appear nowhere in the workflow histories or the worker's
 * debug log.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createAwsAdapter } from '../../providers/aws/adapter';
import { TAG } from '../../providers/tags';
import type { CloudMachine, CloudResource, ProviderAdapter } from '../../providers/types';
import { deleteClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { clusterObject, isReady, startCluster, waitForCluster } from '../support/clusters';
import { replayFailures } from '../support/histories';
import { startMoto, type RunningMoto } from '../support/peers/moto';
import { startTestStack, type TestStack } from '../support/stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { collect } from '../support/async-checks';

const REGION = 'us-east-1';
const ACCESS_KEY_ID = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET_ACCESS_KEY = `slipway-e2e-${randomBytes(18).toString('base64url')}`;

let moto: RunningMoto;
let stack: TestStack;
let worker: WorkerProcess | undefined;
let cloud: ProviderAdapter;

beforeAll(async () => {
  moto = await startMoto();
  stack = await startTestStack({ inProcessWorker: false, adapterEnv: { SLIPWAY_AWS_ENDPOINT: moto.url } });
  const secrets = join(stack.home, 'secrets', 'default');
  await mkdir(secrets, { recursive: true });
  await writeFile(join(secrets, 'aws-e2e.json'), JSON.stringify({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), { mode: 0o600 });
  cloud = createAwsAdapter({ region: REGION, endpoint: moto.url, credentials: async () => ({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }) });
  worker = startWorkerProcess({ ...stack.workerEnv, SLIPWAY_LOG_LEVEL: 'debug' }, Number.POSITIVE_INFINITY);
});

afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
  await moto?.stop();
});

const liveMachines = async (infraId: string): Promise<CloudMachine[]> =>
  (await collect(cloud.listMachines({ [TAG.cluster]: infraId }))).filter((machine) => machine.phase !== 'terminated');

/** Tagged resources that still exist: a terminated instance stays visible in EC2 for a while, but is gone. */
async function remainingResources(infraId: string): Promise<CloudResource[]> {
  const terminated = new Set((await collect(cloud.listMachines({ [TAG.cluster]: infraId }))).filter((machine) => machine.phase === 'terminated').map((machine) => machine.providerId));
  return (await collect(cloud.listResources({ [TAG.cluster]: infraId }))).filter((resource) => !(resource.kind === 'machine' && terminated.has(resource.id)));
}

it('provisions a ClusterDeployment on aws against moto to Ready, and deletes it to zero tagged resources', { timeout: 240_000 }, async () => {
  const object = clusterObject('aws-e2e', {
    platform: { aws: { region: REGION, credentialsSecretRef: { name: 'aws-e2e' } } },
    controlPlane: { replicas: 3 },
    compute: [{ name: 'worker', replicas: 2 }],
  });
  const handle = await startCluster(stack, object);
  const ready = await waitForCluster(handle, isReady, 150_000).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nworker output:\n${worker?.output() ?? ''}`);
  });
  const infraId = ready.status?.infraID ?? '';
  expect(infraId).not.toBe('');

  const machines = await liveMachines(infraId);
  expect(machines).toHaveLength(5);
  expect(new Set(machines.map((machine) => machine.tags[TAG.machine])).size).toBe(5);
  expect(machines.every((machine) => machine.providerId.startsWith('aws:///') && machine.tags[TAG.management] === stack.managementId)).toBe(true);
  const recorded = new Set(ready.status?.machines?.map((machine) => machine.providerID));
  expect(machines.every((machine) => recorded.has(machine.providerId))).toBe(true);
  const kinds = (await remainingResources(infraId)).map((resource) => resource.kind);
  expect(kinds).toContain('network');
  expect(kinds).toContain('securityGroup');
  // The API's load balancer and its target group, and the zone holding the API record.
  expect(kinds.filter((kind) => kind === 'loadBalancer')).toHaveLength(2);
  expect(kinds.filter((kind) => kind === 'dnsRecord')).toHaveLength(1);
  expect(ready.status?.apiURL).toBe('https://api.aws-e2e.example.test:6443');

  await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
  await handle.result();
  expect(await liveMachines(infraId)).toEqual([]);
  expect(await remainingResources(infraId)).toEqual([]);

  const workflowIds = [handle.workflowId, 'MachineDeployment/default/aws-e2e-worker'];
  for (const workflowId of workflowIds) {
    const history = JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory());
    expect(history).toContain('aws-e2e');
    expect(history).not.toContain(SECRET_ACCESS_KEY);
    expect(history).not.toContain(ACCESS_KEY_ID);
  }
  const log = worker?.output() ?? '';
  expect(log.length).toBeGreaterThan(0);
  expect(log).not.toContain(SECRET_ACCESS_KEY);
  expect(log).not.toContain(ACCESS_KEY_ID);
  expect(await replayFailures(stack.client, workflowIds, inject('workflowBundlePath'))).toEqual([]);
});
