/**
 * Where a cluster's things live in Azure, all derived from its infra ID so that any worker
 * finds them again: one resource group per cluster, holding its virtual network (one subnet
 * for control-plane machines, one for workers), its network security group, its VMs, the
 * internal load balancer in front of the API servers and the private DNS zone
 * <clusterName>.<baseDomain> (linked to the network) holding the API's A record.
 * Provider IDs take Cluster API Provider Azure's form, azure:// followed by the VM's resource ID.
 */
import type { MachineRole } from '../types';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';

export const resourceGroupName = (infraId: string): string => `${infraId}-rg`;
export const virtualNetworkName = (infraId: string): string => `${infraId}-vnet`;
export const securityGroupName = (infraId: string): string => `${infraId}-nsg`;
export const loadBalancerName = (infraId: string): string => `${infraId}-api`;
export const dnsZoneName = (clusterName: string, baseDomain: string): string => `${clusterName}.${baseDomain}`;
export const dnsLinkName = (infraId: string): string => `${infraId}-vnet-link`;
/** The API's record in the cluster's private zone: api.<clusterName>.<baseDomain>. */
export const API_RECORD = 'api';
export const API_PORT = 6443;
/** The API load balancer's backend pool, which control-plane machines' NICs join. */
export const API_BACKEND_POOL = 'api-backend';

export function apiBackendPoolId(subscriptionId: string, infraId: string): string {
  return `${groupId(subscriptionId, resourceGroupName(infraId))}/providers/Microsoft.Network/loadBalancers/${loadBalancerName(infraId)}/backendAddressPools/${API_BACKEND_POOL}`;
}

export const subnetName = (infraId: string, role: MachineRole): string => `${infraId}-${role === 'control-plane' ? 'master' : 'worker'}-subnet`;

export const VNET_ADDRESS_SPACE = '10.0.0.0/16';
export const SUBNET_PREFIX: Readonly<Record<MachineRole, string>> = { 'control-plane': '10.0.0.0/24', worker: '10.0.128.0/17' };

export function groupId(subscriptionId: string, group: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${group}`;
}

export function subnetId(subscriptionId: string, infraId: string, role: MachineRole): string {
  return `${groupId(subscriptionId, resourceGroupName(infraId))}/providers/Microsoft.Network/virtualNetworks/${virtualNetworkName(infraId)}/subnets/${subnetName(infraId, role)}`;
}

export function securityGroupId(subscriptionId: string, infraId: string): string {
  return `${groupId(subscriptionId, resourceGroupName(infraId))}/providers/Microsoft.Network/networkSecurityGroups/${securityGroupName(infraId)}`;
}

export interface ResourceAddress {
  readonly resourceGroup: string;
  readonly name: string;
}

/** The group and name in an ARM resource ID of the given type; undefined for another type. */
export function parseResourceId(id: string, type: string): ResourceAddress | undefined {
  const [namespace, kind] = type.split('/');
  const pattern = new RegExp(`^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/${namespace}/${kind}/([^/]+)$`, 'i');
  const match = pattern.exec(id);
  return match ? { resourceGroup: match[1] ?? '', name: match[2] ?? '' } : undefined;
}

const PROVIDER_PREFIX = 'azure://';

export const providerIdOf = (vmId: string): string => `${PROVIDER_PREFIX}${vmId}`;

export function vmAddressOf(providerId: string): ResourceAddress | undefined {
  return providerId.startsWith(PROVIDER_PREFIX) ? parseResourceId(providerId.slice(PROVIDER_PREFIX.length), VM_TYPE) : undefined;
}

/** OData string literal: single quotes doubled. */
export const odataString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
