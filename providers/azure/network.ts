/**
 * A cluster's infrastructure in Azure: its resource group, and in it a network security group
 * (admitting the API server port) and a virtual network with a control-plane and a worker
 * subnet. The security group is attached to each VM's NIC rather than to the subnets, so that
 * deleting machines, then the security group, then the network (the sweep's order) never
 * meets a group still attached to a subnet.
 *
 * Ensuring reads first and writes only what is missing (or Failed), and does not wait for
 * Azure to finish provisioning: the IDs are known at once, and a VM may reference a network
 * whose provisioning is still under way. Deleting the cluster deletes its resource group,
 * which takes everything in it along, but only when the group carries our management tag and
 * the cluster's tag; a group of that name made by someone else is neither adopted nor deleted.
 */
import type { NetworkSecurityGroup, VirtualNetwork } from '@azure/arm-network';
import { nextLinkOf, pageGuard } from '../paging';
import { TAG_ENCODINGS } from '../tag-encoding';
import { TAG, isOwned, type OwnershipScope } from '../tags';
import { ProviderError, type CloudResource, type CloudResourceKind, type TagQuery } from '../types';
import type { AzureClients } from './clients';
import { classifyAzureError, isNotFound } from './errors';
import { listedBy } from './listing';
import { groupId, parseResourceId, resourceGroupName, securityGroupName, SUBNET_PREFIX, subnetName, virtualNetworkName, VNET_ADDRESS_SPACE } from './names';

export interface NetworkContext {
  readonly clients: AzureClients;
  readonly subscriptionId: string;
  /** The target's location: where untagged resources are listed (listing.ts). */
  readonly location: string;
  readonly timeoutMs: number;
}

const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';
const VNET_TYPE = 'Microsoft.Network/virtualNetworks';

export async function attempt<T>(context: NetworkContext, operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAzureError(operation, error, context.timeoutMs);
  }
}

/** The resource, or undefined when Azure says it (or its group) does not exist. */
export async function existing<T>(context: NetworkContext, operation: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await attempt(context, operation, call);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Kept as it is unless it failed to provision; one being deleted makes the PUT fail (and retry). */
export const usable = (state: string | undefined): boolean => state !== undefined && !/^(failed|deleting)$/i.test(state);

export function resource(kind: CloudResourceKind, id: string, name: string, tags: Record<string, string> | undefined): CloudResource {
  return { kind, id, name, tags: TAG_ENCODINGS.azure.decode(tags ?? {}) };
}

/** Whether the encoded Azure tags are ours, this cluster's, and no other owner's (as CAPZ checks a group's tags). */
export function ownedByCluster(tags: Record<string, string> | undefined, infraId: string, scope: OwnershipScope = {}): boolean {
  return isOwned(TAG_ENCODINGS.azure.decode(tags ?? {}), infraId, scope);
}

/** Refuses to adopt an Azure resource of the cluster's name that someone else made. */
export function refuseForeign(kind: string, name: string, infraId: string): ProviderError {
  return new ProviderError(
    'invalid',
    `azure ensure cluster infrastructure: ${kind} ${name} exists but is not this cluster's (it lacks Slipway's management tag or the tag ${TAG.cluster}=${infraId}); Slipway never adopts it. Remove or rename it, or give the cluster another name`,
    { operation: 'ensure cluster infrastructure' },
  );
}

/** The scope that encoded cluster tags say a write is for: our management plane's ID. */
export function scopeOf(encodedTags: Record<string, string>): OwnershipScope {
  const managementId = TAG_ENCODINGS.azure.decode(encodedTags)[TAG.management];
  return managementId === undefined ? {} : { managementId };
}

export async function ensureClusterNetwork(context: NetworkContext, infraId: string, location: string, encodedTags: Record<string, string>): Promise<CloudResource[]> {
  const { clients } = context;
  const group = resourceGroupName(infraId);
  const currentGroup = await existing(context, 'get resource group', () => clients.resources.resourceGroups.get(group));
  if (currentGroup && !ownedByCluster(currentGroup.tags, infraId, scopeOf(encodedTags))) throw refuseForeign('resource group', group, infraId);
  if (currentGroup?.properties?.provisioningState?.toLowerCase() === 'deleting') {
    throw new ProviderError('retryable', `azure ensure cluster infrastructure: resource group ${group} is still being deleted (the call is retried)`, { operation: 'ensure cluster infrastructure' });
  }
  if (!currentGroup) await attempt(context, 'create resource group', () => clients.resources.resourceGroups.createOrUpdate(group, { location, tags: encodedTags }));

  const nsgName = securityGroupName(infraId);
  const nsgId = `${groupId(context.subscriptionId, group)}/providers/${NSG_TYPE}/${nsgName}`;
  const currentNsg = await existing(context, 'get network security group', () => clients.network.networkSecurityGroups.get(group, nsgName));
  if (!usable(currentNsg?.provisioningState)) {
    const body: NetworkSecurityGroup = {
      location,
      tags: encodedTags,
      securityRules: [{ name: 'apiserver-in', protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 101, sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '6443' }],
    };
    await attempt(context, 'create network security group', () => clients.network.networkSecurityGroups.createOrUpdate(group, nsgName, body).submitted());
  }

  const vnetName = virtualNetworkName(infraId);
  const vnetId = `${groupId(context.subscriptionId, group)}/providers/${VNET_TYPE}/${vnetName}`;
  const currentVnet = await existing(context, 'get virtual network', () => clients.network.virtualNetworks.get(group, vnetName));
  if (!usable(currentVnet?.provisioningState)) {
    const body: VirtualNetwork = {
      location,
      tags: encodedTags,
      addressSpace: { addressPrefixes: [VNET_ADDRESS_SPACE] },
      subnets: (['control-plane', 'worker'] as const).map((role) => ({ name: subnetName(infraId, role), addressPrefix: SUBNET_PREFIX[role] })),
    };
    await attempt(context, 'create virtual network', () => clients.network.virtualNetworks.createOrUpdate(group, vnetName, body).submitted());
  }
  return [
    resource('network', vnetId, vnetName, currentVnet?.tags ?? encodedTags),
    resource('securityGroup', nsgId, nsgName, currentNsg?.tags ?? encodedTags),
    // The group holds everything else: listed (and swept) as the last network resource.
    resource('network', groupId(context.subscriptionId, group), group, currentGroup?.tags ?? encodedTags),
  ];
}

const GROUP_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)$/i;

/** Deletes a resource group a sweep found, once more checking it is ours and some cluster's own group. */
async function deleteGroupResource(context: NetworkContext, group: string): Promise<void> {
  const current = await existing(context, 'get resource group', () => context.clients.resources.resourceGroups.get(group));
  if (!current) return;
  const infraId = TAG_ENCODINGS.azure.decode(current.tags ?? {})[TAG.cluster];
  if (infraId === undefined || resourceGroupName(infraId).toLowerCase() !== group.toLowerCase() || !ownedByCluster(current.tags, infraId)) {
    throw new ProviderError('invalid', `azure delete resource group: ${group} is not a cluster group Slipway made (it lacks our management tag or its cluster's tag); it is left alone`, { operation: 'delete resource group' });
  }
  await deleteClusterGroup(context, infraId);
}

/** Whether the cluster's resource group is there and ours (our management tag, the cluster's tag): only then is anything in it deleted. */
export async function ownsClusterGroup(context: NetworkContext, infraId: string, scope: OwnershipScope): Promise<boolean> {
  const group = await existing(context, 'get resource group', () => context.clients.resources.resourceGroups.get(resourceGroupName(infraId)));
  return group !== undefined && ownedByCluster(group.tags, infraId, scope);
}

/** Starts deleting the cluster's resource group and everything in it; a missing group is fine. Check ownsClusterGroup first. */
export async function deleteClusterGroup(context: NetworkContext, infraId: string): Promise<void> {
  const group = resourceGroupName(infraId);
  try {
    await attempt(context, 'delete resource group', () => context.clients.resources.resourceGroups.delete(group).submitted());
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export async function deleteNetworkResource(context: NetworkContext, kind: 'network' | 'securityGroup', id: string): Promise<void> {
  const group = kind === 'network' ? GROUP_ID.exec(id)?.[1] : undefined;
  if (group !== undefined) return deleteGroupResource(context, group);
  const type = kind === 'network' ? VNET_TYPE : NSG_TYPE;
  const address = parseResourceId(id, type);
  if (!address) throw new ProviderError('invalid', `azure delete ${kind}: "${id}" is not the resource ID of a ${type}`, { operation: `delete ${kind}` });
  const { network } = context.clients;
  try {
    await attempt(context, `delete ${kind}`, () =>
      (kind === 'network' ? network.virtualNetworks.delete(address.resourceGroup, address.name) : network.networkSecurityGroups.delete(address.resourceGroup, address.name)).submitted(),
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export interface Listed {
  readonly id?: string;
  readonly name?: string;
  readonly location?: string;
  readonly tags?: Record<string, string>;
  readonly provisioningState?: string;
}

/** Streams one listing's items as listResources lists them (listing.ts), page by page; ones being deleted are left out. */
export async function* listTagged(context: NetworkContext, kind: CloudResourceKind, operation: string, pages: () => AsyncIterableIterator<Listed[]>, query: TagQuery, nameOf: (name: string) => string = (name) => name): AsyncGenerator<CloudResource> {
  const iterator = pages();
  // The SDK follows nextLink itself; each page carries the link it came with, so a repeat is still caught.
  const guard = pageGuard('azure', operation);
  for (let index = 0; ; index += 1) {
    const page = await attempt(context, operation, () => iterator.next());
    if (page.done) break;
    guard.next(nextLinkOf(page.value, index));
    for (const item of page.value) {
      if (!item.id || !item.name || item.provisioningState?.toLowerCase() === 'deleting') continue;
      const found = resource(kind, item.id, nameOf(item.name), item.tags);
      if (listedBy(found.tags, query, item.location, context.location)) yield found;
    }
  }
}

/** The subscription's resource groups as listTagged reads items (a group keeps its state under properties). */
async function* groupPages(context: NetworkContext): AsyncIterableIterator<Listed[]> {
  for await (const page of context.clients.resources.resourceGroups.list().byPage()) {
    // The link the page came with goes along, so listTagged's guard sees a repeated one.
    const continuationToken: unknown = (page as { continuationToken?: unknown }).continuationToken;
    yield Object.assign(page.map((group) => ({
      ...(group.id !== undefined ? { id: group.id } : {}),
      ...(group.name !== undefined ? { name: group.name } : {}),
      ...(group.location !== undefined ? { location: group.location } : {}),
      ...(group.tags !== undefined ? { tags: group.tags } : {}),
      ...(group.properties?.provisioningState !== undefined ? { provisioningState: group.properties.provisioningState } : {}),
    })), { continuationToken });
  }
}

/** Streams the subscription's security groups, networks and resource groups carrying the tags, in the order they can be deleted. */
export async function* listNetworkResources(context: NetworkContext, query: TagQuery): AsyncGenerator<CloudResource> {
  const { network } = context.clients;
  yield* listTagged(context, 'securityGroup', 'list network security groups', () => network.networkSecurityGroups.listAll().byPage(), query);
  yield* listTagged(context, 'network', 'list virtual networks', () => network.virtualNetworks.listAll().byPage(), query);
  yield* listTagged(context, 'network', 'list resource groups', () => groupPages(context), query);
}
