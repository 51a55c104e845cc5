/**
 * The AWS adapter against moto's EC2: the shared provider contract through the fault proxy
 * (speaking EC2's error dialect), then what only EC2 has: tags on the instance and its volumes,
 * NextToken paging, launching into the cluster's subnet, instance states, and sweep order.
 */
import { randomBytes } from 'node:crypto';
import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsAdapter } from '../../providers/aws/adapter';
import { TAG, ownershipTags } from '../../providers/tags';
import type { CloudResource, MachineCreateRequest, ProviderAdapter } from '../../providers/types';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { ec2FaultDialect, startMoto, type RunningMoto } from '../support/peers/moto';
import { describeProviderContract } from './provider-contract';

const REGION = 'us-east-1';

function testKeys(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
}

describeProviderContract('aws', async () => {
  const moto = await startMoto();
  const proxy = await startFaultProxy({ upstream: moto.url, dialect: ec2FaultDialect(), seed: 11 });
  const requestTimeoutMs = 5_000;
  const pageSize = 10;
  const keys = testKeys();
  return {
    adapter: createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => keys, requestTimeoutMs, pageSize }),
    credential: keys.secretAccessKey,
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await moto.stop();
    },
  };
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('aws adapter on moto: what EC2 alone has', () => {
  let moto: RunningMoto;
  let proxy: FaultProxy;
  let adapter: ProviderAdapter;
  /** Straight to moto, to see what the adapter wrote. */
  let ec2: EC2Client;
  const managementId = 'mgmt-aws';
  const pageSize = 5;

  const request = (infraId: string, machineName: string, overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest => ({
    name: `${infraId}-${machineName}`,
    idempotencyToken: `${infraId}${machineName}`.replaceAll('-', ''),
    role: 'worker',
    instanceType: 't3.large',
    image: 'ami-0123456789abcdef0',
    infraId,
    tags: ownershipTags({ managementId, infraId, machineName, role: 'worker', createdAt: '2026-11-25T00:00:00.000Z' }),
    ...overrides,
  });

  const rawInstance = async (providerId: string): Promise<Instance> => {
    const instanceId = providerId.split('/').at(-1) ?? '';
    const answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = answer.Reservations?.[0]?.Instances?.[0];
    if (!instance) throw new Error(`moto does not know ${instanceId}`);
    return instance;
  };

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ upstream: moto.url, dialect: ec2FaultDialect(), seed: 3 });
    const keys = testKeys();
    adapter = createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => keys, requestTimeoutMs: 5_000, pageSize });
    ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials: keys, maxAttempts: 1 });
  });
  afterAll(async () => {
    ec2?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  it('writes the canonical tags and Name on the instance and on its volumes, as EC2 tags', async () => {
    const wanted = request('tags-1', 'm0');
    const machine = await adapter.createMachine(wanted);
    expect(machine.providerId).toMatch(/^aws:\/\/\/us-east-1[a-z]\/i-[0-9a-f]+$/);
    const instance = await rawInstance(machine.providerId);
    const expected = [...Object.entries(wanted.tags).map(([Key, Value]) => ({ Key, Value })), { Key: 'Name', Value: wanted.name }];
    expect(instance.Tags).toEqual(expect.arrayContaining(expected));
    const volumes = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instance.InstanceId ?? ''] }] }));
    expect(volumes.Volumes?.length).toBeGreaterThan(0);
    for (const volume of volumes.Volumes ?? []) expect(volume.Tags).toEqual(expect.arrayContaining(expected));
  });

  it('streams listMachines with NextToken, one DescribeInstances per page, fetching a page only when it is reached', async () => {
    const infraId = 'pages-1';
    const count = pageSize * 2 + 2;
    for (let index = 0; index < count; index += 1) await adapter.createMachine(request(infraId, `w${index}`));
    const query = { [TAG.cluster]: infraId };
    let before = proxy.stats.requests;
    expect(await collect(adapter.listMachines(query))).toHaveLength(count);
    expect(proxy.stats.requests - before).toBe(3);
    before = proxy.stats.requests;
    for await (const machine of adapter.listMachines(query)) {
      expect(machine.tags[TAG.cluster]).toBe(infraId);
      break;
    }
    expect(proxy.stats.requests - before).toBe(1);
  });

  it('launches a cluster\'s machines into its subnet and security group', async () => {
    const infraId = 'placed-1';
    const infra = await adapter.ensureClusterInfra({ infraId, clusterName: 'placed', baseDomain: 'example.test', region: REGION, tags: ownershipTags({ managementId, infraId, createdAt: new Date().toISOString() }) });
    expect(infra.apiURL).toBe('https://api.placed.example.test:6443');
    const subnet = infra.resources.find((resource) => resource.id.startsWith('subnet-'));
    const group = infra.resources.find((resource) => resource.kind === 'securityGroup');
    const machine = await adapter.createMachine(request(infraId, 'm0'));
    const instance = await rawInstance(machine.providerId);
    expect(instance.SubnetId).toBe(subnet?.id);
    expect(instance.SecurityGroups?.map((attached) => attached.GroupId)).toEqual([group?.id]);
    expect(machine.privateIp).toMatch(/^10\.0\./);
  });

  it('lists a cluster\'s resources in the order a sweep deletes them, and deleteResource removes each', async () => {
    const infraId = 'placed-1';
    const listed: CloudResource[] = await collect(adapter.listResources({ [TAG.management]: managementId, [TAG.cluster]: infraId }));
    expect(listed.map((resource) => resource.kind)).toEqual(['machine', 'securityGroup', 'network', 'network']);
    expect(listed.map((resource) => resource.id)).toEqual([expect.stringMatching(/^aws:\/\/\/us-east-1[a-z]\/i-/), expect.stringMatching(/^sg-/), expect.stringMatching(/^subnet-/), expect.stringMatching(/^vpc-/)]);
    for (const resource of listed) await adapter.deleteResource(resource);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });

  it('reports a stopped instance as a failed machine, and a shutting-down one as stopping', async () => {
    const machine = await adapter.createMachine(request('states-1', 'm0'));
    await ec2.send(new StopInstancesCommand({ InstanceIds: [(await rawInstance(machine.providerId)).InstanceId ?? ''] }));
    expect((await adapter.describeMachine(machine.name))?.phase).toBe('failed');
    await adapter.deleteMachine(machine.providerId);
    const after = await adapter.describeMachine(machine.name);
    expect(after === undefined || after.phase === 'stopping').toBe(true);
  });

  it('never lists, describes or adopts an instance without the management tag', async () => {
    const name = 'foreign-1-m0';
    await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0123456789abcdef0',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }, { Key: TAG.cluster, Value: 'foreign-1' }, { Key: TAG.machine, Value: 'm0' }] }],
      }),
    );
    expect(await collect(adapter.listMachines({ [TAG.cluster]: 'foreign-1' }))).toEqual([]);
    expect(await adapter.describeMachine(name)).toBeUndefined();
    const ours = await adapter.createMachine(request('foreign-1', 'm0'));
    expect(ours.tags[TAG.management]).toBe(managementId);
    expect((await collect(adapter.listMachines({ [TAG.cluster]: 'foreign-1' }))).map((machine) => machine.providerId)).toEqual([ours.providerId]);
  });
});
