import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureAdapter } from '../../providers/azure/adapter';
import { TAG, ownershipTags } from '../../providers/tags';
import type { ProviderAdapter } from '../../providers/types';
import { ARM_FAULT_DIALECT } from '../emulators/azure-arm/fault-dialect';
import { zoneRecordSets } from '../emulators/azure-arm/kind-private-dns';
import type { TrackedResource } from '../emulators/azure-arm/state';
import { startAzureTestCloud, type AzureTestCloud } from '../emulators/azure-arm/test-cloud';
import { collect, errorOf, eventually } from '../support/async-checks';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { describeProviderContract } from './provider-contract';

describeProviderContract('azure', async () => {
  const pageSize = 10;
  const cloud = await startAzureTestCloud({ pageSize, operationMs: 500, operationPolls: 2 });
  const { ca, emulator } = cloud;
  const proxy = await startFaultProxy({ upstream: emulator.url, dialect: ARM_FAULT_DIALECT, tls: { key: ca.serverKey, cert: ca.serverCert }, upstreamCa: ca.caCert, seed: 11 });
  const requestTimeoutMs = 2_000;
  // Built as a worker builds it, from the secret's fields and the endpoints in the environment.
  // Tokens come from the emulator's identity endpoints directly; every ARM call goes through the proxy.
  return {
    adapter: createAzureAdapter({ ...cloud.adapterOptions(proxy.url), requestTimeoutMs }),
    credential: emulator.principal.clientSecret,
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await cloud.stop();
    },
  };
}, { needsClusterNetwork: true, tagsResources: 'all' });

describe('azure cluster API endpoint (load balancer and private DNS record)', () => {
  let cloud: AzureTestCloud;
  let proxy: FaultProxy;
  let adapter: ProviderAdapter;
  const managementId = 'mgmt-api';

  beforeAll(async () => {
    cloud = await startAzureTestCloud({ operationMs: 300, operationPolls: 2 });
    const { ca, emulator } = cloud;
    // Only the endpoint's writes are faultable, so a scripted fault hits the one call the test means.
    proxy = await startFaultProxy({
      upstream: emulator.url,
      dialect: ARM_FAULT_DIALECT,
      tls: { key: ca.serverKey, cert: ca.serverCert },
      upstreamCa: ca.caCert,
      faultable: (method, path) => method === 'PUT' && /\/providers\/Microsoft\.Network\/(loadBalancers|privateDnsZones)\//i.test(path),
    });
    adapter = createAzureAdapter({ ...cloud.adapterOptions(proxy.url), requestTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    await proxy?.stop();
    await cloud?.stop();
  });

  const infraRequest = (infraId: string) => ({
    infraId,
    clusterName: infraId,
    baseDomain: 'example.test',
    region: 'eastus',
    tags: ownershipTags({ managementId, infraId, createdAt: '2026-11-25T00:00:00.000Z' }),
  });

  /** What the emulator holds in the cluster's group, by type. */
  function held(infraId: string) {
    const inGroup = cloud.emulator.state.resourcesInGroup(`${infraId}-rg`);
    const ofType = (type: string) => inGroup.filter((resource) => resource.type === type);
    const [zone] = ofType('Microsoft.Network/privateDnsZones');
    const record = zone ? zoneRecordSets.get(zone)?.get('a/api') : undefined;
    return {
      balancers: ofType('Microsoft.Network/loadBalancers'),
      zones: ofType('Microsoft.Network/privateDnsZones'),
      links: ofType('Microsoft.Network/privateDnsZones/virtualNetworkLinks'),
      recordAddresses: record ? (record.properties.aRecords as { ipv4Address: string }[]).map((entry) => entry.ipv4Address) : [],
    };
  }

  const frontendAddress = (balancer: TrackedResource | undefined): unknown => (balancer?.properties.frontendIPConfigurations as { properties: { privateIPAddress?: string } }[] | undefined)?.[0]?.properties.privateIPAddress;

  it('builds an internal load balancer in the master subnet and an api A record at its frontend address', async () => {
    const infraId = 'build-a1b2c';
    const request = infraRequest(infraId);
    const infra = await adapter.ensureClusterInfra(request);
    expect(infra.apiURL).toBe(`https://api.${infraId}.example.test:6443`);
    expect(infra.resources.map((resource) => resource.kind).sort()).toEqual(['dnsRecord', 'loadBalancer', 'network', 'network', 'securityGroup']);
    for (const resource of infra.resources) expect(resource.tags).toEqual(request.tags);

    const { balancers, zones, links, recordAddresses } = held(infraId);
    expect(balancers.map((balancer) => balancer.name)).toEqual([`${infraId}-api`]);
    const balancer = balancers[0];
    const address = frontendAddress(balancer);
    expect(address).toBe('10.0.0.4');
    expect(recordAddresses).toEqual([address]);
    expect(JSON.stringify(balancer?.properties.frontendIPConfigurations)).toContain(`/virtualNetworks/${infraId}-vnet/subnets/${infraId}-master-subnet`);
    expect(balancer?.properties.probes).toEqual([expect.objectContaining({ properties: expect.objectContaining({ protocol: 'Tcp', port: 6443 }) })]);
    expect(balancer?.properties.loadBalancingRules).toEqual([expect.objectContaining({ properties: expect.objectContaining({ protocol: 'Tcp', frontendPort: 6443, backendPort: 6443 }) })]);
    expect(balancer?.tags).toMatchObject({ 'slipway.dev_cluster': infraId });
    expect(zones.map((zone) => [zone.name, zone.location])).toEqual([[`${infraId}.example.test`, 'global']]);
    expect(zones[0]?.tags).toMatchObject({ 'slipway.dev_cluster': infraId });
    expect(links.map((link) => (link.properties.virtualNetwork as { id: string }).id)).toEqual([expect.stringMatching(new RegExp(`/virtualNetworks/${infraId}-vnet$`))]);

    const listed = await collect(adapter.listResources({ [TAG.cluster]: infraId }));
    expect(listed.map((resource) => resource.id).sort()).toEqual(infra.resources.map((resource) => resource.id).sort());
    expect(listed.find((resource) => resource.kind === 'dnsRecord')).toMatchObject({ name: `api.${infraId}.example.test`, tags: request.tags });
  });

  it('ensures twice into the same resources without writing again', async () => {
    const infraId = 'twice-d3e4f';
    const first = await adapter.ensureClusterInfra(infraRequest(infraId));
    const puts = cloud.emulator.requests.filter((entry) => entry.method === 'PUT').length;
    const second = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(second.resources.map((resource) => resource.id).sort()).toEqual(first.resources.map((resource) => resource.id).sort());
    expect(cloud.emulator.requests.filter((entry) => entry.method === 'PUT').length).toBe(puts);
    const { balancers, zones, links, recordAddresses } = held(infraId);
    expect([balancers.length, zones.length, links.length]).toEqual([1, 1, 1]);
    expect(recordAddresses).toEqual([frontendAddress(balancers[0])]);
  });

  it('deletes everything: by resource, the record and then the load balancer; with the cluster, nothing is left', async () => {
    const infraId = 'gone-g5h6i';
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    for (const kind of ['dnsRecord', 'loadBalancer'] as const) {
      const resource = infra.resources.find((candidate) => candidate.kind === kind);
      if (!resource) throw new Error(`ensureClusterInfra reported no ${kind}`);
      await adapter.deleteResource(resource);
      await adapter.deleteResource(resource);
    }
    expect((await collect(adapter.listResources({ [TAG.cluster]: infraId }))).map((resource) => resource.kind).sort()).toEqual(['network', 'network', 'securityGroup']);
    expect(held(infraId).links).toEqual([]);
    // The deletes run as operations; a load balancer still being deleted cannot be written yet.
    await eventually(
      async () => {
        cloud.emulator.state.settle();
        return held(infraId);
      },
      (left) => left.balancers.length === 0 && left.zones.length === 0,
    );

    await adapter.ensureClusterInfra(infraRequest(infraId));
    expect((await collect(adapter.listResources({ [TAG.cluster]: infraId }))).length).toBe(5);
    await adapter.deleteClusterInfra(infraId);
    await adapter.deleteClusterInfra(infraId);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
    await eventually(
      async () => {
        await adapter.deleteClusterInfra(infraId);
        return cloud.emulator.state.group(`${infraId}-rg`);
      },
      (group) => group === undefined,
    );
    expect(cloud.emulator.state.resourcesInGroup(`${infraId}-rg`)).toEqual([]);
  });

  it('after lost answers to the load balancer and zone writes, a retry finds what was made instead of making it twice', async () => {
    const infraId = 'lost-j7k8l';
    proxy.script([{ kind: 'resetAfter' }]);
    const lostBalancer = await errorOf(adapter.ensureClusterInfra(infraRequest(infraId)));
    expect(lostBalancer.kind).toBe('retryable');
    expect(held(infraId).balancers).toHaveLength(1);

    proxy.script([{ kind: 'resetAfter' }]);
    const lostZone = await errorOf(adapter.ensureClusterInfra(infraRequest(infraId)));
    expect(lostZone.kind).toBe('retryable');
    expect(held(infraId).zones).toHaveLength(1);

    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    const again = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(again.resources.map((resource) => resource.id).sort()).toEqual(infra.resources.map((resource) => resource.id).sort());
    const { balancers, zones, links, recordAddresses } = held(infraId);
    expect([balancers.length, zones.length, links.length]).toEqual([1, 1, 1]);
    expect(recordAddresses).toEqual([frontendAddress(balancers[0])]);
    expect((await collect(adapter.listResources({ [TAG.cluster]: infraId }))).length).toBe(5);
  });
});
