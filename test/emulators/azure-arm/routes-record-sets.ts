/**
 * Private DNS record sets ("Record Sets - Create Or Update / Get / Delete" of the Azure Private
 * DNS REST reference): /.../privateDnsZones/{zone}/{recordType}/{relativeRecordSetName}. Unlike
 * zones and links they are written synchronously: PUT answers 201 (new) or 200 with the
 * record set, DELETE answers 200, or 204 when there was nothing to delete. They live inside
 * their zone and go with it.
 */
import { randomUUID } from 'node:crypto';
import { armError, isRecord, stringField, type ArmAnswer, type ArmFailure, type ArmRequest } from './arm-http';
import { zoneRecordSets, type RecordSetRecord } from './kind-private-dns';
import { DNS_ZONE_TYPE, records } from './references';
import { groupNotFound, type ResourceRoutesContext } from './routes-resources';

const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'PTR', 'SOA', 'SRV', 'TXT'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function view(zoneId: string, zoneName: string, record: RecordSetRecord): Record<string, unknown> {
  const fqdn = record.name === '@' ? `${zoneName}.` : `${record.name}.${zoneName}.`;
  return {
    id: `${zoneId}/${record.type}/${record.name}`,
    name: record.name,
    type: `${DNS_ZONE_TYPE}/${record.type}`,
    etag: record.etag,
    properties: { ...record.properties, fqdn, isAutoRegistered: false },
  };
}

function checkBody(type: string, properties: Record<string, unknown>): ArmFailure | undefined {
  const ttl = properties.ttl;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647)) return armError(400, 'BadRequest', 'The TTL must be a whole number of seconds from 0 to 2147483647.');
  if (type === 'A' && !records(properties.aRecords).every((item) => IPV4.test(stringField(item.ipv4Address) ?? ''))) return armError(400, 'BadRequest', 'Every A record needs an ipv4Address in dotted-decimal form.');
  return undefined;
}

export function recordSetRoute(request: ArmRequest, context: ResourceRoutesContext, groupName: string, zoneName: string, recordType: string, name: string): ArmAnswer | ArmFailure {
  const group = context.state.group(groupName);
  if (!group) return groupNotFound(groupName);
  const type = RECORD_TYPES.find((candidate) => candidate.toLowerCase() === recordType.toLowerCase());
  if (!type) return armError(400, 'BadRequest', `The record type '${recordType}' is not supported by private DNS zones.`);
  const zoneId = `${context.state.groupId(group.name)}/providers/${DNS_ZONE_TYPE}/${zoneName}`;
  const zone = context.state.resource(zoneId);
  if (!zone || zone.properties.provisioningState === 'Deleting') return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${zoneName}' not found.`);
  const sets = zoneRecordSets.get(zone) ?? new Map<string, RecordSetRecord>();
  zoneRecordSets.set(zone, sets);
  const key = `${type}/${name}`.toLowerCase();
  const existing = sets.get(key);
  switch (request.method) {
    case 'GET':
      return existing ? { status: 200, body: view(zone.id, zone.name, existing) } : armError(404, 'NotFound', `The resource record '${name}' of type ${type} does not exist in zone ${zone.name}.`);
    case 'DELETE':
      if (!existing) return { status: 204 };
      sets.delete(key);
      return { status: 200 };
    case 'PUT': {
      if (!isRecord(request.body)) return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
      const properties = isRecord(request.body.properties) ? request.body.properties : {};
      const refused = checkBody(type, properties);
      if (refused) return refused;
      const record: RecordSetRecord = { type, name: existing?.name ?? name, properties: { ttl: 3_600, ...properties }, etag: randomUUID() };
      sets.set(key, record);
      return { status: existing ? 200 : 201, body: view(zone.id, zone.name, record) };
    }
    default:
      return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on record sets.`);
  }
}
