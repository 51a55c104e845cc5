/**
 * The AWS adapter's error handling through the real SDK, against a stub that answers EC2's
 * XML errors moto never sends (AuthFailure, quota, IdempotentParameterMismatch, ...).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsAdapter } from '../../providers/aws/adapter';
import { awsCodeKind } from '../../providers/aws/errors';
import { ownershipTags } from '../../providers/tags';
import { ProviderError, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';

interface Canned {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

function ec2Error(status: number, code: string, message: string, headers: Record<string, string> = {}): Canned {
  return { status, headers, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>req-1</RequestID></Response>` };
}

function instanceXml(id: string, state: string): string {
  return `<item><instanceId>${id}</instanceId><instanceState><code>0</code><name>${state}</name></instanceState><placement><availabilityZone>us-east-1a</availabilityZone></placement><tagSet><item><key>Name</key><value>earlier</value></item><item><key>slipway.dev/management</key><value>m1</value></item></tagSet></item>`;
}

const EMPTY_DESCRIBE: Canned = { status: 200, body: `<DescribeInstancesResponse ${NS}><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>` };

describe('aws adapter errors, through the SDK', () => {
  let server: Server;
  let url: string;
  /** Answers by Action; a function sees the form body. */
  let answers: Record<string, Canned | ((form: URLSearchParams) => Canned)> = {};
  let adapter: ProviderAdapter;
  let calls = 0;

  const request = (overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest => ({
    name: 'c1-m0',
    idempotencyToken: 'token-1',
    role: 'worker',
    instanceType: 'm6i.xlarge',
    image: 'ami-0123456789abcdef0',
    infraId: 'c1',
    tags: ownershipTags({ managementId: 'm1', infraId: 'c1', machineName: 'm0', role: 'worker', createdAt: '2026-11-25T00:00:00.000Z' }),
    ...overrides,
  });

  const failure = async (promise: Promise<unknown>): Promise<ProviderError> => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    const classified = error as ProviderError;
    expect(`${classified.message} ${JSON.stringify(classified.details)} ${classified.stack ?? ''}`).not.toContain(SECRET);
    return classified;
  };

  beforeAll(async () => {
    server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        calls += 1;
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const answer = answers[form.get('Action') ?? ''];
        const canned = typeof answer === 'function' ? answer(form) : (answer ?? ec2Error(400, 'InvalidAction', 'not stubbed'));
        response.writeHead(canned.status, { 'content-type': 'text/xml', ...canned.headers });
        response.end(canned.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adapter = createAwsAdapter({ region: 'us-east-1', endpoint: url, credentials: async () => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET }), requestTimeoutMs: 2_000 });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    // The cluster's subnet and security group exist, so a create gets as far as RunInstances.
    answers = {
      DescribeInstances: EMPTY_DESCRIBE,
      DescribeSubnets: { status: 200, body: `<DescribeSubnetsResponse ${NS}><requestId>r</requestId><subnetSet><item><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId></item></subnetSet></DescribeSubnetsResponse>` },
      DescribeSecurityGroups: { status: 200, body: `<DescribeSecurityGroupsResponse ${NS}><requestId>r</requestId><securityGroupInfo><item><groupId>sg-1</groupId><vpcId>vpc-1</vpcId></item></securityGroupInfo></DescribeSecurityGroupsResponse>` },
    };
  });

  it('AuthFailure is a credentials problem, points at the credentials secret, and never echoes a secret', async () => {
    answers.DescribeInstances = ec2Error(401, 'AuthFailure', `AWS was not able to validate the provided access credentials (${SECRET})`);
    const error = await failure(adapter.describeMachine('c1-m0'));
    expect(error.kind).toBe('credentials');
    expect(error.message).toMatch(/AuthFailure/);
    expect(error.message).toMatch(/check the credentials secret/);
    expect(error.details.status).toBe(401);
  });

  it('UnauthorizedOperation is a credentials problem', async () => {
    answers.DescribeInstances = ec2Error(403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
    expect((await failure(adapter.describeMachine('c1-m0'))).kind).toBe('credentials');
  });

  it.each([
    ['InstanceLimitExceeded', 'quota'],
    ['VcpuLimitExceeded', 'quota'],
    ['InsufficientInstanceCapacity', 'quota'],
    ['InvalidAMIID.Malformed', 'invalid'],
    ['InvalidAMIID.NotFound', 'invalid'],
    ['InvalidParameterValue', 'invalid'],
  ] as const)('RunInstances answering %s is %s', async (code, kind) => {
    answers.RunInstances = ec2Error(400, code, `refused: ${code}`);
    const error = await failure(adapter.createMachine(request()));
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(code);
  });

  it('RequestLimitExceeded is throttled, honouring a Retry-After date, and without one has no hint', async () => {
    answers.DescribeInstances = ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.', { 'retry-after': new Date(Date.now() + 30_000).toUTCString() });
    const withHint = await failure(adapter.describeMachine('c1-m0'));
    expect(withHint.kind).toBe('throttled');
    expect(withHint.details.retryAfterMs).toBeGreaterThan(25_000);
    expect(withHint.details.retryAfterMs).toBeLessThanOrEqual(30_000);
    answers.DescribeInstances = ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    const without = await failure(adapter.describeMachine('c1-m0'));
    expect(without.kind).toBe('throttled');
    expect(without.details.retryAfterMs).toBeUndefined();
  });

  it('InternalError, a non-EC2 502 and DependencyViolation are retryable', async () => {
    answers.DescribeInstances = ec2Error(500, 'InternalError', 'An internal error has occurred.');
    expect((await failure(adapter.describeMachine('c1-m0'))).kind).toBe('retryable');
    answers.DescribeInstances = { status: 502, body: 'Bad Gateway' };
    expect((await failure(adapter.describeMachine('c1-m0'))).kind).toBe('retryable');
    answers.DeleteVpc = ec2Error(400, 'DependencyViolation', 'The vpc has dependencies and cannot be deleted.');
    expect((await failure(adapter.deleteResource({ kind: 'network', id: 'vpc-0123', name: 'c1-vpc', tags: {} }))).kind).toBe('retryable');
  });

  it('a refused connection is retryable', async () => {
    const closed = createAwsAdapter({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', credentials: async () => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET }), requestTimeoutMs: 2_000 });
    const error = await failure(closed.describeMachine('c1-m0'));
    expect(error.kind).toBe('retryable');
    expect(error.message).toMatch(/connection failed/);
  });

  it('deleting an instance EC2 calls malformed or unknown succeeds; a providerId of another cloud is invalid', async () => {
    answers.TerminateInstances = ec2Error(400, 'InvalidInstanceID.Malformed', 'Invalid id');
    await adapter.deleteMachine('aws:///us-east-1a/i-zz');
    answers.TerminateInstances = ec2Error(400, 'InvalidInstanceID.NotFound', 'The instance ID does not exist');
    await adapter.deleteMachine('aws:///us-east-1a/i-0123456789abcdef0');
    const error = await failure(adapter.deleteMachine('gce://project/zone/name'));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/providerId/);
  });

  it('IdempotentParameterMismatch hands back the instance EC2 already ran for the token', async () => {
    answers.RunInstances = ec2Error(400, 'IdempotentParameterMismatch', 'The client token has already been used with different parameters.');
    answers.DescribeInstances = (form) =>
      [...form.values()].includes('client-token')
        ? { status: 200, body: `<DescribeInstancesResponse ${NS}><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><instancesSet>${instanceXml('i-0aaa', 'running')}</instancesSet></item></reservationSet></DescribeInstancesResponse>` }
        : EMPTY_DESCRIBE;
    const machine = await adapter.createMachine(request());
    expect(machine.providerId).toBe('aws:///us-east-1a/i-0aaa');
  });

  it('a ClientToken that EC2 answers with a terminated instance is refused, not handed back', async () => {
    answers.RunInstances = { status: 200, body: `<RunInstancesResponse ${NS}><requestId>r</requestId><reservationId>r-1</reservationId><instancesSet>${instanceXml('i-0bbb', 'terminated')}</instancesSet></RunInstancesResponse>` };
    const error = await failure(adapter.createMachine(request()));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/idempotency token/);
  });

  it('RunInstances gets the ClientToken, and a token longer than EC2 allows is hashed to 64 characters', async () => {
    const tokens: string[] = [];
    answers.RunInstances = (form) => {
      tokens.push(form.get('ClientToken') ?? '');
      return { status: 200, body: `<RunInstancesResponse ${NS}><requestId>r</requestId><reservationId>r-1</reservationId><instancesSet>${instanceXml('i-0ccc', 'pending')}</instancesSet></RunInstancesResponse>` };
    };
    await adapter.createMachine(request({ idempotencyToken: 'abc123' }));
    await adapter.createMachine(request({ idempotencyToken: 'x'.repeat(80) }));
    expect(tokens[0]).toBe('abc123');
    expect(tokens[1]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('no credentials anywhere is a credentials problem, naming where to put them', async () => {
    const missing = createAwsAdapter({
      region: 'us-east-1',
      endpoint: url,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    const error = await failure(missing.describeMachine('c1-m0'));
    expect(error.kind).toBe('credentials');
    expect(error.message).toMatch(/credentials secret/);
  });

  it('an empty image is refused before any call, naming the field', async () => {
    const before = calls;
    const error = await failure(adapter.createMachine(request({ image: ' ' })));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/image/);
    expect(calls).toBe(before);
  });
});

describe('awsCodeKind', () => {
  it.each([
    ['RequestLimitExceeded', 'throttled'],
    ['Throttling', 'throttled'],
    ['Client.UnauthorizedOperation', 'credentials'],
    ['AuthFailure', 'credentials'],
    ['InvalidInstanceID.NotFound', 'notFound'],
    ['InvalidVpcID.NotFound', 'notFound'],
    ['InvalidKeyPair.NotFound', 'invalid'],
    ['VpcLimitExceeded', 'quota'],
    ['TagLimitExceeded', 'invalid'],
    ['Server.InternalError', 'retryable'],
    ['Unavailable', 'retryable'],
    // Elastic Load Balancing v2 and Route 53.
    ['TooManyRequests', 'throttled'],
    ['PriorRequestNotComplete', 'throttled'],
    ['LoadBalancerNotFound', 'notFound'],
    ['TargetGroupNotFound', 'notFound'],
    ['ListenerNotFound', 'notFound'],
    ['NoSuchHostedZone', 'notFound'],
    ['TooManyLoadBalancers', 'quota'],
    ['TooManyHostedZones', 'quota'],
    ['TooManyTags', 'invalid'],
    ['DuplicateLoadBalancerName', 'invalid'],
    ['InvalidChangeBatch', 'invalid'],
    ['AccessDenied', 'credentials'],
    ['ResourceInUse', 'retryable'],
    ['HostedZoneNotEmpty', 'retryable'],
    ['SomethingNew', undefined],
  ] as const)('%s -> %s', (code, kind) => {
    expect(awsCodeKind(code)).toBe(kind);
  });
});
