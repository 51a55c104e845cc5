/**
 * Microsoft.Network/virtualNetworks (with their subnets inline) and
 * Microsoft.Network/networkSecurityGroups, as the Azure Virtual Network REST reference
 * describes them ("Virtual Networks - Create Or Update / Get / Delete / List All",
 * "Network Security Groups - ..."): provisioningState Updating while an operation runs,
 * Succeeded after; a subnet or security group still in use cannot be deleted.
 */
import { randomUUID } from 'node:crypto';
import { armError, isRecord, stringField } from './arm-http';
import { baseView, type ResourceKind } from './kinds';
import { checkSecurityGroup, child, records, subnetSecurityGroups, usersOfNetwork, usersOfSecurityGroup, NSG_TYPE, VNET_TYPE } from './references';

const NAME_RULE = { pattern: /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/, description: 'up to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore' };

export function withIds(items: Record<string, unknown>[], parentId: string, collection: string, type: string): Record<string, unknown>[] {
  return items.map((item) => {
    const name = stringField(item.name) ?? '';
    const properties = isRecord(item.properties) ? item.properties : {};
    return { ...item, id: `${parentId}/${collection}/${name}`, type, properties: { ...properties, provisioningState: 'Succeeded' } };
  });
}

export const virtualNetworkKind: ResourceKind = {
  type: VNET_TYPE,
  namespace: 'Microsoft.Network',
  nameRule: NAME_RULE,
  creatingState: 'Updating',
  updatingState: 'Updating',

  accept(properties, context) {
    const prefixes = child(properties, 'addressSpace', 'addressPrefixes');
    if (!Array.isArray(prefixes) || prefixes.length === 0 || !prefixes.every((prefix) => typeof prefix === 'string' && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(prefix))) {
      return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: addressSpace.addressPrefixes must list at least one CIDR block.');
    }
    for (const subnet of records(properties.subnets)) {
      if (!stringField(subnet.name)) return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: every subnet needs a name.');
    }
    for (const group of subnetSecurityGroups(properties)) {
      const failure = checkSecurityGroup(context.state, group, context.id);
      if (failure) return failure;
    }
    return { ...properties, resourceGuid: context.existing?.properties.resourceGuid ?? randomUUID() };
  },

  view(resource) {
    const subnets = withIds(records(resource.properties.subnets), resource.id, 'subnets', `${VNET_TYPE}/subnets`);
    return baseView(resource, { ...resource.properties, subnets });
  },

  inUse(resource, state) {
    const [user] = usersOfNetwork(state, resource);
    return user ? armError(400, 'InUseSubnetCannotBeDeleted', `A subnet of ${resource.name} is in use by ${user.id} and cannot be deleted. Delete the resource that uses it first.`) : undefined;
  },
};

export const networkSecurityGroupKind: ResourceKind = {
  type: NSG_TYPE,
  namespace: 'Microsoft.Network',
  nameRule: NAME_RULE,
  creatingState: 'Updating',
  updatingState: 'Updating',

  accept(properties, context) {
    for (const rule of records(properties.securityRules)) {
      if (!stringField(rule.name)) return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: every security rule needs a name.');
    }
    return { ...properties, resourceGuid: context.existing?.properties.resourceGuid ?? randomUUID() };
  },

  view(resource) {
    const securityRules = withIds(records(resource.properties.securityRules), resource.id, 'securityRules', `${NSG_TYPE}/securityRules`);
    return baseView(resource, { ...resource.properties, securityRules });
  },

  inUse(resource, state) {
    const [user] = usersOfSecurityGroup(state, resource);
    return user ? armError(400, 'InUseNetworkSecurityGroupCannotBeDeleted', `Network security group ${resource.id} cannot be deleted because it is in use by ${user.id}.`) : undefined;
  },
};
