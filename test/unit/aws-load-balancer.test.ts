/**
 * The API load balancer's names, and what ELB does that moto does not: DescribeTags failing for a
 * whole batch when one load balancer went away since it was listed, DuplicateLoadBalancerName for
 * a create whose earlier answer was lost, and a name taken by a load balancer that is not ours.
 * Against a stub that answers ELB's Query-protocol XML through the real SDK.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiLoadBalancerName, loadBalancerOperations, type LoadBalancerOperations } from '../../providers/aws/load-balancer';
import { createAwsServices } from '../../providers/aws/services';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type CloudResource } from '../../providers/types';

describe('apiLoadBalancerName', () => {
  const legal = (name: string): boolean => name.length <= 32 && /^(?!.*--)(?!-)(?!.*-$)(?!internal-)[A-Za-z0-9-]+$/.test(name);

  it('is <infraId>-api when ELB takes that', () => {
    expect(apiLoadBalancerName('prod-x1y2z')).toBe('prod-x1y2z-api');
    expect(apiLoadBalancerName('a'.repeat(28))).toBe(`${'a'.repeat(28)}-api`);
  });

  it.each([
    ['the longest infra ID (33 characters)', `${'c'.repeat(27)}-x1y2z`],
    ['29 characters', 'a'.repeat(29)],
    ['a double hyphen target group names refuse', 'my--cluster-x1y2z'],
    ['the internal- prefix ELB reserves', 'internal-x1y2z'],
    ['a cut that would end in a hyphen', `${'d'.repeat(18)}-${'e'.repeat(14)}`],
  ])('is shortened, legal and stable for %s', (_case, infraId) => {
    const name = apiLoadBalancerName(infraId);
    expect(legal(name), name).toBe(true);
    expect(apiLoadBalancerName(infraId)).toBe(name);
    expect(name.endsWith('-api')).toBe(true);
  });

  it('keeps infra IDs that share a long prefix apart', () => {
    const prefix = 'p'.repeat(27);
    expect(apiLoadBalancerName(`${prefix}-aaaaa`)).not.toBe(apiLoadBalancerName(`${prefix}-bbbbb`));
  });
});

const NS = 'xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const arnOf = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/${name}/0123456789abcdef`;

interface Canned {
  readonly status: number;
  readonly body: string;
}

const ok = (action: string, result: string): Canned => ({ status: 200, body: `<${action}Response ${NS}><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>` });
const elbError = (status: number, code: string): Canned => ({ status, body: `<ErrorResponse ${NS}><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} (stub)</Message></Error><RequestId>r</RequestId></ErrorResponse>` });
const tagsXml = (tags: Record<string, string>) => `<Tags>${Object.entries(tags).map(([key, value]) => `<member><Key>${key}</Key><Value>${value}</Value></member>`).join('')}</Tags>`;
const balancerXml = (name: string) =>
  `<member><LoadBalancerArn>${arnOf(name)}</LoadBalancerArn><LoadBalancerName>${name}</LoadBalancerName><DNSName>${name}-1.elb.us-east-1.amazonaws.com</DNSName><CanonicalHostedZoneId>Z26RNL4JYFTOTI</CanonicalHostedZoneId><Type>network</Type><Scheme>internal</Scheme></member>`;

describe('aws load balancer against ELB answers moto never gives', () => {
  let server: Server;
  let operations: LoadBalancerOperations;
  /** Answers by Action; a function sees the form and how often that Action came before. */
  let answers: Record<string, (form: URLSearchParams, seen: number) => Canned> = {};
  let seen: Record<string, number> = {};
  const ours = (infraId: string) => ownershipTags({ managementId: 'm1', infraId, createdAt: '2026-11-25T00:00:00.000Z' });

  beforeAll(async () => {
    server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const action = form.get('Action') ?? '';
        const count = seen[action] ?? 0;
        seen[action] = count + 1;
        const canned = answers[action]?.(form, count) ?? elbError(400, 'InvalidAction');
        response.writeHead(canned.status, { 'content-type': 'text/xml' });
        response.end(canned.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    operations = loadBalancerOperations(createAwsServices({ region: 'us-east-1', endpoint: url, credentials: async () => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET }), requestTimeoutMs: 2_000 }).elb);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    answers = {};
    seen = {};
  });

  it('lists past a load balancer deleted between DescribeLoadBalancers and DescribeTags (ELB fails the whole batch then)', async () => {
    answers = {
      DescribeLoadBalancers: () => ok('DescribeLoadBalancers', `<LoadBalancers>${balancerXml('c1-api')}${balancerXml('gone-api')}</LoadBalancers>`),
      DescribeTargetGroups: () => ok('DescribeTargetGroups', '<TargetGroups/>'),
      DescribeTags: (form) => {
        const arns = [...form.entries()].filter(([key]) => key.startsWith('ResourceArns.member.')).map(([, value]) => value);
        if (arns.includes(arnOf('gone-api'))) return elbError(400, 'LoadBalancerNotFound');
        return ok('DescribeTags', `<TagDescriptions>${arns.map((arn) => `<member><ResourceArn>${arn}</ResourceArn>${tagsXml({ ...ours('c1'), Name: 'c1-api' })}</member>`).join('')}</TagDescriptions>`);
      },
    };
    const listed: CloudResource[] = [];
    for await (const resource of operations.listLoadBalancerResources({ [TAG.cluster]: 'c1' })) listed.push(resource);
    expect(listed).toEqual([{ kind: 'loadBalancer', id: arnOf('c1-api'), name: 'c1-api', tags: ours('c1') }]);
    expect(seen.DescribeTags).toBe(3);
  });

  const request = { infraId: 'c1', clusterName: 'c1', baseDomain: 'example.test', region: 'us-east-1', tags: ours('c1') };
  const placement = { vpcId: 'vpc-1', subnetId: 'subnet-1' };
  const targetGroupAnswers = {
    DescribeTargetGroups: () => ok('DescribeTargetGroups', `<TargetGroups><member><TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/c1-api/1</TargetGroupArn><TargetGroupName>c1-api</TargetGroupName></member></TargetGroups>`),
    DescribeListeners: () => ok('DescribeListeners', `<Listeners><member><ListenerArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/c1-api/1/2</ListenerArn><Port>6443</Port><Protocol>TCP</Protocol></member></Listeners>`),
  };

  it('looks the load balancer up when CreateLoadBalancer says DuplicateLoadBalancerName (an earlier create whose answer was lost)', async () => {
    answers = {
      ...targetGroupAnswers,
      DescribeLoadBalancers: (_form, count) => (count === 0 ? elbError(400, 'LoadBalancerNotFound') : ok('DescribeLoadBalancers', `<LoadBalancers>${balancerXml('c1-api')}</LoadBalancers>`)),
      CreateLoadBalancer: () => elbError(400, 'DuplicateLoadBalancerName'),
      DescribeTags: (form) => ok('DescribeTags', `<TagDescriptions><member><ResourceArn>${form.get('ResourceArns.member.1') ?? ''}</ResourceArn>${tagsXml({ ...ours('c1'), Name: 'c1-api' })}</member></TagDescriptions>`),
    };
    const api = await operations.ensureApiLoadBalancer(request, placement);
    expect(api.loadBalancer.id).toBe(arnOf('c1-api'));
    expect(api.dnsName).toBe('c1-api-1.elb.us-east-1.amazonaws.com');
    expect(api.canonicalHostedZoneId).toBe('Z26RNL4JYFTOTI');
    expect(seen.CreateLoadBalancer).toBe(1);
    expect(seen.CreateListener).toBeUndefined();
  });

  it('refuses, as invalid, a load balancer of that name that is not this cluster\'s', async () => {
    answers = {
      ...targetGroupAnswers,
      DescribeLoadBalancers: () => ok('DescribeLoadBalancers', `<LoadBalancers>${balancerXml('c1-api')}</LoadBalancers>`),
      DescribeTags: (form) => {
        const arn = form.get('ResourceArns.member.1') ?? '';
        const tags = arn.includes(':loadbalancer/') ? ours('someone-else') : ours('c1');
        return ok('DescribeTags', `<TagDescriptions><member><ResourceArn>${arn}</ResourceArn>${tagsXml(tags)}</member></TagDescriptions>`);
      },
    };
    const error = await operations.ensureApiLoadBalancer(request, placement).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('invalid');
    expect((error as ProviderError).message).toMatch(/load balancer named c1-api already exists but is not cluster c1's/);
    expect(seen.CreateLoadBalancer).toBeUndefined();
  });

  it('classifies ELB\'s Throttling and TooManyLoadBalancers, and scrubs the secret', async () => {
    answers = {
      ...targetGroupAnswers,
      DescribeTags: (form) => ok('DescribeTags', `<TagDescriptions><member><ResourceArn>${form.get('ResourceArns.member.1') ?? ''}</ResourceArn>${tagsXml(ours('c1'))}</member></TagDescriptions>`),
      DescribeLoadBalancers: () => elbError(400, 'LoadBalancerNotFound'),
      CreateLoadBalancer: () => elbError(400, 'TooManyLoadBalancers'),
    };
    const quota = await operations.ensureApiLoadBalancer(request, placement).catch((caught: unknown) => caught);
    expect(quota).toMatchObject({ kind: 'quota' });
    answers = { DescribeTargetGroups: () => elbError(400, 'Throttling') };
    const throttled = await operations.ensureApiLoadBalancer(request, placement).catch((caught: unknown) => caught);
    expect(throttled).toMatchObject({ kind: 'throttled' });
    for (const error of [quota, throttled]) expect(`${(error as Error).message} ${(error as Error).stack ?? ''}`).not.toContain(SECRET);
  });
});
