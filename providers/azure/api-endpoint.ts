/**
 * The cluster's API endpoint in Azure: an internal Standard load balancer `<infraId>-api`
 * (frontend in the control-plane subnet, TCP probe and rule on 6443) and the private DNS zone
 * `<clusterName>.<baseDomain>`, linked to the cluster's virtual network, whose A record `api`
 * points at the load balancer's frontend private IP.
 *
 * Ensuring reads first and writes only what is missing (or Failed), so a retry after a lost
 * answer finds what the first attempt made. The zone and its link are global resources, in the
 * cluster's resource group like everything else. Deleting goes record set, links, zone, then
 * the load balancer; Azure refuses to delete a zone that still has virtual network links, so
 * the link deletes are awaited before the zone's is started.
 */
import type { LoadBalancer } from '@azure/arm-network';
import { nextLinkOf, pageGuard } from '../paging';
import { ProviderError, type CloudResource, type TagQuery } from '../types';
import type { OwnershipScope } from '../tags';
import { isNotFound } from './errors';
import { API_BACKEND_POOL, API_PORT, API_RECORD, dnsLinkName, dnsZoneName, groupId, loadBalancerName, parseResourceId, resourceGroupName, subnetId, virtualNetworkName } from './names';
import { attempt, existing, listTagged, ownedByCluster, refuseForeign, resource, scopeOf, usable, type NetworkContext } from './network';

const LB_TYPE = 'Microsoft.Network/loadBalancers';
const ZONE_TYPE = 'Microsoft.Network/privateDnsZones';
const FRONTEND = 'api-frontend';
const PROBE = 'api-probe';
const RULE = 'api-6443';
const RECORD_TTL_SECONDS = 60;

export interface ApiEndpointRequest {
  readonly infraId: string;
  readonly clusterName: string;
  readonly baseDomain: string;
  readonly location: string;
  readonly encodedTags: Record<string, string>;
}

async function ignoringNotFound(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function loadBalancerBody(context: NetworkContext, request: ApiEndpointRequest, id: string): LoadBalancer {
  const part = (collection: string, name: string) => ({ id: `${id}/${collection}/${name}` });
  return {
    location: request.location,
    tags: request.encodedTags,
    sku: { name: 'Standard', tier: 'Regional' },
    frontendIPConfigurations: [{ name: FRONTEND, subnet: { id: subnetId(context.subscriptionId, request.infraId, 'control-plane') }, privateIPAllocationMethod: 'Dynamic' }],
    backendAddressPools: [{ name: API_BACKEND_POOL }],
    probes: [{ name: PROBE, protocol: 'Tcp', port: API_PORT, intervalInSeconds: 5, numberOfProbes: 2 }],
    loadBalancingRules: [
      {
        name: RULE,
        protocol: 'Tcp',
        frontendPort: API_PORT,
        backendPort: API_PORT,
        frontendIPConfiguration: part('frontendIPConfigurations', FRONTEND),
        backendAddressPool: part('backendAddressPools', API_BACKEND_POOL),
        probe: part('probes', PROBE),
        idleTimeoutInMinutes: 30,
      },
    ],
  };
}

async function ensureLoadBalancer(context: NetworkContext, request: ApiEndpointRequest): Promise<{ resource: CloudResource; address: string }> {
  const { network } = context.clients;
  const group = resourceGroupName(request.infraId);
  const name = loadBalancerName(request.infraId);
  const id = `${groupId(context.subscriptionId, group)}/providers/${LB_TYPE}/${name}`;
  let current = await existing(context, 'get load balancer', () => network.loadBalancers.get(group, name));
  if (!usable(current?.provisioningState)) {
    await attempt(context, 'create load balancer', () => network.loadBalancers.createOrUpdate(group, name, loadBalancerBody(context, request, id)).submitted());
    // Azure assigns the dynamic frontend address when it accepts the PUT; read it back.
    current = await attempt(context, 'get load balancer', () => network.loadBalancers.get(group, name));
  }
  const address = current?.frontendIPConfigurations?.find((frontend) => frontend.name === FRONTEND)?.privateIPAddress;
  if (!address) throw new ProviderError('retryable', `azure ensure cluster infrastructure: load balancer ${name} has no frontend private IP address yet (the call is retried)`, { operation: 'ensure cluster infrastructure' });
  return { resource: resource('loadBalancer', id, name, current?.tags ?? request.encodedTags), address };
}

async function ensureApiRecord(context: NetworkContext, request: ApiEndpointRequest, address: string): Promise<CloudResource> {
  const { privateDns } = context.clients;
  const group = resourceGroupName(request.infraId);
  const zone = dnsZoneName(request.clusterName, request.baseDomain);
  const zoneId = `${groupId(context.subscriptionId, group)}/providers/${ZONE_TYPE}/${zone}`;
  const currentZone = await existing(context, 'get private DNS zone', () => privateDns.privateZones.get(group, zone));
  if (currentZone && !ownedByCluster(currentZone.tags, request.infraId, scopeOf(request.encodedTags))) throw refuseForeign('private DNS zone', zone, request.infraId);
  if (!usable(currentZone?.provisioningState)) {
    await attempt(context, 'create private DNS zone', () => privateDns.privateZones.createOrUpdate(group, zone, { location: 'global', tags: request.encodedTags }).submitted());
  }
  const link = dnsLinkName(request.infraId);
  const currentLink = await existing(context, 'get private DNS virtual network link', () => privateDns.virtualNetworkLinks.get(group, zone, link));
  if (!usable(currentLink?.provisioningState)) {
    const networkId = `${groupId(context.subscriptionId, group)}/providers/Microsoft.Network/virtualNetworks/${virtualNetworkName(request.infraId)}`;
    const body = { location: 'global', tags: request.encodedTags, virtualNetwork: { id: networkId }, registrationEnabled: false };
    await attempt(context, 'create private DNS virtual network link', () => privateDns.virtualNetworkLinks.createOrUpdate(group, zone, link, body).submitted());
  }
  const currentRecord = await existing(context, 'get private DNS record', () => privateDns.recordSets.get(group, zone, 'A', API_RECORD));
  const addresses = currentRecord?.aRecords?.map((record) => record.ipv4Address) ?? [];
  if (addresses.length !== 1 || addresses[0] !== address) {
    await attempt(context, 'write private DNS record', () => privateDns.recordSets.createOrUpdate(group, zone, 'A', API_RECORD, { ttl: RECORD_TTL_SECONDS, aRecords: [{ ipv4Address: address }] }));
  }
  return resource('dnsRecord', zoneId, `${API_RECORD}.${zone}`, currentZone?.tags ?? request.encodedTags);
}

/** The load balancer, then the DNS record pointing at it; needs the cluster's network to exist. */
export async function ensureApiEndpoint(context: NetworkContext, request: ApiEndpointRequest): Promise<CloudResource[]> {
  const balancer = await ensureLoadBalancer(context, request);
  const record = await ensureApiRecord(context, request, balancer.address);
  return [balancer.resource, record];
}

/** Record set, virtual network links (awaited: a linked zone cannot be deleted), then the zone. */
async function deleteZone(context: NetworkContext, group: string, zone: string): Promise<void> {
  const { privateDns } = context.clients;
  await ignoringNotFound(attempt(context, 'delete private DNS record', () => privateDns.recordSets.delete(group, zone, 'A', API_RECORD)));
  const pages = privateDns.virtualNetworkLinks.list(group, zone).byPage();
  const guard = pageGuard('azure', 'list private DNS virtual network links');
  try {
    for (let index = 0; ; index += 1) {
      const page = await attempt(context, 'list private DNS virtual network links', () => pages.next());
      if (page.done) break;
      guard.next(nextLinkOf(page.value, index));
      for (const link of page.value) {
        const name = link.name;
        if (name) await ignoringNotFound(attempt(context, 'delete private DNS virtual network link', () => privateDns.virtualNetworkLinks.delete(group, zone, name).pollUntilDone()));
      }
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await ignoringNotFound(attempt(context, 'delete private DNS zone', () => privateDns.privateZones.delete(group, zone).submitted()));
}

async function deleteLoadBalancer(context: NetworkContext, group: string, name: string): Promise<void> {
  await ignoringNotFound(attempt(context, 'delete load balancer', () => context.clients.network.loadBalancers.delete(group, name).submitted()));
}

/** Deletes the cluster's private DNS zones that are ours (and their records and links), then its API load balancer; a missing group or resource is fine. */
export async function deleteApiEndpoint(context: NetworkContext, infraId: string, scope: OwnershipScope): Promise<void> {
  const group = resourceGroupName(infraId);
  const pages = context.clients.privateDns.privateZones.listByResourceGroup(group).byPage();
  const guard = pageGuard('azure', 'list private DNS zones');
  try {
    for (let index = 0; ; index += 1) {
      const page = await attempt(context, 'list private DNS zones', () => pages.next());
      if (page.done) break;
      guard.next(nextLinkOf(page.value, index));
      for (const zone of page.value) {
        if (zone.name && zone.provisioningState?.toLowerCase() !== 'deleting' && ownedByCluster(zone.tags, infraId, scope)) await deleteZone(context, group, zone.name);
      }
    }
  } catch (error) {
    // No resource group: nothing of the cluster is left to delete.
    if (isNotFound(error)) return;
    throw error;
  }
  await deleteLoadBalancer(context, group, loadBalancerName(infraId));
}

export async function deleteApiResource(context: NetworkContext, kind: 'loadBalancer' | 'dnsRecord', id: string): Promise<void> {
  const type = kind === 'loadBalancer' ? LB_TYPE : ZONE_TYPE;
  const address = parseResourceId(id, type);
  if (!address) throw new ProviderError('invalid', `azure delete ${kind}: "${id}" is not the resource ID of a ${type}`, { operation: `delete ${kind}` });
  if (kind === 'loadBalancer') return deleteLoadBalancer(context, address.resourceGroup, address.name);
  const zone = await existing(context, 'get private DNS zone', () => context.clients.privateDns.privateZones.get(address.resourceGroup, address.name));
  if (zone && zone.provisioningState?.toLowerCase() !== 'deleting') await deleteZone(context, address.resourceGroup, address.name);
}

/** Streams the subscription's load balancers and private DNS zones (as their API records) carrying the tags. */
export async function* listApiResources(context: NetworkContext, query: TagQuery): AsyncGenerator<CloudResource> {
  const { network, privateDns } = context.clients;
  yield* listTagged(context, 'loadBalancer', 'list load balancers', () => network.loadBalancers.listAll().byPage(), query);
  yield* listTagged(context, 'dnsRecord', 'list private DNS zones', () => privateDns.privateZones.list().byPage(), query, (zone) => `${API_RECORD}.${zone}`);
}
