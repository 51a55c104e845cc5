/**
 * The AWS adapter against moto's EC2, ELBv2 and Route 53: the shared provider contract through the
 * fault proxy (speaking EC2's error dialect), then what only EC2 has: tags on the instance and its
 * volumes, NextToken paging, launching into the cluster's subnet, instance states, and sweep order;
 * then the cluster API's load balancer and DNS zone: what is made, tags, idempotence under lost
 * answers, untagged zones, listing by tags, name limits, and ELB's and Route 53's error dialects.
 */
import { randomBytes } from 'node:crypto';
import { CreateSubnetCommand, CreateVpcCommand, DeleteSecurityGroupCommand, DescribeInstancesCommand, DescribeVolumesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import {
  CreateLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateHostedZoneCommand, GetHostedZoneCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, ListTagsForResourceCommand, Route53Client, type HostedZone } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsAdapter } from '../../providers/aws/adapter';
import { callerReferenceFor } from '../../providers/aws/dns';
import { apiLoadBalancerName, isTargetGroupArn } from '../../providers/aws/load-balancer';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type CloudResource, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy';
import { ec2FaultDialect, elbFaultDialect, isRoute53Request, route53FaultDialect, startMoto, type RunningMoto } from '../support/peers/moto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ApiClass } from '../../providers/rate-limit';
import { createClusterActivities } from '../../services/worker/cluster-activities';
import { ownerMarker } from '../../workflows/planners/names';
import { IMPATIENT_TIMEOUT_MS, describeProviderContract } from './provider-contract';
import { collect, errorOf } from '../support/async-checks';

const REGION = 'us-east-1';
/** How long an adapter waits for moto: it answers a service's first call slowly while it loads that backend, and slower still while other test files load the machine. */
const REQUEST_TIMEOUT_MS = 15_000;

function testKeys(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
}

describeProviderContract('aws', async () => {
  const moto = await startMoto();
  const proxy = await startFaultProxy({ upstream: moto.url, dialect: ec2FaultDialect(), seed: 11 });
  const requestTimeoutMs = REQUEST_TIMEOUT_MS;
  const pageSize = 10;
  const keys = testKeys();
  return {
    adapter: createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => keys, requestTimeoutMs, pageSize }),
    impatient: createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => keys, requestTimeoutMs: IMPATIENT_TIMEOUT_MS, pageSize }),
    credential: keys.secretAccessKey,
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await moto.stop();
    },
  };
}, { needsClusterNetwork: true, tagsResources: 'all' });

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
    adapter = createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => keys, requestTimeoutMs: REQUEST_TIMEOUT_MS, pageSize });
    ec2 = new EC2Client({ region: REGION, endpoint: moto.url, credentials: keys, maxAttempts: 1 });
    for (const infraId of ['tags-1', 'pages-1', 'states-1', 'foreign-1']) await adapter.ensureClusterInfra(infraRequest(infraId));
  });
  afterAll(async () => {
    ec2?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  const infraRequest = (infraId: string) => ({ infraId, clusterName: infraId, baseDomain: 'example.test', region: REGION, tags: ownershipTags({ managementId, infraId, createdAt: new Date().toISOString() }) });

  it('waits for the cluster\'s security group instead of launching without one', async () => {
    const infra = await adapter.ensureClusterInfra(infraRequest('nosg-1'));
    const group = infra.resources.find((resource) => resource.kind === 'securityGroup');
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: group?.id ?? '' }));
    // A fresh adapter, so the placement the first one remembered plays no part.
    const fresh = createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => testKeys(), requestTimeoutMs: REQUEST_TIMEOUT_MS, pageSize });
    const error = await errorOf(fresh.createMachine(request('nosg-1', 'm0')));
    expect(error.kind).toBe('retryable');
    expect(error.message).toMatch(/infrastructure of cluster nosg-1 is not ready: a security group tagged slipway.dev\/cluster=nosg-1 in vpc-\w+ is missing/);
    expect(await collect(fresh.listMachines({ [TAG.cluster]: 'nosg-1' }))).toEqual([]);
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
    expect(listed.map((resource) => resource.kind)).toEqual(['machine', 'dnsRecord', 'loadBalancer', 'loadBalancer', 'securityGroup', 'network', 'network']);
    expect(listed.map((resource) => resource.id)).toEqual([
      expect.stringMatching(/^aws:\/\/\/us-east-1[a-z]\/i-/),
      expect.stringMatching(/^[A-Z0-9]+$/),
      expect.stringMatching(/^arn:aws:elasticloadbalancing:us-east-1:\d+:loadbalancer\//),
      expect.stringMatching(/^arn:aws:elasticloadbalancing:us-east-1:\d+:targetgroup\//),
      expect.stringMatching(/^sg-/),
      expect.stringMatching(/^subnet-/),
      expect.stringMatching(/^vpc-/),
    ]);
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

  it('deleteClusterInfra leaves a cluster\'s infrastructure that another management plane tagged', async () => {
    const infraId = 'other-1';
    await adapter.ensureClusterInfra({ ...infraRequest(infraId), tags: ownershipTags({ managementId: 'mgmt-other', infraId, createdAt: new Date().toISOString() }) });
    const before = await collect(adapter.listResources({ [TAG.cluster]: infraId }));
    expect(before.map((resource) => resource.kind).sort()).toEqual(['dnsRecord', 'loadBalancer', 'loadBalancer', 'network', 'network', 'securityGroup']);
    await adapter.deleteClusterInfra(infraId, { managementId });
    expect((await collect(adapter.listResources({ [TAG.cluster]: infraId }))).map((resource) => resource.id).sort()).toEqual(before.map((resource) => resource.id).sort());
    await adapter.deleteClusterInfra(infraId, { managementId: 'mgmt-other' });
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });

  it('a cluster sweep leaves the machines of a standalone MachineDeployment (its owner marker) and deletes the rest', async () => {
    const infraId = 'owner-1';
    await adapter.ensureClusterInfra(infraRequest(infraId));
    const owner = ownerMarker('team-a', 'standalone');
    const loose = await adapter.createMachine(request(infraId, 'w0'));
    const owned = await adapter.createMachine(request(infraId, 'md-0', { tags: ownershipTags({ managementId, infraId, machineName: 'md-0', role: 'worker', createdAt: '2026-11-25T00:00:00.000Z', owner }) }));
    expect(owned.tags[TAG.owner]).toBe(owner);
    const activities = createClusterActivities({ adapters: async () => adapter });
    const target = { platform: 'aws', region: REGION } as const;
    await new MockActivityEnvironment().run(() => activities.sweepCluster({ target, infraId, managementId }));
    const left = (await collect(adapter.listMachines({ [TAG.cluster]: infraId }))).filter((machine) => machine.phase !== 'terminated' && machine.phase !== 'stopping');
    expect(left.map((machine) => machine.providerId)).toEqual([owned.providerId]);
    expect(left.map((machine) => machine.providerId)).not.toContain(loose.providerId);
  });

  it('takes a rate-limit token for every EC2, ELB and Route 53 request it sends, each page included', async () => {
    const taken: ApiClass[] = [];
    const metered = createAwsAdapter({ region: REGION, endpoint: proxy.url, credentials: async () => testKeys(), requestTimeoutMs: REQUEST_TIMEOUT_MS, pageSize, meter: async (apiClass) => void taken.push(apiClass) });
    const before = proxy.stats.requests;
    await metered.ensureClusterInfra(infraRequest('meter-1'));
    await collect(metered.listResources({ [TAG.cluster]: 'meter-1' }));
    expect(taken).toHaveLength(proxy.stats.requests - before);
    expect(taken).toContain('mutate');
    expect(taken).toContain('describe');
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

/** What the activity retry policy does for a call, reduced to a bounded loop. */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ProviderError) || !['throttled', 'retryable', 'notFound'].includes(error.kind) || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('aws adapter on moto: the cluster API\'s load balancer and DNS record', () => {
  let moto: RunningMoto;
  /** EC2's dialect; used for the resets and 5xx that need no dialect, too. */
  let proxy: FaultProxy;
  let elbProxy: FaultProxy;
  let route53Proxy: FaultProxy;
  let adapter: ProviderAdapter;
  let elbAdapter: ProviderAdapter;
  let route53Adapter: ProviderAdapter;
  let keys: { accessKeyId: string; secretAccessKey: string };
  /** Straight to moto, to see what the adapter wrote. */
  let ec2: EC2Client;
  let elb: ElasticLoadBalancingV2Client;
  let route53: Route53Client;
  const managementId = 'mgmt-aws-api';
  const baseDomain = 'example.test';

  const infraRequest = (infraId: string, clusterName = infraId) => ({
    infraId,
    clusterName,
    baseDomain,
    region: REGION,
    tags: ownershipTags({ managementId, infraId, createdAt: '2026-11-25T00:00:00.000Z' }),
  });

  const balancersNamed = async (name: string): Promise<LoadBalancer[]> => (await elb.send(new DescribeLoadBalancersCommand({ PageSize: 400 }))).LoadBalancers?.filter((balancer) => balancer.LoadBalancerName === name) ?? [];
  const groupsNamed = async (name: string): Promise<TargetGroup[]> => (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups?.filter((group) => group.TargetGroupName === name) ?? [];
  const zonesNamed = async (name: string): Promise<HostedZone[]> => (await route53.send(new ListHostedZonesByNameCommand({ DNSName: name }))).HostedZones?.filter((zone) => zone.Name === `${name}.`) ?? [];
  const elbTags = async (arn: string) => (await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0]?.Tags ?? [];
  const expectedTags = (infraId: string, name: string) => [...Object.entries(infraRequest(infraId).tags).map(([Key, Value]) => ({ Key, Value })), { Key: 'Name', Value: name }];

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ upstream: moto.url, dialect: ec2FaultDialect(), seed: 5 });
    elbProxy = await startFaultProxy({ upstream: moto.url, dialect: elbFaultDialect(), seed: 6 });
    route53Proxy = await startFaultProxy({ upstream: moto.url, dialect: route53FaultDialect(), faultable: isRoute53Request, seed: 7 });
    keys = testKeys();
    const options = { region: REGION, credentials: async () => keys, requestTimeoutMs: REQUEST_TIMEOUT_MS, pageSize: 5 };
    adapter = createAwsAdapter({ ...options, endpoint: proxy.url });
    elbAdapter = createAwsAdapter({ ...options, endpoint: elbProxy.url });
    route53Adapter = createAwsAdapter({ ...options, endpoint: route53Proxy.url });
    const direct = { region: REGION, endpoint: moto.url, credentials: keys, maxAttempts: 1 };
    ec2 = new EC2Client(direct);
    elb = new ElasticLoadBalancingV2Client(direct);
    route53 = new Route53Client(direct);
  });
  afterAll(async () => {
    ec2?.destroy();
    elb?.destroy();
    route53?.destroy();
    await route53Proxy?.stop();
    await elbProxy?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  it('registers a control-plane machine in the API target group, and deregisters it before deleting it; workers stay out', async () => {
    const infraId = 'cp-1';
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    const group = infra.resources.find((resource) => isTargetGroupArn(resource.id));
    const machine = (role: 'control-plane' | 'worker', machineName: string) =>
      adapter.createMachine({
        name: `${infraId}-${machineName}`,
        idempotencyToken: `${infraId}${machineName}`.replaceAll('-', ''),
        role,
        instanceType: 't3.large',
        image: 'ami-0123456789abcdef0',
        infraId,
        tags: ownershipTags({ managementId, infraId, machineName, role, createdAt: '2026-11-25T00:00:00.000Z' }),
      });
    const targets = async () => ((await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group?.id }))).TargetHealthDescriptions ?? []).map((target) => [target.Target?.Id, target.Target?.Port]);
    const master = await machine('control-plane', 'master-0');
    await machine('worker', 'worker-0');
    const instanceId = master.providerId.split('/').at(-1);
    expect(await targets()).toEqual([[instanceId, 6443]]);
    await adapter.deleteMachine(master.providerId);
    expect(await targets()).toEqual([]);
  });

  it('puts an internal NLB in the cluster\'s subnet, with a TCP 6443 target group in its VPC and a TCP 6443 listener to it, both tagged', async () => {
    const infraId = 'api-1';
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    const subnet = infra.resources.find((resource) => resource.id.startsWith('subnet-'));
    const vpc = infra.resources.find((resource) => resource.id.startsWith('vpc-'));
    const [balancer, ...moreBalancers] = await balancersNamed('api-1-api');
    expect(moreBalancers).toEqual([]);
    expect(balancer).toMatchObject({ Type: 'network', Scheme: 'internal', VpcId: vpc?.id, IpAddressType: 'ipv4' });
    expect(balancer?.AvailabilityZones?.map((zone) => zone.SubnetId)).toEqual([subnet?.id]);
    expect(await elbTags(balancer?.LoadBalancerArn ?? '')).toEqual(expect.arrayContaining(expectedTags(infraId, 'api-1-api')));

    const [group, ...moreGroups] = await groupsNamed('api-1-api');
    expect(moreGroups).toEqual([]);
    expect(group).toMatchObject({ Protocol: 'TCP', Port: 6443, VpcId: vpc?.id, TargetType: 'instance' });
    expect(await elbTags(group?.TargetGroupArn ?? '')).toEqual(expect.arrayContaining(expectedTags(infraId, 'api-1-api')));

    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: balancer?.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).toMatchObject({ Protocol: 'TCP', Port: 6443, DefaultActions: [{ Type: 'forward', TargetGroupArn: group?.TargetGroupArn }] });

    const ids = infra.resources.filter((resource) => resource.kind === 'loadBalancer').map((resource) => resource.id);
    expect(ids.sort()).toEqual([balancer?.LoadBalancerArn, group?.TargetGroupArn].sort());
  });

  it('makes a private zone <cluster>.<base domain> in the cluster\'s VPC, tagged, whose api record aliases the NLB; apiURL names it', async () => {
    const infraId = 'api-1';
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(infra.apiURL).toBe('https://api.api-1.example.test:6443');
    const vpc = infra.resources.find((resource) => resource.id.startsWith('vpc-'));
    const [zone, ...moreZones] = await zonesNamed('api-1.example.test');
    expect(moreZones).toEqual([]);
    const zoneId = (zone?.Id ?? '').replace('/hostedzone/', '');
    expect(infra.resources.filter((resource) => resource.kind === 'dnsRecord').map((resource) => resource.id)).toEqual([zoneId]);
    const described = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
    expect(described.HostedZone?.Config?.PrivateZone).toBe(true);
    expect(described.VPCs).toEqual([{ VPCId: vpc?.id, VPCRegion: REGION }]);
    const tags = (await route53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }))).ResourceTagSet?.Tags;
    expect(tags).toEqual(expect.arrayContaining(expectedTags(infraId, 'api-1-dns')));

    const [balancer] = await balancersNamed('api-1-api');
    const records = (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
    const api = records.filter((record) => record.Name === 'api.api-1.example.test.');
    expect(api).toEqual([{ Name: 'api.api-1.example.test.', Type: 'A', AliasTarget: { DNSName: balancer?.DNSName, HostedZoneId: balancer?.CanonicalHostedZoneId, EvaluateTargetHealth: false } }]);
  });

  it('makes no second load balancer, target group, listener or zone when an ensure is repeated after a lost answer', async () => {
    const infraId = 'api-1';
    const before = await adapter.ensureClusterInfra(infraRequest(infraId));
    const after = await adapter.ensureClusterInfra({ ...infraRequest(infraId), tags: ownershipTags({ managementId, infraId, createdAt: '2026-11-25T00:00:09.000Z' }) });
    expect(after.resources.map((resource) => resource.id).sort()).toEqual(before.resources.map((resource) => resource.id).sort());
    expect(await balancersNamed('api-1-api')).toHaveLength(1);
    expect(await groupsNamed('api-1-api')).toHaveLength(1);
    const [balancer] = await balancersNamed('api-1-api');
    expect((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: balancer?.LoadBalancerArn }))).Listeners).toHaveLength(1);
    expect(await zonesNamed('api-1.example.test')).toHaveLength(1);
  });

  it('a lost answer at any step (moto acted, the connection reset) leaves one of each after a retried ensure, and nothing after a retried delete', { timeout: 150_000 }, async () => {
    const infraId = 'api-lost';
    const lostAnswerAt = (step: number): Fault[] => [...Array.from({ length: step - 1 }, (): Fault => ({ kind: 'slow', delayMs: 0 })), { kind: 'resetAfter' }];
    const count = async (run: () => Promise<unknown>): Promise<number> => {
      const before = proxy.stats.requests;
      await run();
      return proxy.stats.requests - before;
    };
    const ensureSteps = await count(() => adapter.ensureClusterInfra(infraRequest(infraId)));
    const deleteSteps = await count(() => adapter.deleteClusterInfra(infraId));
    expect(ensureSteps).toBeGreaterThan(15);
    expect(deleteSteps).toBeGreaterThan(15);
    for (let step = 1; step <= Math.max(ensureSteps, deleteSteps); step += 1) {
      if (step <= ensureSteps) proxy.script(lostAnswerAt(step));
      await retried(() => adapter.ensureClusterInfra(infraRequest(infraId)));
      const listed = await collect(adapter.listResources({ [TAG.cluster]: infraId }));
      expect(listed.map((resource) => resource.kind), `answer ${step} of the ensure lost`).toEqual(['dnsRecord', 'loadBalancer', 'loadBalancer', 'securityGroup', 'network', 'network']);
      const [balancer, ...more] = await balancersNamed('api-lost-api');
      expect(more, `answer ${step} of the ensure lost`).toEqual([]);
      expect((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: balancer?.LoadBalancerArn }))).Listeners, `answer ${step} of the ensure lost`).toHaveLength(1);
      expect(await zonesNamed('api-lost.example.test'), `answer ${step} of the ensure lost`).toHaveLength(1);

      if (step <= deleteSteps) proxy.script(lostAnswerAt(step));
      await retried(() => adapter.deleteClusterInfra(infraId));
      expect(await collect(adapter.listResources({ [TAG.cluster]: infraId })), `answer ${step} of the delete lost`).toEqual([]);
      expect(await balancersNamed('api-lost-api'), `answer ${step} of the delete lost`).toEqual([]);
      expect(await groupsNamed('api-lost-api'), `answer ${step} of the delete lost`).toEqual([]);
      expect(await zonesNamed('api-lost.example.test'), `answer ${step} of the delete lost`).toEqual([]);
    }
    expect(proxy.stats.injected.resetAfter).toBeGreaterThanOrEqual(ensureSteps + deleteSteps);
  });

  it('adopts and tags a zone a crash left untagged after CreateHostedZone, and deleteClusterInfra removes untagged zones of the cluster', async () => {
    const infraId = 'api-untagged';
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc?.VpcId ?? '';
    const zoneOf = async (generation: number) =>
      (await route53.send(new CreateHostedZoneCommand({ Name: 'api-untagged.example.test', CallerReference: callerReferenceFor(infraId, generation), VPC: { VPCId: vpc, VPCRegion: REGION }, HostedZoneConfig: { PrivateZone: true } }))).HostedZone?.Id ?? '';
    const crashed = (await zoneOf(0)).replace('/hostedzone/', '');
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(infra.resources.filter((resource) => resource.kind === 'dnsRecord').map((resource) => resource.id)).toEqual([crashed]);
    const tags = (await route53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: crashed }))).ResourceTagSet?.Tags;
    expect(tags).toEqual(expect.arrayContaining(expectedTags(infraId, 'api-untagged-dns')));

    await zoneOf(1); // another crash: made, never tagged, so no tag query finds it
    expect(await zonesNamed('api-untagged.example.test')).toHaveLength(2);
    await adapter.deleteClusterInfra(infraId);
    expect(await zonesNamed('api-untagged.example.test')).toEqual([]);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });

  it('lists only the queried cluster\'s zones, load balancers and target groups, across pages, never one without the management tag', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }))).Vpc?.VpcId ?? '';
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.8.0.0/24' }))).Subnet?.SubnetId ?? '';
    // More load balancers than a page (5) holds, made first so that api-2's is on a later page; all claim cluster api-2 without the management tag.
    for (let index = 0; index < 6; index += 1) {
      await elb.send(new CreateLoadBalancerCommand({ Name: `foreign-${index}`, Type: 'network', Scheme: 'internal', Subnets: [subnet], Tags: [{ Key: TAG.cluster, Value: 'api-2' }] }));
    }
    await adapter.ensureClusterInfra(infraRequest('api-2'));
    expect((await elb.send(new DescribeLoadBalancersCommand({ PageSize: 5 }))).LoadBalancers?.map((balancer) => balancer.LoadBalancerName)).not.toContain('api-2-api');
    const listed = await collect(elbAdapter.listResources({ [TAG.management]: managementId, [TAG.cluster]: 'api-2' }));
    expect(listed.map((resource) => `${resource.kind} ${resource.name}`)).toEqual([
      'dnsRecord api-2-dns',
      'loadBalancer api-2-api',
      'loadBalancer api-2-api',
      'securityGroup api-2-sg',
      'network api-2-subnet',
      'network api-2-vpc',
    ]);
    for (const resource of listed) expect(resource.tags).toMatchObject({ [TAG.management]: managementId, [TAG.cluster]: 'api-2' });
  });

  it('names the load balancer and target group within ELB\'s 32 characters for the longest infra ID', async () => {
    const infraId = `${'l'.repeat(27)}-x1y2z`;
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId, 'long'));
    const name = apiLoadBalancerName(infraId);
    expect(name.length).toBeLessThanOrEqual(32);
    expect(await balancersNamed(name)).toHaveLength(1);
    expect(await groupsNamed(name)).toHaveLength(1);
    expect(infra.resources.filter((resource) => resource.kind === 'loadBalancer').map((resource) => resource.name)).toEqual([name, name]);
    await adapter.deleteClusterInfra(infraId);
    expect(await balancersNamed(name)).toEqual([]);
  });

  it('classifies ELB throttling (with the retry hint) and 5xx, and Route 53 Throttling, PriorRequestNotComplete and 5xx, with no credential in the message', async () => {
    const infra = await adapter.ensureClusterInfra(infraRequest('api-3'));
    const balancer = infra.resources.find((resource) => resource.kind === 'loadBalancer' && resource.id.includes(':loadbalancer/'));
    const zone = infra.resources.find((resource) => resource.kind === 'dnsRecord');
    if (!balancer || !zone) throw new Error('api-3 has no load balancer or zone');
    const errors: ProviderError[] = [];

    elbProxy.script([{ kind: 'throttle', retryAfterSeconds: 2 }, { kind: 'serverError' }]);
    errors.push(await errorOf(elbAdapter.deleteResource(balancer)));
    expect(errors.at(-1)).toMatchObject({ kind: 'throttled', details: { retryAfterMs: 2000 } });
    expect(errors.at(-1)?.message).toMatch(/Throttling/);
    errors.push(await errorOf(elbAdapter.deleteResource(balancer)));
    expect(errors.at(-1)?.kind).toBe('retryable');

    route53Proxy.script([{ kind: 'throttle' }, { kind: 'throttle', retryAfterSeconds: 1 }, { kind: 'serverError' }]);
    errors.push(await errorOf(route53Adapter.deleteResource(zone)));
    expect(errors.at(-1)?.kind).toBe('throttled');
    expect(errors.at(-1)?.message).toMatch(/Throttling/);
    errors.push(await errorOf(route53Adapter.deleteResource(zone)));
    expect(errors.at(-1)).toMatchObject({ kind: 'throttled', details: { retryAfterMs: 1000 } });
    expect(errors.at(-1)?.message).toMatch(/PriorRequestNotComplete/);
    errors.push(await errorOf(route53Adapter.deleteResource(zone)));
    expect(errors.at(-1)?.kind).toBe('retryable');
    for (const error of errors) expect(`${error.message} ${JSON.stringify(error.details)} ${error.stack ?? ''}`).not.toContain(keys.secretAccessKey);

    // Nothing was deleted by the failed calls; now they go, and going again succeeds.
    expect(await balancersNamed('api-3-api')).toHaveLength(1);
    await adapter.deleteClusterInfra('api-3');
    await adapter.deleteClusterInfra('api-3');
    for (const resource of infra.resources) await adapter.deleteResource(resource);
  });
});
