/**
 * The API zone against what Route 53 does and moto does not: a CallerReference is never accepted
 * twice (HostedZoneAlreadyExists, even after its zone was deleted), a VPC holds one private zone of
 * a name (ConflictingDomainExists), and a zone may not be listed at once. Against a stub that keeps
 * a small Route 53 model and answers its REST XML through the real SDK.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiZoneName, callerReferenceFor, dnsOperations, type DnsOperations } from '../../providers/aws/dns';
import { createAwsServices } from '../../providers/aws/services';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError } from '../../providers/types';

const NS = 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"';

interface Zone {
  readonly id: string;
  readonly name: string;
  readonly reference: string;
  tags: Record<string, string>;
}

const zoneXml = (zone: Zone) =>
  `<HostedZone><Id>/hostedzone/${zone.id}</Id><Name>${zone.name}</Name><CallerReference>${zone.reference}</CallerReference><Config><PrivateZone>true</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>`;
const changeInfo = '<ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>2026-11-25T00:00:00Z</SubmittedAt></ChangeInfo>';
const route53Error = (status: number, code: string) => ({ status, body: `<ErrorResponse ${NS}><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} (stub)</Message></Error><RequestId>r</RequestId></ErrorResponse>` });
const between = (text: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1];

describe('aws API zone against Route 53 answers moto never gives', () => {
  let server: Server;
  let dns: DnsOperations;
  let zones: Zone[];
  /** References Route 53 has seen: those of zones made, live or deleted since. */
  let usedReferences: Set<string>;
  /** How many ListHostedZonesByName calls answer as if a just-made zone were not there yet. */
  let staleListings: number;
  let upserts: string[];
  let serial = 0;

  const request = { infraId: 'c1', clusterName: 'c1', baseDomain: 'example.test', region: 'us-east-1', tags: ownershipTags({ managementId: 'm1', infraId: 'c1', createdAt: '2026-11-25T00:00:00.000Z' }) };
  const vpc = { vpcId: 'vpc-1', region: 'us-east-1' };
  const target = { dnsName: 'c1-api-1.elb.us-east-1.amazonaws.com', canonicalHostedZoneId: 'Z26RNL4JYFTOTI' };

  const answer = (method: string, path: string, query: URLSearchParams, body: string): { status: number; body: string } => {
    if (method === 'GET' && path === '/2013-04-01/hostedzonesbyname') {
      const name = query.get('dnsname') ?? '';
      const listed = staleListings > 0 ? [] : zones.filter((zone) => zone.name === name);
      staleListings = Math.max(0, staleListings - 1);
      return { status: 200, body: `<ListHostedZonesByNameResponse ${NS}><HostedZones>${listed.map(zoneXml).join('')}</HostedZones><DNSName>${name}</DNSName><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>` };
    }
    if (method === 'POST' && path === '/2013-04-01/hostedzone') {
      const reference = between(body, 'CallerReference') ?? '';
      const name = `${between(body, 'Name') ?? ''}.`;
      if (usedReferences.has(reference)) return route53Error(409, 'HostedZoneAlreadyExists');
      if (zones.some((zone) => zone.name === name)) return route53Error(400, 'ConflictingDomainExists');
      usedReferences.add(reference);
      serial += 1;
      const zone: Zone = { id: `Z${serial}STUB`, name, reference, tags: {} };
      zones.push(zone);
      return { status: 201, body: `<CreateHostedZoneResponse ${NS}>${zoneXml(zone)}${changeInfo}<VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-1</VPCId></VPC></CreateHostedZoneResponse>` };
    }
    const tagged = /^\/2013-04-01\/tags\/hostedzone\/([A-Z0-9]+)$/.exec(path);
    const zone = zones.find((candidate) => candidate.id === tagged?.[1]);
    if (tagged && !zone) return route53Error(404, 'NoSuchHostedZone');
    if (zone && method === 'GET') {
      const tags = Object.entries(zone.tags).map(([key, value]) => `<Tag><Key>${key}</Key><Value>${value}</Value></Tag>`).join('');
      return { status: 200, body: `<ListTagsForResourceResponse ${NS}><ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>${zone.id}</ResourceId><Tags>${tags}</Tags></ResourceTagSet></ListTagsForResourceResponse>` };
    }
    if (zone && method === 'POST') {
      for (const match of body.matchAll(/<Tag><Key>([^<]*)<\/Key><Value>([^<]*)<\/Value><\/Tag>/g)) zone.tags[match[1] ?? ''] = match[2] ?? '';
      return { status: 200, body: `<ChangeTagsForResourceResponse ${NS}/>` };
    }
    if (method === 'POST' && /^\/2013-04-01\/hostedzone\/[A-Z0-9]+\/rrset\/?$/.test(path)) {
      upserts.push(`${between(body, 'Action') ?? ''} ${path.split('/')[3] ?? ''} ${body.includes(`<DNSName>${target.dnsName}</DNSName>`) ? 'alias' : 'no-alias'}`);
      return { status: 200, body: `<ChangeResourceRecordSetsResponse ${NS}>${changeInfo}</ChangeResourceRecordSetsResponse>` };
    }
    return route53Error(400, 'InvalidInput');
  };

  beforeAll(async () => {
    server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const url = new URL(incoming.url ?? '/', 'http://stub');
        const canned = answer(incoming.method ?? 'GET', url.pathname, url.searchParams, Buffer.concat(chunks).toString('utf8'));
        response.writeHead(canned.status, { 'content-type': 'text/xml' });
        response.end(canned.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dns = dnsOperations(createAwsServices({ region: 'us-east-1', endpoint: url, credentials: async () => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'stub-secret-key-000' }), requestTimeoutMs: 2_000 }).route53);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    zones = [];
    usedReferences = new Set();
    staleListings = 0;
    upserts = [];
  });

  it('names the zone <cluster>.<base domain>', () => {
    expect(apiZoneName({ clusterName: 'Prod', baseDomain: 'Example.com.' })).toBe('prod.example.com');
  });

  it('makes the zone under the first caller reference Route 53 has not seen (earlier install attempts used some), tags it and upserts the alias', async () => {
    usedReferences = new Set([callerReferenceFor('c1', 0), callerReferenceFor('c1', 1)]);
    const zone = await dns.ensureApiRecord(request, vpc, target);
    expect(zones.map((made) => made.reference)).toEqual(['slipway:c1:2']);
    expect(zone).toMatchObject({ kind: 'dnsRecord', id: zones[0]?.id, name: 'c1-dns', tags: request.tags });
    expect(zones[0]?.tags).toMatchObject({ [TAG.management]: 'm1', [TAG.cluster]: 'c1', Name: 'c1-dns' });
    expect(upserts).toEqual([`UPSERT ${zones[0]?.id ?? ''} alias`]);
  });

  it('takes HostedZoneAlreadyExists for a zone it made but could not list yet, and tags that zone rather than making another', async () => {
    await dns.ensureApiRecord(request, vpc, target);
    const made = zones[0];
    if (!made) throw new Error('no zone was made');
    made.tags = {}; // as if the crash came before ChangeTagsForResource
    staleListings = 1;
    const zone = await dns.ensureApiRecord(request, vpc, target);
    expect(zones).toHaveLength(1);
    expect(zone.id).toBe(made.id);
    expect(made.tags).toMatchObject({ [TAG.cluster]: 'c1', Name: 'c1-dns' });
  });

  it('retries (as retryable) when the VPC already holds a zone of the name that is not listed yet', async () => {
    zones = [{ id: 'ZOTHER', name: 'c1.example.test.', reference: 'someone-else', tags: {} }];
    const error = await dns.ensureApiRecord(request, vpc, target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'retryable' });
    expect((error as ProviderError).message).toMatch(/already has a zone named c1\.example\.test/);
  });

  it('refuses, as invalid, once every caller reference of the infra ID has been used', async () => {
    usedReferences = new Set(Array.from({ length: 16 }, (_, generation) => callerReferenceFor('c1', generation)));
    const error = await dns.ensureApiRecord(request, vpc, target).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'invalid' });
    expect((error as ProviderError).message).toMatch(/infra ID c1/);
    expect(zones).toEqual([]);
  });
});
