/**
 * The ARM emulator speaks ARM: its answers are checked on the wire (status, headers, bodies) and
 * through the real SDK clients, including the long-running-operation pollers the adapter does
 * not wait on.
 */
import { ComputeManagementClient } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureTestCloud, type AzureTestCloud } from '../emulators/azure-arm/test-cloud';

const API = 'api-version=2026-04-01';

let cloud: AzureTestCloud;
let token: string;

async function arm(method: string, path: string, body?: unknown, bearer: string | null = token): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(path.startsWith('https://') ? path : `${cloud.emulator.url}${path}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
}

const sub = () => `/subscriptions/${cloud.emulator.subscriptionId}`;
const vmPath = (group: string, name: string) => `${sub()}/resourceGroups/${group}/providers/Microsoft.Compute/virtualMachines/${name}?${API}`;

/** A VM body that passes Compute's checks, in a group with a network. */
function vmBody(group: string, vmSize = 'Standard_D2s_v5') {
  return {
    location: 'eastus',
    tags: { 'slipway.dev_cluster': 'c1' },
    properties: {
      hardwareProfile: { vmSize },
      storageProfile: { imageReference: { publisher: 'p', offer: 'o', sku: 's', version: 'latest' } },
      osProfile: { computerName: 'vm', adminUsername: 'core', adminPassword: 'never-read-back-1!', linuxConfiguration: { disablePasswordAuthentication: false } },
      networkProfile: {
        networkApiVersion: '2020-11-01',
        networkInterfaceConfigurations: [{ name: 'nic', properties: { ipConfigurations: [{ name: 'ip', properties: { subnet: { id: `${sub()}/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/net/subnets/nodes` } } }] } }],
      },
    },
  };
}

async function groupWithNetwork(group: string): Promise<void> {
  expect((await arm('PUT', `${sub()}/resourcegroups/${group}?${API}`, { location: 'eastus' })).status).toBe(201);
  const network = await arm('PUT', `${sub()}/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/net?${API}`, {
    location: 'eastus',
    properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'nodes', properties: { addressPrefix: '10.0.0.0/24' } }] },
  });
  expect(network.status).toBe(201);
}

beforeAll(async () => {
  cloud = await startAzureTestCloud({ pageSize: 2, operationMs: 60_000, operationPolls: 2, pollRetryAfterSeconds: 0, behaviour: { vmQuota: 5 } });
  const { tenantId, clientId, clientSecret } = cloud.emulator.principal;
  const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost: cloud.emulator.authorityHost, disableInstanceDiscovery: true });
  token = (await credential.getToken('https://management.azure.com/.default')).token;
});
afterAll(async () => {
  await cloud?.stop();
});

describe('Azure ARM emulator', () => {
  it('refuses a call without a valid bearer token with 401, an ARM error body and a challenge', async () => {
    const missing = await arm('GET', `${sub()}/resourcegroups?${API}`, undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer authorization_uri="https:\/\/127\.0\.0\.1:\d+\/[^"]+", error="invalid_token"/);
    expect((await arm('GET', `${sub()}/resourcegroups?${API}`, undefined, 'forged')).json).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });

  it('refuses a wrong client secret at the token endpoint, as the identity platform does', async () => {
    const { tenantId, clientId } = cloud.emulator.principal;
    const credential = new ClientSecretCredential(tenantId, clientId, 'not-the-secret', { authorityHost: cloud.emulator.authorityHost, disableInstanceDiscovery: true, retryOptions: { maxRetries: 0 } });
    const error = await credential.getToken('https://management.azure.com/.default').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ name: 'AuthenticationRequiredError', cause: { errorCode: 'invalid_client', status: 401 } });
  });

  it('requires an api-version and a known subscription', async () => {
    expect((await arm('GET', `${sub()}/resourcegroups`)).json).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
    const unknown = await arm('GET', `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?${API}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'SubscriptionNotFound' } });
  });

  it('creates a VM with 201 Creating and an Azure-AsyncOperation that succeeds after polls; a second PUT keeps the vmId', async () => {
    await groupWithNetwork('lro-rg');
    const created = await arm('PUT', vmPath('lro-rg', 'vm1'), vmBody('lro-rg'));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'vm1', type: 'Microsoft.Compute/virtualMachines', properties: { provisioningState: 'Creating' } });
    expect(JSON.stringify(created.json)).not.toContain('never-read-back');
    const operationUrl = created.headers.get('azure-asyncoperation') ?? '';
    expect(operationUrl).toMatch(/\/providers\/Microsoft\.Compute\/locations\/eastus\/operations\/[-0-9a-f]+\?api-version=/);
    expect((await arm('GET', operationUrl)).json).toMatchObject({ status: 'InProgress' });
    expect((await arm('GET', operationUrl)).json).toMatchObject({ status: 'Succeeded' });
    const read = await arm('GET', `${vmPath('lro-rg', 'vm1')}&$expand=instanceView`);
    expect(read.json).toMatchObject({ properties: { provisioningState: 'Succeeded', instanceView: { statuses: [{ code: 'ProvisioningState/succeeded' }, { code: 'PowerState/running' }] } } });
    const again = await arm('PUT', vmPath('lro-rg', 'vm1'), vmBody('lro-rg'));
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ properties: { provisioningState: 'Updating', vmId: (created.json as { properties: { vmId: string } }).properties.vmId } });
  });

  it('refuses a VM without hardwareProfile.vmSize, and one whose subnet does not exist', async () => {
    const body = vmBody('lro-rg');
    const noSize = await arm('PUT', vmPath('lro-rg', 'vm-nosize'), { ...body, properties: { ...body.properties, hardwareProfile: {} } });
    expect(noSize.status).toBe(400);
    expect(noSize.json).toMatchObject({ error: { code: 'InvalidParameter', target: 'hardwareProfile.vmSize' } });
    const noSubnet = await arm('PUT', vmPath('lro-rg', 'vm-nosubnet'), vmBody('elsewhere-rg'));
    expect(noSubnet.json).toMatchObject({ error: { code: 'InvalidResourceReference' } });
    expect((await arm('PUT', vmPath('missing-rg', 'vm'), vmBody('missing-rg'))).json).toMatchObject({ error: { code: 'ResourceGroupNotFound' } });
  });

  it('deletes with 202, Azure-AsyncOperation and Location; the Location answers 202 then 204; a second delete of a gone VM is 204', async () => {
    await arm('PUT', vmPath('lro-rg', 'vm2'), vmBody('lro-rg'));
    const deleting = await arm('DELETE', vmPath('lro-rg', 'vm2'));
    expect(deleting.status).toBe(202);
    expect(deleting.headers.get('azure-asyncoperation')).toBeTruthy();
    const location = deleting.headers.get('location') ?? '';
    expect((await arm('GET', `${vmPath('lro-rg', 'vm2')}`)).json).toMatchObject({ properties: { provisioningState: 'Deleting' } });
    expect((await arm('PUT', vmPath('lro-rg', 'vm2'), vmBody('lro-rg'))).status).toBe(409);
    expect((await arm('GET', location)).status).toBe(202);
    expect((await arm('GET', location)).status).toBe(204);
    expect((await arm('GET', vmPath('lro-rg', 'vm2'))).json).toMatchObject({ error: { code: 'ResourceNotFound' } });
    expect((await arm('DELETE', vmPath('lro-rg', 'vm2'))).status).toBe(204);
    expect((await arm('DELETE', vmPath('missing-rg', 'vm2'))).status).toBe(404);
  });

  it('keeps a subnet in use from being deleted', async () => {
    const deleting = await arm('DELETE', `${sub()}/resourceGroups/lro-rg/providers/Microsoft.Network/virtualNetworks/net?${API}`);
    expect(deleting.status).toBe(400);
    expect(deleting.json).toMatchObject({ error: { code: 'InUseSubnetCannotBeDeleted' } });
  });

  it('pages lists with nextLink, and Resources - List takes ARM\'s $filter forms only', async () => {
    for (const name of ['vm3', 'vm4']) await arm('PUT', vmPath('lro-rg', name), vmBody('lro-rg'));
    const first = await arm('GET', `${sub()}/providers/Microsoft.Compute/virtualMachines?${API}`);
    const page = first.json as { value: unknown[]; nextLink?: string };
    expect(page.value).toHaveLength(2);
    expect(page.nextLink).toMatch(/\$skiptoken=/);
    const byTag = await arm('GET', `${sub()}/resources?${API}&$filter=${encodeURIComponent("tagName eq 'slipway.dev_cluster' and tagValue eq 'c1'")}`);
    expect(byTag.status).toBe(200);
    expect((byTag.json as { value: Record<string, unknown>[] }).value.every((item) => item.tags === undefined)).toBe(true);
    const byName = await arm('GET', `${sub()}/resources?${API}&$filter=${encodeURIComponent("name eq 'VM3'")}`);
    expect((byName.json as { value: { name: string }[] }).value.map((item) => item.name)).toEqual(['vm3']);
    const combined = await arm('GET', `${sub()}/resources?${API}&$filter=${encodeURIComponent("tagName eq 'a' and tagValue eq 'b' and resourceType eq 'Microsoft.Compute/virtualMachines'")}`);
    expect(combined.status).toBe(400);
    expect(combined.json).toMatchObject({ error: { code: 'InvalidFilterInQueryString' } });
    expect((await arm('GET', `${sub()}/resourcegroups?${API}&$filter=${encodeURIComponent("name eq 'lro-rg'")}`)).status).toBe(400);
  });

  it('refuses a VM beyond the subscription quota with OperationNotAllowed', async () => {
    for (let index = 5; index <= 6; index += 1) await arm('PUT', vmPath('lro-rg', `vm${index}`), vmBody('lro-rg'));
    const over = await arm('PUT', vmPath('lro-rg', 'vm7'), vmBody('lro-rg'));
    expect(over.status).toBe(409);
    expect(over.json).toMatchObject({ error: { code: 'OperationNotAllowed', message: expect.stringMatching(/quota/) } });
  });

  it('serves the SDK: byPage follows nextLink, pollUntilDone follows the operations, a group delete takes its resources along', async () => {
    const { tenantId, clientId, clientSecret } = cloud.emulator.principal;
    const credential = new ClientSecretCredential(tenantId, clientId, clientSecret, { authorityHost: cloud.emulator.authorityHost, disableInstanceDiscovery: true });
    const options = { endpoint: cloud.emulator.url, retryOptions: { maxRetries: 0 } };
    const compute = new ComputeManagementClient(credential, cloud.emulator.subscriptionId, options);
    const resources = new ResourceManagementClient(credential, cloud.emulator.subscriptionId, options);
    const pages: number[] = [];
    for await (const page of compute.virtualMachines.list('lro-rg').byPage()) pages.push(page.length);
    expect(pages).toEqual([2, 2, 1]);
    const vm = await compute.virtualMachines.createOrUpdate('lro-rg', 'vm3', { location: 'eastus', hardwareProfile: { vmSize: 'Standard_D4s_v5' } }, { updateIntervalInMs: 10 });
    expect(vm.provisioningState).toBe('Succeeded');
    expect(vm.hardwareProfile?.vmSize).toBe('Standard_D4s_v5');
    await resources.resourceGroups.delete('lro-rg', { updateIntervalInMs: 10 });
    expect(await resources.resourceGroups.checkExistence('lro-rg')).toMatchObject({ body: false });
    expect(cloud.emulator.state.resources.size).toBe(0);
  });
});

describe('load balancers and private DNS on the wire', () => {
  const network = (group: string) => `${sub()}/resourceGroups/${group}/providers/Microsoft.Network`;
  const subnet = (group: string) => `${network(group)}/virtualNetworks/net/subnets/nodes`;
  const finish = async (answer: { headers: Headers }) => {
    const status = answer.headers.get('azure-asyncoperation');
    if (!status) throw new Error('no Azure-AsyncOperation header');
    for (let poll = 0; poll < 2; poll += 1) await arm('GET', status);
  };
  const balancerBody = (group: string, frontend: Record<string, unknown>) => ({
    location: 'eastus',
    tags: { 'slipway.dev_cluster': 'lb' },
    sku: { name: 'Standard' },
    properties: {
      frontendIPConfigurations: [{ name: 'fe', properties: { subnet: { id: subnet(group) }, ...frontend } }],
      backendAddressPools: [{ name: 'pool' }],
      probes: [{ name: 'probe', properties: { protocol: 'Tcp', port: 6443 } }],
      loadBalancingRules: [{ name: 'rule', properties: { protocol: 'Tcp', frontendPort: 6443, backendPort: 6443, frontendIPConfiguration: { id: `${network(group)}/loadBalancers/lb1/frontendIPConfigurations/fe` }, backendAddressPool: { id: `${network(group)}/loadBalancers/lb1/backendAddressPools/pool` } } }],
    },
  });

  it('gives an internal frontend the subnet\'s first free address, keeps it, refuses a foreign static one, and holds the subnet', async () => {
    await groupWithNetwork('lb-rg');
    expect((await arm('GET', `${network('lb-rg')}/loadBalancers/lb1?${API}`)).json).toMatchObject({ error: { code: 'ResourceNotFound' } });
    const created = await arm('PUT', `${network('lb-rg')}/loadBalancers/lb1?${API}`, balancerBody('lb-rg', { privateIPAllocationMethod: 'Dynamic' }));
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ tags: { 'slipway.dev_cluster': 'lb' }, properties: { provisioningState: 'Updating', frontendIPConfigurations: [{ properties: { privateIPAddress: '10.0.0.4' } }] } });
    await finish(created);
    const again = await arm('PUT', `${network('lb-rg')}/loadBalancers/lb1?${API}`, balancerBody('lb-rg', {}));
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ properties: { frontendIPConfigurations: [{ properties: { privateIPAddress: '10.0.0.4' } }] } });
    await finish(again);
    const foreign = await arm('PUT', `${network('lb-rg')}/loadBalancers/lb2?${API}`, balancerBody('lb-rg', { privateIPAllocationMethod: 'Static', privateIPAddress: '10.9.0.5' }));
    expect(foreign.status).toBe(400);
    expect((await arm('DELETE', `${network('lb-rg')}/virtualNetworks/net?${API}`)).json).toMatchObject({ error: { code: 'InUseSubnetCannotBeDeleted' } });
    const removed = await arm('DELETE', `${network('lb-rg')}/loadBalancers/lb1?${API}`);
    expect(removed.status).toBe(202);
    await finish(removed);
    expect((await arm('GET', `${network('lb-rg')}/loadBalancers/lb1?${API}`)).status).toBe(404);
    expect((await arm('DELETE', `${network('lb-rg')}/loadBalancers/lb1?${API}`)).status).toBe(204);
  });

  it('serves a global private zone, its network links and synchronous record sets; a linked zone cannot be deleted', async () => {
    await groupWithNetwork('dns-rg');
    const zone = `${network('dns-rg')}/privateDnsZones/c1.example.test`;
    expect((await arm('PUT', `${zone}?${API}`, { location: 'eastus' })).json).toMatchObject({ error: { code: 'InvalidResourceLocation' } });
    const created = await arm('PUT', `${zone}?${API}`, { location: 'global', tags: { owner: 'c1' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ location: 'global', tags: { owner: 'c1' }, properties: { provisioningState: 'Creating' } });
    await finish(created);
    const link = await arm('PUT', `${zone}/virtualNetworkLinks/l1?${API}`, { location: 'global', properties: { virtualNetwork: { id: `${network('dns-rg')}/virtualNetworks/net` } } });
    expect(link.status).toBe(201);
    await finish(link);
    expect((await arm('GET', `${zone}/virtualNetworkLinks/l1?${API}`)).json).toMatchObject({ properties: { registrationEnabled: false, virtualNetworkLinkState: 'Completed', provisioningState: 'Succeeded' } });
    expect((await arm('GET', `${zone}/A/api?${API}`)).status).toBe(404);
    const record = await arm('PUT', `${zone}/A/api?${API}`, { properties: { ttl: 60, aRecords: [{ ipv4Address: '10.0.0.4' }] } });
    expect(record.status).toBe(201);
    expect(record.headers.get('azure-asyncoperation')).toBeNull();
    expect(record.json).toMatchObject({ name: 'api', type: 'Microsoft.Network/privateDnsZones/A', properties: { fqdn: 'api.c1.example.test.', aRecords: [{ ipv4Address: '10.0.0.4' }] } });
    expect((await arm('GET', `${zone}?${API}`)).json).toMatchObject({ properties: { numberOfRecordSets: 2 } });
    expect((await arm('DELETE', `${zone}?${API}`)).status).toBe(409);
    const unlinked = await arm('DELETE', `${zone}/virtualNetworkLinks/l1?${API}`);
    expect(unlinked.status).toBe(202);
    await finish(unlinked);
    expect((await arm('GET', `${zone}/virtualNetworkLinks?${API}`)).json).toMatchObject({ value: [] });
    const removed = await arm('DELETE', `${zone}?${API}`);
    expect(removed.status).toBe(202);
    await finish(removed);
    expect((await arm('GET', `${zone}/A/api?${API}`)).json).toMatchObject({ error: { code: 'ParentResourceNotFound' } });
  });
});
