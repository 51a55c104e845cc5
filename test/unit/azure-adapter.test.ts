/**
 * What the contract suite does not pin down for Azure, against the ARM emulator: the machine
 * phases across ARM's provisioning states, the cluster's network and where machines land in
 * it, capacity and throttling answers from the emulator itself, and a refused service principal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureAdapterOptionsFrom, createAzureAdapter } from '../../providers/azure/adapter';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type CloudMachine, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';
import { apiBackendPoolId } from '../../providers/azure/names';
import { backendPoolMembers } from '../emulators/azure-arm/references';
import { startAzureTestCloud, type AzureTestCloud } from '../emulators/azure-arm/test-cloud';
import { collect, sleep } from '../support/async-checks';

const OPERATION_MS = 300;
let cloud: AzureTestCloud;
let adapter: ProviderAdapter;

function request(infraId: string, machineName: string, overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest {
  return {
    name: `${infraId}-${machineName}`,
    idempotencyToken: `${infraId}${machineName}`,
    role: 'worker',
    instanceType: 'Standard_D4s_v5',
    image: 'rhcos-4.16',
    infraId,
    tags: ownershipTags({ managementId: 'mgmt-a', infraId, machineName, role: 'worker', createdAt: '2026-11-25T00:00:00.000Z' }),
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

beforeAll(async () => {
  cloud = await startAzureTestCloud({
    operationMs: OPERATION_MS,
    operationPolls: 1_000,
    behaviour: { vmQuota: 8, unavailableSizes: ['Standard_NotHere'], allocationFailureSizes: ['Standard_NoCapacity'] },
  });
  adapter = createAzureAdapter({ ...cloud.adapterOptions(), requestTimeoutMs: 5_000 });
  for (const infraId of ['phases-a1b2c', 'list-j7k8l', 'capacity-m9n0p']) await adapter.ensureClusterInfra(infraRequest(infraId, 'mgmt-a'));
});

function infraRequest(infraId: string, managementId: string) {
  return { infraId, clusterName: infraId, baseDomain: 'example.test', region: 'eastus', tags: ownershipTags({ managementId, infraId, createdAt: '2026-11-25T00:00:00.000Z' }) };
}
afterAll(async () => {
  await cloud?.stop();
});

describe('Azure adapter against the ARM emulator', () => {
  it('reports pending while Creating, running once provisioned, stopping while Deleting, and nothing once gone', async () => {
    const created = await adapter.createMachine(request('phases-a1b2c', 'w-0'));
    expect(created.phase).toBe('pending');
    expect(created.providerId).toMatch(/^azure:\/\/\/subscriptions\/[^/]+\/resourceGroups\/phases-a1b2c-rg\/providers\/Microsoft\.Compute\/virtualMachines\/phases-a1b2c-w-0$/);
    expect((await adapter.describeMachine(created.name))?.phase).toBe('pending');
    await sleep(OPERATION_MS + 50);
    const running = await adapter.describeMachine(created.name);
    expect(running).toMatchObject({ phase: 'running', providerId: created.providerId, tags: request('phases-a1b2c', 'w-0').tags });
    expect(running?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await adapter.deleteMachine(created.providerId);
    expect((await adapter.describeMachine(created.name))?.phase).toBe('stopping');
    await sleep(OPERATION_MS + 50);
    expect(await adapter.describeMachine(created.name)).toBeUndefined();
  });

  it('waits for the cluster group and network instead of making them for a machine, then places it in them', async () => {
    const early = await failure(adapter.createMachine(request('lazy-d3e4f', 'master-0', { role: 'control-plane' })));
    expect(early.kind).toBe('retryable');
    expect(early.message).toMatch(/infrastructure of cluster lazy-d3e4f is not ready: the resource group lazy-d3e4f-rg .* is missing/);
    expect(cloud.emulator.state.group('lazy-d3e4f-rg')).toBeUndefined();
    await adapter.ensureClusterInfra(infraRequest('lazy-d3e4f', 'mgmt-a'));
    await adapter.createMachine(request('lazy-d3e4f', 'master-0', { role: 'control-plane' }));
    const vm = [...cloud.emulator.state.resources.values()].find((resource) => resource.name === 'lazy-d3e4f-master-0');
    expect(JSON.stringify(vm?.properties.networkProfile)).toMatch(/virtualNetworks\/lazy-d3e4f-vnet\/subnets\/lazy-d3e4f-master-subnet/);
  });

  it('neither adopts nor deletes a resource group of the cluster\'s name that lacks our management tag or is another plane\'s', async () => {
    const bare = 'bare-q1r2s';
    cloud.emulator.state.groups.set(`${bare}-rg`, { id: cloud.emulator.state.groupId(`${bare}-rg`), name: `${bare}-rg`, location: 'eastus', tags: { 'slipway.dev_cluster': bare }, provisioningState: 'Succeeded' });
    const adopted = await failure(adapter.ensureClusterInfra(infraRequest(bare, 'mgmt-a')));
    expect(adopted.kind).toBe('invalid');
    expect(adopted.message).toMatch(/resource group bare-q1r2s-rg exists but is not this cluster's/);
    await adapter.deleteClusterInfra(bare);
    expect(cloud.emulator.state.group(`${bare}-rg`)?.provisioningState).toBe('Succeeded');

    const theirs = 'theirs-t3u4v';
    await adapter.ensureClusterInfra(infraRequest(theirs, 'mgmt-other'));
    expect((await failure(adapter.ensureClusterInfra(infraRequest(theirs, 'mgmt-a')))).kind).toBe('invalid');
    await adapter.deleteClusterInfra(theirs, { managementId: 'mgmt-a' });
    expect(cloud.emulator.state.group(`${theirs}-rg`)?.provisioningState).toBe('Succeeded');
    expect(cloud.emulator.state.resourcesInGroup(`${theirs}-rg`).map((resource) => resource.type)).toContain('Microsoft.Network/privateDnsZones');
  });

  it('ensures cluster infrastructure once, keeps a subnet in use from going, and deletes everything with the group', async () => {
    const infraId = 'infra-g5h6i';
    const tags = ownershipTags({ managementId: 'mgmt-a', infraId, createdAt: '2026-11-25T00:00:00.000Z' });
    const infra = await adapter.ensureClusterInfra({ infraId, clusterName: 'infra', baseDomain: 'example.test', region: 'eastus', tags });
    expect(infra.apiURL).toBe('https://api.infra.example.test:6443');
    const writes = cloud.emulator.requests.filter((entry) => entry.method === 'PUT').length;
    await adapter.ensureClusterInfra({ infraId, clusterName: 'infra', baseDomain: 'example.test', region: 'eastus', tags });
    expect(cloud.emulator.requests.filter((entry) => entry.method === 'PUT').length).toBe(writes);

    const machine = await adapter.createMachine(request(infraId, 'worker-0'));
    const network = infra.resources.find((resource) => resource.kind === 'network');
    if (!network) throw new Error('ensureClusterInfra reported no network');
    const inUse = await failure(adapter.deleteResource(network));
    expect(inUse.kind).toBe('retryable');
    expect(inUse.message).toMatch(/InUseSubnetCannotBeDeleted/);

    await adapter.deleteClusterInfra(infraId);
    await adapter.deleteClusterInfra(infraId);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
    expect((await adapter.describeMachine(machine.name))?.phase ?? 'gone').toMatch(/stopping|gone/);
    await sleep(OPERATION_MS + 50);
    await adapter.deleteClusterInfra(infraId);
    expect(cloud.emulator.state.group(`${infraId}-rg`)).toBeUndefined();
    expect(await adapter.describeMachine(machine.name)).toBeUndefined();
  });

  it('lists a leftover resource group for the sweep (ours only), and deleteResource deletes it', async () => {
    const infraId = 'left-x7y8z';
    await adapter.ensureClusterInfra(infraRequest(infraId, 'mgmt-a'));
    const groups = (await collect(adapter.listResources({ [TAG.management]: 'mgmt-a', [TAG.cluster]: infraId }))).filter((resource) => /\/resourceGroups\/[^/]+$/.test(resource.id));
    expect(groups.map((group) => [group.kind, group.name])).toEqual([['network', `${infraId}-rg`]]);
    cloud.emulator.state.groups.set('stray-rg', { id: cloud.emulator.state.groupId('stray-rg'), name: 'stray-rg', location: 'eastus', tags: { 'slipway.dev_cluster': infraId }, provisioningState: 'Succeeded' });
    expect((await collect(adapter.listResources({ [TAG.management]: 'mgmt-a', [TAG.cluster]: infraId }))).map((resource) => resource.name)).not.toContain('stray-rg');
    const [group] = groups;
    if (!group) throw new Error('no resource group listed');
    await adapter.deleteResource(group);
    expect(cloud.emulator.state.group(`${infraId}-rg`)?.provisioningState ?? 'gone').toMatch(/Deleting|gone/);
    await sleep(OPERATION_MS + 50);
    cloud.emulator.state.settle();
    expect(cloud.emulator.state.group(`${infraId}-rg`)).toBeUndefined();
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });

  it('puts control-plane machines (not workers) in the API load balancer\'s backend pool, and they leave it with their NIC on delete', async () => {
    const infraId = 'pool-p1q2r';
    await adapter.ensureClusterInfra(infraRequest(infraId, 'mgmt-a'));
    const pool = apiBackendPoolId(cloud.emulator.subscriptionId, infraId);
    const master = await adapter.createMachine(request(infraId, 'master-0', { role: 'control-plane' }));
    await adapter.createMachine(request(infraId, 'worker-0'));
    expect(backendPoolMembers(cloud.emulator.state, pool).map((vm) => vm.name)).toEqual([`${infraId}-master-0`]);
    await adapter.deleteMachine(master.providerId);
    await sleep(OPERATION_MS + 50);
    cloud.emulator.state.settle();
    expect(backendPoolMembers(cloud.emulator.state, pool)).toEqual([]);
  });

  it('lists only machines carrying every tag asked for, across pages', async () => {
    const infraId = 'list-j7k8l';
    const made: CloudMachine[] = [];
    for (const role of ['worker', 'control-plane'] as const) {
      for (let index = 0; index < 2; index += 1) {
        const name = `${role === 'worker' ? 'w' : 'm'}-${index}`;
        made.push(await adapter.createMachine(request(infraId, name, { role, tags: ownershipTags({ managementId: 'mgmt-a', infraId, machineName: name, role, createdAt: '2026-11-25T00:00:00.000Z' }) })));
      }
    }
    const workers = await collect(adapter.listMachines({ [TAG.cluster]: infraId, [TAG.role]: 'worker' }));
    expect(workers.map((machine) => machine.name).sort()).toEqual([`${infraId}-w-0`, `${infraId}-w-1`]);
    expect(await collect(adapter.listMachines({ [TAG.cluster]: infraId, [TAG.management]: 'someone-else' }))).toEqual([]);
    for (const machine of made) await adapter.deleteMachine(machine.providerId);
  });

  it('reports a VM whose allocation failed as failed, and capacity refusals as quota', async () => {
    const failed = await adapter.createMachine(request('capacity-m9n0p', 'w-0', { instanceType: 'Standard_NoCapacity' }));
    await sleep(OPERATION_MS + 50);
    expect((await adapter.describeMachine(failed.name))?.phase).toBe('failed');
    expect((await failure(adapter.createMachine(request('capacity-m9n0p', 'w-1', { instanceType: 'Standard_NotHere' })))).kind).toBe('quota');
    const room = 8 - [...cloud.emulator.state.resources.values()].filter((resource) => resource.type === 'Microsoft.Compute/virtualMachines').length;
    for (let index = 0; index < room; index += 1) await adapter.createMachine(request('capacity-m9n0p', `fill-${index}`));
    const over = await failure(adapter.createMachine(request('capacity-m9n0p', 'one-too-many')));
    expect(over.kind).toBe('quota');
    expect(over.message).toMatch(/OperationNotAllowed/);
  });

  it('gets one token for many calls, and reports a refused service principal as invalid without its secret', async () => {
    expect(cloud.emulator.aad.issued).toBe(1);
    const { tenantId, clientId } = cloud.emulator.principal;
    const wrongSecret = 'definitely-not-the-secret-value';
    const refused = createAzureAdapter(
      azureAdapterOptionsFrom({
        region: 'eastus',
        credentials: { tenantId, clientId, clientSecret: wrongSecret, subscriptionId: cloud.emulator.subscriptionId },
        env: { SLIPWAY_AZURE_ENDPOINT: cloud.emulator.url, SLIPWAY_AZURE_AUTHORITY_HOST: cloud.emulator.authorityHost },
      }),
    );
    const error = await failure(refused.describeMachine('anything'));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/AADSTS7000215/);
    expect(`${error.message} ${error.stack ?? ''}`).not.toContain(wrongSecret);
  });
});

describe('Azure adapter against a throttling ARM', () => {
  let throttled: AzureTestCloud;
  afterAll(async () => {
    await throttled?.stop();
  });

  it('classifies the emulator\'s own 429 as throttled with its Retry-After', async () => {
    throttled = await startAzureTestCloud({ writeBudget: { burst: 1, perSecond: 0.25 } });
    const limited = createAzureAdapter(throttled.adapterOptions());
    // The group's PUT takes the one write of the burst; the security group's is refused.
    const error = await failure(limited.ensureClusterInfra(infraRequest('nothing-here', 'mgmt-a')));
    expect(error.kind).toBe('throttled');
    expect(error.details.retryAfterMs).toBe(4_000);
  });
});

describe('Azure adapter against an ARM whose links point elsewhere', () => {
  let hostile: AzureTestCloud;
  afterAll(async () => {
    await hostile?.stop();
  });

  it('refuses to follow a nextLink to another origin, before the bearer token goes there', async () => {
    // Nothing listens there: were the link followed, the failure would be a connection error instead.
    hostile = await startAzureTestCloud({ pageSize: 1, linkOrigin: 'https://127.0.0.2:9' });
    const misled = createAzureAdapter({ ...hostile.adapterOptions(), requestTimeoutMs: 5_000 });
    await misled.ensureClusterInfra(infraRequest('link-w5x6y', 'mgmt-a'));
    for (const name of ['w-0', 'w-1']) await misled.createMachine(request('link-w5x6y', name));
    const error = await failure(collect(misled.listMachines({ [TAG.cluster]: 'link-w5x6y' })));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/handed back an address on https:\/\/127\.0\.0\.2:9, not on https:\/\/127\.0\.0\.1:\d+ where it was configured/);
  });
});

describe('Azure adapter against an ARM whose nextLink repeats', () => {
  let looping: AzureTestCloud | undefined;
  afterAll(async () => {
    await looping?.stop();
  });

  it('stops paging with an error when ARM hands back a nextLink it already gave (the SDK follows links; each page carries its own)', async () => {
    looping = await startAzureTestCloud({ pageSize: 1, echoNextLinks: true });
    const adapter = createAzureAdapter({ ...looping.adapterOptions(), requestTimeoutMs: 5_000 });
    await adapter.ensureClusterInfra(infraRequest('loop-w5x6y', 'mgmt-a'));
    for (const name of ['w-0', 'w-1', 'w-2']) await adapter.createMachine(request('loop-w5x6y', name));
    const machines = await failure(collect(adapter.listMachines({ [TAG.cluster]: 'loop-w5x6y' })));
    expect(machines.kind).toBe('retryable');
    expect(machines.message).toMatch(/azure list machines: the service handed back a page token it had already given, so paging stopped/);
    const resources = await failure(collect(adapter.listResources({ [TAG.cluster]: 'loop-w5x6y' })));
    expect(resources.message).toMatch(/handed back a page token it had already given/);
  });
});
