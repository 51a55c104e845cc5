/**
 * Microsoft.Network/loadBalancers, internal ones only, as the Azure Load Balancer REST
 * reference describes them ("Load Balancers - Create Or Update / Get / Delete / List All"):
 * each frontend IP configuration sits in a subnet and gets a private IP address from the
 * subnet's range (Dynamic: the first free one after the five Azure keeps, the network address,
 * the three after it and the broadcast address; Static: the one asked for, if free and in
 * range). Rules name their frontend, backend pool and probe by ID within the load balancer.
 */
import { randomUUID } from 'node:crypto';
import { ArmFailure, armError, isRecord, stringField } from './arm-http';
import { baseView, type ResourceKind } from './kinds';
import { withIds } from './kind-network';
import { checkSubnet, child, records, subnetRecord, LB_TYPE } from './references';
import type { ArmState } from './state';

const NAME_RULE = { pattern: /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/, description: 'up to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore' };

const COLLECTIONS = ['frontendIPConfigurations', 'backendAddressPools', 'probes', 'loadBalancingRules'] as const;

const toNumber = (ip: string): number => ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
const toAddress = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

function subnetRange(state: ArmState, subnetId: string): { first: number; last: number } | undefined {
  const prefix = stringField(child(subnetRecord(state, subnetId), 'properties', 'addressPrefix'));
  const match = prefix ? /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(prefix) : null;
  if (!match) return undefined;
  const size = 2 ** (32 - Number(match[2]));
  const base = toNumber(match[1] ?? '') - (toNumber(match[1] ?? '') % size);
  return { first: base + 4, last: base + size - 2 };
}

/** Private addresses other load balancers' frontends hold in the subnet. */
function takenAddresses(state: ArmState, subnetId: string, exceptId: string): Set<string> {
  const taken = new Set<string>();
  for (const resource of state.resources.values()) {
    if (resource.type !== LB_TYPE || resource.id.toLowerCase() === exceptId.toLowerCase()) continue;
    for (const frontend of records(resource.properties.frontendIPConfigurations)) {
      const subnet = stringField(child(frontend, 'properties', 'subnet', 'id'));
      const address = stringField(child(frontend, 'properties', 'privateIPAddress'));
      if (subnet?.toLowerCase() === subnetId.toLowerCase() && address) taken.add(address);
    }
  }
  return taken;
}

function previousAddress(existing: Record<string, unknown> | undefined, name: string, subnetId: string): string | undefined {
  const frontend = records(existing?.frontendIPConfigurations).find((item) => stringField(item.name)?.toLowerCase() === name.toLowerCase());
  const sameSubnet = stringField(child(frontend, 'properties', 'subnet', 'id'))?.toLowerCase() === subnetId.toLowerCase();
  return sameSubnet ? stringField(child(frontend, 'properties', 'privateIPAddress')) : undefined;
}

function assignAddress(state: ArmState, frontend: Record<string, unknown>, id: string, existing: Record<string, unknown> | undefined, taken: Set<string>): Record<string, unknown> | ArmFailure {
  const name = stringField(frontend.name) ?? '';
  const properties = isRecord(frontend.properties) ? frontend.properties : {};
  const subnetId = stringField(child(properties, 'subnet', 'id'));
  if (!subnetId) return armError(400, 'InvalidRequestFormat', `Cannot parse the request: frontend IP configuration ${name} needs a subnet (the emulator serves internal load balancers only).`);
  const missing = checkSubnet(state, subnetId, id);
  if (missing) return missing;
  const range = subnetRange(state, subnetId);
  if (!range) return armError(400, 'InvalidRequestFormat', `Cannot parse the request: subnet ${subnetId} has no addressPrefix.`);
  const method = stringField(properties.privateIPAllocationMethod) ?? 'Dynamic';
  let address: string | undefined;
  if (method.toLowerCase() === 'static') {
    address = stringField(properties.privateIPAddress);
    const value = address && /^\d+\.\d+\.\d+\.\d+$/.test(address) ? toNumber(address) : Number.NaN;
    if (!address || !(value >= range.first && value <= range.last)) return armError(400, 'PrivateIPAddressNotInSubnet', `Private static IP address ${address ?? '(none)'} does not belong to the range of subnet ${subnetId}.`, 'privateIPAddress');
    if (taken.has(address)) return armError(400, 'PrivateIPAddressInUse', `Private static IP address ${address} is already in use in subnet ${subnetId}.`, 'privateIPAddress');
  } else {
    const kept = previousAddress(existing, name, subnetId);
    address = kept && !taken.has(kept) ? kept : undefined;
    for (let value = range.first; address === undefined && value <= range.last; value += 1) {
      if (!taken.has(toAddress(value))) address = toAddress(value);
    }
    if (address === undefined) return armError(400, 'SubnetIsFull', `Subnet ${subnetId} has no free private IP address left.`);
  }
  taken.add(address);
  return { ...frontend, properties: { ...properties, privateIPAllocationMethod: method.toLowerCase() === 'static' ? 'Static' : 'Dynamic', privateIPAddress: address, privateIPAddressVersion: 'IPv4' } };
}

/** A rule's reference must name an item of the given collection in this same load balancer. */
function checkRuleReference(rule: Record<string, unknown>, field: string, collection: string, id: string, names: Set<string>): ArmFailure | undefined {
  const reference = stringField(child(rule, 'properties', field, 'id'));
  if (reference === undefined) return field === 'probe' ? undefined : armError(400, 'InvalidRequestFormat', `Cannot parse the request: load balancing rule ${stringField(rule.name) ?? ''} needs ${field}.`);
  const prefix = `${id}/${collection}/`.toLowerCase();
  const ok = reference.toLowerCase().startsWith(prefix) && names.has(reference.slice(prefix.length).toLowerCase());
  return ok ? undefined : armError(400, 'InvalidResourceReference', `Resource ${reference} referenced by resource ${id} was not found. Make sure the referenced resource exists and is in the same region.`);
}

export const loadBalancerKind: ResourceKind = {
  type: LB_TYPE,
  namespace: 'Microsoft.Network',
  nameRule: NAME_RULE,
  creatingState: 'Updating',
  updatingState: 'Updating',

  accept(properties, context) {
    for (const collection of COLLECTIONS) {
      if (!records(properties[collection]).every((item) => stringField(item.name))) return armError(400, 'InvalidRequestFormat', `Cannot parse the request: every item of ${collection} needs a name.`);
    }
    const frontends = records(properties.frontendIPConfigurations);
    if (frontends.length === 0) return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: a load balancer needs at least one frontend IP configuration.');
    const names = (collection: (typeof COLLECTIONS)[number]): Set<string> => new Set(records(properties[collection]).map((item) => (stringField(item.name) ?? '').toLowerCase()));
    for (const probe of records(properties.probes)) {
      const port = child(probe, 'properties', 'port');
      const protocol = stringField(child(probe, 'properties', 'protocol')) ?? '';
      if (typeof port !== 'number' || port < 1 || port > 65535 || !/^(tcp|http|https)$/i.test(protocol)) return armError(400, 'InvalidRequestFormat', `Cannot parse the request: probe ${stringField(probe.name) ?? ''} needs protocol Tcp, Http or Https and a port from 1 to 65535.`);
    }
    for (const rule of records(properties.loadBalancingRules)) {
      const failure =
        checkRuleReference(rule, 'frontendIPConfiguration', 'frontendIPConfigurations', context.id, names('frontendIPConfigurations')) ??
        checkRuleReference(rule, 'backendAddressPool', 'backendAddressPools', context.id, names('backendAddressPools')) ??
        checkRuleReference(rule, 'probe', 'probes', context.id, names('probes'));
      if (failure) return failure;
    }
    const taken = new Set<string>();
    const assigned: Record<string, unknown>[] = [];
    for (const frontend of frontends) {
      const subnetId = stringField(child(frontend, 'properties', 'subnet', 'id')) ?? '';
      for (const address of takenAddresses(context.state, subnetId, context.id)) taken.add(address);
      const result = assignAddress(context.state, frontend, context.id, context.existing?.properties, taken);
      if (result instanceof ArmFailure) return result;
      assigned.push(result);
    }
    return { ...properties, frontendIPConfigurations: assigned, resourceGuid: context.existing?.properties.resourceGuid ?? randomUUID() };
  },

  view(resource) {
    const collections = Object.fromEntries(COLLECTIONS.map((collection) => [collection, withIds(records(resource.properties[collection]), resource.id, collection, `${LB_TYPE}/${collection}`)]));
    return baseView(resource, { ...resource.properties, ...collections });
  },
};
