/**
 * Microsoft.Network/privateDnsZones and their virtualNetworkLinks, as the Azure Private DNS
 * REST reference describes them ("Private Zones - Create Or Update / Get / Delete / List",
 * "Virtual Network Links - Create Or Update / Get / Delete / List"): both are global resources
 * (location 'global'), both are written by long-running operations (provisioningState Creating
 * or Updating, then Succeeded), a link names an existing virtual network, and a zone that
 * still has virtual network links cannot be deleted. Record sets live inside their zone (see
 * routes-record-sets.ts) and go with it.
 */
import { randomUUID } from 'node:crypto';
import { armError, stringField } from './arm-http';
import { baseView, type PutContext, type ResourceKind } from './kinds';
import { checkNetwork, child, DNS_LINK_TYPE, DNS_ZONE_TYPE } from './references';
import type { TrackedResource } from './state';

const LABEL = '[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const ZONE_NAME_RULE = { pattern: new RegExp(`^(?=.{1,253}$)(${LABEL}\\.)+${LABEL}$`), description: 'a DNS name of at least two labels, each up to 63 letters, digits, hyphens and underscores, 253 characters in all' };
const LINK_NAME_RULE = { pattern: /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/, description: 'up to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore' };

/** Record sets per zone, keyed "TYPE/name" in lower case; a deleted zone's entry goes with it. */
export const zoneRecordSets = new WeakMap<TrackedResource, Map<string, RecordSetRecord>>();

export interface RecordSetRecord {
  readonly type: string;
  readonly name: string;
  properties: Record<string, unknown>;
  etag: string;
}

function globalOnly(context: PutContext, type: string) {
  return context.location.toLowerCase() === 'global' ? undefined : armError(400, 'InvalidResourceLocation', `The location '${context.location}' is not valid for ${type}: private DNS resources are global, use 'global'.`);
}

const isLinkOf = (link: TrackedResource, zone: TrackedResource): boolean => link.type === DNS_LINK_TYPE && link.id.toLowerCase().startsWith(`${zone.id.toLowerCase()}/virtualnetworklinks/`);

export const privateDnsZoneKind: ResourceKind = {
  type: DNS_ZONE_TYPE,
  namespace: 'Microsoft.Network',
  nameRule: ZONE_NAME_RULE,
  creatingState: 'Creating',
  updatingState: 'Updating',

  accept(properties, context) {
    const wrongLocation = globalOnly(context, DNS_ZONE_TYPE);
    if (wrongLocation) return wrongLocation;
    return { ...properties, internalId: context.existing?.properties.internalId ?? randomUUID(), maxNumberOfRecordSets: 25_000, maxNumberOfVirtualNetworkLinks: 1_000, maxNumberOfVirtualNetworkLinksWithRegistration: 100 };
  },

  view(resource) {
    // The zone's SOA record set counts as one.
    return baseView(resource, { ...resource.properties, numberOfRecordSets: 1 + (zoneRecordSets.get(resource)?.size ?? 0) });
  },

  inUse(resource, state) {
    const link = [...state.resources.values()].find((candidate) => isLinkOf(candidate, resource));
    return link ? armError(409, 'Conflict', `The private DNS zone ${resource.name} cannot be deleted because it has virtual network links (${link.name}). Delete them first.`) : undefined;
  },
};

export const privateDnsLinkKind: ResourceKind = {
  type: DNS_LINK_TYPE,
  namespace: 'Microsoft.Network',
  nameRule: LINK_NAME_RULE,
  creatingState: 'Creating',
  updatingState: 'Updating',

  accept(properties, context) {
    const wrongLocation = globalOnly(context, DNS_LINK_TYPE);
    if (wrongLocation) return wrongLocation;
    const network = stringField(child(properties, 'virtualNetwork', 'id'));
    if (!network) return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: virtualNetwork.id is required.');
    const missing = checkNetwork(context.state, network, context.id);
    if (missing) return missing;
    const registration = properties.registrationEnabled;
    if (registration !== undefined && typeof registration !== 'boolean') return armError(400, 'InvalidRequestFormat', 'Cannot parse the request: registrationEnabled must be true or false.');
    const existingNetwork = stringField(child(context.existing?.properties, 'virtualNetwork', 'id'));
    if (existingNetwork && existingNetwork.toLowerCase() !== network.toLowerCase()) return armError(400, 'BadRequest', 'The virtual network of an existing virtual network link cannot be changed.');
    return { ...properties, virtualNetwork: { id: network }, registrationEnabled: registration ?? false };
  },

  view(resource) {
    const linkState = resource.properties.provisioningState === 'Succeeded' ? 'Completed' : 'InProgress';
    return baseView(resource, { ...resource.properties, virtualNetworkLinkState: linkState });
  },
};
