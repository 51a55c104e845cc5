/**
 * References between resources: a VM's network interface configurations point at a subnet
 * (inside a virtual network) and at a network security group, and a subnet may point at a
 * network security group. A reference to something missing is refused at PUT
 * (InvalidResourceReference); a resource something points at cannot be deleted (InUse...).
 */
import { armError, isRecord, stringField, type ArmFailure } from './arm-http';
import type { ArmState, TrackedResource } from './state';

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
export const VNET_TYPE = 'Microsoft.Network/virtualNetworks';
export const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';

export function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function child(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

const idOf = (value: unknown): string | undefined => stringField(child(value, 'id'));

/** The subnet and security group IDs a VM's network interface configurations name. */
export function vmNetworkReferences(properties: Record<string, unknown>): { subnets: string[]; securityGroups: string[] } {
  const subnets: string[] = [];
  const securityGroups: string[] = [];
  for (const nic of records(child(properties, 'networkProfile', 'networkInterfaceConfigurations'))) {
    const group = idOf(child(nic, 'properties', 'networkSecurityGroup'));
    if (group) securityGroups.push(group);
    for (const ipConfiguration of records(child(nic, 'properties', 'ipConfigurations'))) {
      const subnet = idOf(child(ipConfiguration, 'properties', 'subnet'));
      if (subnet) subnets.push(subnet);
    }
  }
  return { subnets, securityGroups };
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

export function checkSecurityGroup(state: ArmState, groupId: string, by: string): ArmFailure | undefined {
  return live(state, groupId, NSG_TYPE) ? undefined : missing(groupId, by);
}

const within = (id: string, parent: string): boolean => id.toLowerCase().startsWith(`${parent.toLowerCase()}/`);
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** VMs still holding a NIC in one of the network's subnets (a deleting VM still holds its NIC). */
export function usersOfNetwork(state: ArmState, network: TrackedResource): TrackedResource[] {
  return [...state.resources.values()].filter((resource) => resource.type === VM_TYPE && vmNetworkReferences(resource.properties).subnets.some((subnet) => within(subnet, network.id)));
}

export function usersOfSecurityGroup(state: ArmState, group: TrackedResource): TrackedResource[] {
  return [...state.resources.values()].filter((resource) => {
    if (resource.type === VM_TYPE) return vmNetworkReferences(resource.properties).securityGroups.some((id) => same(id, group.id));
    if (resource.type === VNET_TYPE) return subnetSecurityGroups(resource.properties).some((id) => same(id, group.id));
    return false;
  });
}
