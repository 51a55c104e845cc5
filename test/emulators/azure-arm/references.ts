/**
 * References between resources: a VM's network interface configurations point at a subnet
 * (inside a virtual network) and at a network security group, a subnet may point at a
 * network security group, a load balancer's frontend IP configurations point at a subnet, and
 * a private DNS zone's virtual network link points at a virtual network. A reference to something missing is refused at PUT
 * (InvalidResourceReference); a resource something points at cannot be deleted (InUse...).
 */
import { armError, isRecord, stringField, type ArmFailure } from './arm-http';
import type { ArmState, TrackedResource } from './state';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
export const VNET_TYPE = 'Microsoft.Network/virtualNetworks';
export const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';
export const LB_TYPE = 'Microsoft.Network/loadBalancers';
export const DNS_ZONE_TYPE = 'Microsoft.Network/privateDnsZones';
export const DNS_LINK_TYPE = 'Microsoft.Network/privateDnsZones/virtualNetworkLinks';

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function child(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

const idOf = (value: unknown): string | undefined => stringField(child(value, 'id'));

/** The subnet, security group and load balancer backend pool IDs a VM's network interface configurations name. */
export function vmNetworkReferences(properties: Record<string, unknown>): { subnets: string[]; securityGroups: string[]; backendPools: string[] } {
  const subnets: string[] = [];
  const securityGroups: string[] = [];
  const backendPools: string[] = [];
  for (const nic of records(child(properties, 'networkProfile', 'networkInterfaceConfigurations'))) {
    const group = idOf(child(nic, 'properties', 'networkSecurityGroup'));
    if (group) securityGroups.push(group);
    for (const ipConfiguration of records(child(nic, 'properties', 'ipConfigurations'))) {
      const subnet = idOf(child(ipConfiguration, 'properties', 'subnet'));
      if (subnet) subnets.push(subnet);
      for (const pool of records(child(ipConfiguration, 'properties', 'loadBalancerBackendAddressPools'))) {
        const id = idOf(pool);
        if (id) backendPools.push(id);
      }
    }
  }
  return { subnets, securityGroups, backendPools };
}

/** The subnet IDs a load balancer's frontend IP configurations name. */
export function loadBalancerSubnets(properties: Record<string, unknown>): string[] {
  return records(properties.frontendIPConfigurations).flatMap((frontend) => {
    const subnet = idOf(child(frontend, 'properties', 'subnet'));
    return subnet ? [subnet] : [];
  });
}

export function subnetSecurityGroups(properties: Record<string, unknown>): string[] {
  return records(properties.subnets).flatMap((subnet) => {
    const group = idOf(child(subnet, 'properties', 'networkSecurityGroup'));
    return group ? [group] : [];
  });
}

function live(state: ArmState, id: string, type: string): TrackedResource | undefined {
  const resource = state.resource(id);
  return resource && resource.type === type && resource.properties.provisioningState !== 'Deleting' ? resource : undefined;
}

function missing(reference: string, by: string): ArmFailure {
  return armError(400, 'InvalidResourceReference', `Resource ${reference} referenced by resource ${by} was not found. Make sure the referenced resource exists and is in the same region.`);
}

export function checkSubnet(state: ArmState, subnetId: string, by: string): ArmFailure | undefined {
  const match = /^(.*\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)\/subnets\/([^/]+)$/i.exec(subnetId);
  const network = match ? live(state, match[1] ?? '', VNET_TYPE) : undefined;
  const exists = network !== undefined && records(network.properties.subnets).some((subnet) => stringField(subnet.name)?.toLowerCase() === (match?.[2] ?? '').toLowerCase());
  return exists ? undefined : missing(subnetId, by);
}

/** The subnet's record in its (live) virtual network, or undefined when either is missing. */
export function subnetRecord(state: ArmState, subnetId: string): Record<string, unknown> | undefined {
  const match = /^(.*\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)\/subnets\/([^/]+)$/i.exec(subnetId);
  const network = match ? live(state, match[1] ?? '', VNET_TYPE) : undefined;
  return network === undefined ? undefined : records(network.properties.subnets).find((subnet) => stringField(subnet.name)?.toLowerCase() === (match?.[2] ?? '').toLowerCase());
}

export function checkNetwork(state: ArmState, networkId: string, by: string): ArmFailure | undefined {
  return live(state, networkId, VNET_TYPE) ? undefined : missing(networkId, by);
}

export function checkSecurityGroup(state: ArmState, groupId: string, by: string): ArmFailure | undefined {
  return live(state, groupId, NSG_TYPE) ? undefined : missing(groupId, by);
}

export function checkBackendPool(state: ArmState, poolId: string, by: string): ArmFailure | undefined {
  const match = /^(.*\/providers\/Microsoft\.Network\/loadBalancers\/[^/]+)\/backendAddressPools\/([^/]+)$/i.exec(poolId);
  const balancer = match ? live(state, match[1] ?? '', LB_TYPE) : undefined;
  const exists = balancer !== undefined && records(balancer.properties.backendAddressPools).some((pool) => stringField(pool.name)?.toLowerCase() === (match?.[2] ?? '').toLowerCase());
  return exists ? undefined : missing(poolId, by);
}

/** The VMs (a deleting one included, until it is gone) whose NICs sit in the backend pool: its targets. */
export function backendPoolMembers(state: ArmState, poolId: string): TrackedResource[] {
  return [...state.resources.values()].filter((resource) => resource.type === VM_TYPE && vmNetworkReferences(resource.properties).backendPools.some((id) => id.toLowerCase() === poolId.toLowerCase()));
}

const within = (id: string, parent: string): boolean => id.toLowerCase().startsWith(`${parent.toLowerCase()}/`);
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** VMs still holding a NIC, and load balancers a frontend, in one of the network's subnets (a deleting one still holds it). */
export function usersOfNetwork(state: ArmState, network: TrackedResource): TrackedResource[] {
  return [...state.resources.values()].filter((resource) => {
    if (resource.type === VM_TYPE) return vmNetworkReferences(resource.properties).subnets.some((subnet) => within(subnet, network.id));
    if (resource.type === LB_TYPE) return loadBalancerSubnets(resource.properties).some((subnet) => within(subnet, network.id));
    return false;
  });
}

export function usersOfSecurityGroup(state: ArmState, group: TrackedResource): TrackedResource[] {
  return [...state.resources.values()].filter((resource) => {
    if (resource.type === VM_TYPE) return vmNetworkReferences(resource.properties).securityGroups.some((id) => same(id, group.id));
    if (resource.type === VNET_TYPE) return subnetSecurityGroups(resource.properties).some((id) => same(id, group.id));
    return false;
  });
}
