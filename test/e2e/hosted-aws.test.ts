/**
 * A HostedCluster on platform AWS, end to end against moto: its worker network and security rules
 * are built through the AWS adapter (credentials from a secret, resolved inside the activities),
 * its control plane runs locally under the supervisor, and its NodePool's machines are EC2
 * instances in the cluster's subnet. There is no kubelet behind an EC2 instance here, so the pool
 * is Ready from its machines' running state and says its Nodes are not reported. Deleting the
 * cluster removes the NodePool, then the control plane, then the infrastructure, leaving nothing
 * in moto tagged with the infra ID and the control plane's port free.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client, type Instance, type Tag } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { portIsFree } from '../../infra/processes';
import { createAwsAdapter } from '../../providers/aws/adapter';
import { TAG } from '../../providers/tags';
import type { ProviderAdapter } from '../../providers/types';
import { fileSecretStore } from '../../services/worker/secrets';
import { startTestApi, type TestApi } from '../support/api';
import { collect, eventually } from '../support/async-checks';
import { RELEASE_4_21 } from '../support/hosted-clusters';
import { startMoto, type RunningMoto } from '../support/peers/moto';
import { startTestStack, type TestStack } from '../support/stack';

const REGION = 'us-east-1';
const ACCESS_KEY_ID = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET_ACCESS_KEY = `slipway-e2e-${randomBytes(18).toString('base64url')}`;
const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';
const suffix = randomBytes(3).toString('hex');
const HC = `hca-${suffix}`;
const NP = `hca-np-${suffix}`;

let moto: RunningMoto;
let stack: TestStack;
let api: TestApi;
let ec2: EC2Client;
let cloud: ProviderAdapter;

beforeAll(async () => {
  moto = await startMoto();
  stack = await startTestStack({ supervisor: true, adapterEnv: { SLIPWAY_AWS_ENDPOINT: moto.url } });
  const secrets = join(stack.home, 'secrets', 'default');
  await mkdir(secrets, { recursive: true });
  await writeFile(join(secrets, 'hca-aws.json'), JSON.stringify({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }), { mode: 0o600 });
  api = await startTestApi(stack, { secrets: fileSecretStore(join(stack.home, 'secrets')) });
  const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY };
  ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials });
  cloud = createAwsAdapter({ region: REGION, endpoint: moto.url, credentials: async () => credentials });
});

afterAll(async () => {
  ec2?.destroy();
  await api?.close();
  await stack?.stop();
  await moto?.stop();
});

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}
interface Listed {
  readonly spec: Record<string, unknown>;
  readonly status?: { readonly conditions?: readonly Condition[]; readonly infraID?: string; readonly controlPlaneEndpoint?: { host: string; port: number }; readonly readyReplicas?: number; readonly machines?: readonly { name: string; providerID?: string }[] };
}

const conditionOf = (object: Listed, type: string) => object.status?.conditions?.find((condition) => condition.type === type);
const get = async (path: string) => api.request('GET', `${NS}/${path}`);
const waitFor = async (path: string, done: (object: Listed) => boolean, timeoutMs: number): Promise<Listed> =>
  (await eventually(get.bind(undefined, path), (answer) => answer.status === 200 && done(answer.body as Listed), timeoutMs, 250).catch(async (error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${path}: ${JSON.stringify((await get(path)).body, undefined, 1)}`);
  })).body as Listed;

const tagOf = (tags: readonly Tag[] | undefined, key: string) => tags?.find((tag) => tag.Key === key)?.Value;
const clusterFilter = (infraId: string) => [{ Name: `tag:${TAG.cluster}`, Values: [infraId] }];

async function liveInstances(infraId: string): Promise<Instance[]> {
  const answer = await ec2.send(new DescribeInstancesCommand({ Filters: clusterFilter(infraId) }));
  return (answer.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []).filter((instance) => instance.State?.Name !== 'terminated');
}

/** Everything the adapter lists as tagged with the infra ID, terminated instances aside (they are gone). */
async function remaining(infraId: string): Promise<string[]> {
  const terminated = new Set((await collect(cloud.listMachines({ [TAG.cluster]: infraId }))).filter((machine) => machine.phase === 'terminated').map((machine) => machine.providerId));
  return (await collect(cloud.listResources({ [TAG.cluster]: infraId }))).filter((resource) => !(resource.kind === 'machine' && terminated.has(resource.id))).map((resource) => `${resource.kind} ${resource.id}`);
}

/** Each activity a workflow scheduled, in order, with when (ms). */
async function scheduled(workflowId: string): Promise<{ name: string; at: number }[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [{ name, at: Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6) }] : [];
  });
}

/** When each activity of a workflow was first scheduled (ms). */
const firstScheduled = async (workflowId: string): Promise<Record<string, number>> =>
  Object.fromEntries((await scheduled(workflowId)).reverse().map(({ name, at }) => [name, at]));


it('runs a HostedCluster on aws against moto: worker network and NodePool machines in EC2, control plane local, and deletes it to nothing', { timeout: 180_000 }, async () => {
  const created = await api.request('POST', `${NS}/hostedclusters`, {
    body: {
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'HostedCluster',
      metadata: { name: HC },
      spec: { release: { image: RELEASE_4_21 }, platform: { type: 'AWS', aws: { region: REGION, credentialsSecretRef: { name: 'hca-aws' } } }, dns: { baseDomain: 'example.test' } },
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const available = await waitFor(`hostedclusters/${HC}`, (object) => conditionOf(object, 'Available')?.status === 'True', 90_000);
  expect(conditionOf(available, 'InfrastructureReady')?.status).toBe('True');
  const infraId = available.status?.infraID ?? '';
  expect(infraId).not.toBe('');
  // The control plane is the supervisor's: on loopback, not behind the cloud's load balancer.
  const endpoint = available.status?.controlPlaneEndpoint;
  expect(endpoint?.host).toBe('127.0.0.1');
  expect(await portIsFree(endpoint!.port)).toBe(false);
  expect((await stack.supervisor!.client.list()).length).toBe(1);

  // The worker network, read back from moto: a VPC, a subnet in it, a security group, all carrying the infra ID.
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: clusterFilter(infraId) }))).Vpcs ?? [];
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: clusterFilter(infraId) }))).Subnets ?? [];
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: clusterFilter(infraId) }))).SecurityGroups ?? [];
  expect([vpcs.length, subnets.length, groups.length]).toEqual([1, 1, 1]);
  expect(subnets[0]?.VpcId).toBe(vpcs[0]?.VpcId);
  expect(groups[0]?.VpcId).toBe(vpcs[0]?.VpcId);
  expect(tagOf(vpcs[0]?.Tags, TAG.management)).toBe(stack.managementId);
  expect(groups[0]?.IpPermissions?.length).toBeGreaterThan(0);

  const pool = await api.request('POST', `${NS}/nodepools`, {
    body: {
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'NodePool',
      metadata: { name: NP },
      spec: { clusterName: HC, release: { image: RELEASE_4_21 }, replicas: 2, platform: { type: 'AWS', aws: { instanceType: 'm6i.large', ami: 'ami-0123456789abcdef0' } } },
    },
  });
  expect(pool.status, JSON.stringify(pool.body)).toBe(201);
  const ready = await waitFor(`nodepools/${NP}`, (object) => conditionOf(object, 'Ready')?.status === 'True', 60_000);
  expect(ready.status?.readyReplicas).toBe(2);
  // No kubelet stands behind an EC2 instance here: the pool says so instead of waiting for Nodes.
  expect(conditionOf(ready, 'AllMachinesReady')?.status).toBe('True');
  expect(conditionOf(ready, 'AllNodesHealthy')).toMatchObject({ status: 'Unknown', reason: 'NodesNotReported' });

  const instances = await liveInstances(infraId);
  expect(instances).toHaveLength(2);
  for (const instance of instances) {
    expect(instance.State?.Name).toBe('running');
    expect(instance.SubnetId).toBe(subnets[0]?.SubnetId);
    expect(instance.SecurityGroups?.map((group) => group.GroupId)).toEqual([groups[0]?.GroupId]);
    expect(instance.InstanceType).toBe('m6i.large');
    expect(instance.ImageId).toBe('ami-0123456789abcdef0');
    expect(tagOf(instance.Tags, TAG.management)).toBe(stack.managementId);
    expect(tagOf(instance.Tags, TAG.role)).toBe('worker');
    expect(tagOf(instance.Tags, TAG.machine)).toMatch(new RegExp(`^${HC}-${NP}-`));
  }
  const recorded = new Set(ready.status?.machines?.map((machine) => machine.providerID));
  expect(instances.every((instance) => recorded.has(`aws:///${instance.Placement?.AvailabilityZone ?? ''}/${instance.InstanceId ?? ''}`))).toBe(true);

  expect((await api.request('DELETE', `${NS}/hostedclusters/${HC}`)).status).toBeLessThan(300);
  await eventually(get.bind(undefined, `hostedclusters/${HC}`), (answer) => answer.status === 404, 90_000, 250);
  expect((await get(`nodepools/${NP}`)).status).toBe(404);

  // The NodePool (its machines with it) went first, then the control plane, then the infrastructure.
  const clusterSteps = await firstScheduled(`HostedCluster/default/${HC}`);
  // The pool reports itself gone once its MachineDeployment (every machine deleted) has closed.
  const machinesClosed = (await stack.client.workflow.getHandle(`MachineDeployment/default/${HC}-${NP}`).describe()).closeTime?.getTime() ?? Number.POSITIVE_INFINITY;
  const lastMachineDelete = Math.max(...(await scheduled(`MachineDeployment/default/${HC}-${NP}`)).filter(({ name }) => name === 'deleteMachine').map(({ at }) => at));
  expect(lastMachineDelete).toBeLessThan(machinesClosed);
  expect(machinesClosed).toBeLessThanOrEqual(clusterSteps.deleteControlPlane ?? 0);
  expect((await stack.client.workflow.getHandle(`NodePool/default/${NP}`).describe()).status.name).toBe('COMPLETED');
  expect(clusterSteps.deleteControlPlane).toBeLessThan(clusterSteps.deleteClusterInfra ?? 0);
  expect(clusterSteps.deleteClusterInfra).toBeLessThan(clusterSteps.sweepCluster ?? 0);

  expect(await liveInstances(infraId)).toEqual([]);
  expect(await remaining(infraId)).toEqual([]);
  expect(await portIsFree(endpoint!.port)).toBe(true);
  expect(await stack.supervisor!.client.list()).toEqual([]);

  // The workflows carried the secret's name only, never the credential.
  for (const workflowId of [`HostedCluster/default/${HC}`, `NodePool/default/${NP}`, `MachineDeployment/default/${HC}-${NP}`]) {
    // Payloads are base64 in the history: read them decoded.
    const history = JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory()).replace(/"data":"([A-Za-z0-9+/=]*)"/g, (_all, data: string) => Buffer.from(data, 'base64').toString());
    expect(history.includes('"credentialsRef":{"namespace":"default","name":"hca-aws"}') || history.includes('"credentialsSecretRef":{"name":"hca-aws"}'), workflowId).toBe(true);
    expect(history.includes(SECRET_ACCESS_KEY) || history.includes(ACCESS_KEY_ID), workflowId).toBe(false);
  }
});
