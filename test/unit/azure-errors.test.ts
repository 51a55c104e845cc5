import { describe, expect, it } from 'vitest';
import { armCodeKind, classifyAzureError, scrub } from '../../providers/azure/errors';

/** A RestError as the Azure SDK builds it from an ARM error answer. */
function restError(statusCode: number, code: string | undefined, message: string, headers: Record<string, string> = {}, target?: string): Error {
  return Object.assign(new Error(message), {
    name: 'RestError',
    statusCode,
    code,
    response: { headers: { get: (name: string) => headers[name.toLowerCase()] } },
    ...(target ? { details: { error: { code, message, target } } } : {}),
  });
}

describe('classifyAzureError', () => {
  it('reads throttling from 429 and its Retry-After', () => {
    const error = classifyAzureError('list machines', restError(429, 'TooManyRequests', 'throttled', { 'retry-after': '17' }), 1_000);
    expect(error.kind).toBe('throttled');
    expect(error.details.retryAfterMs).toBe(17_000);
    expect(classifyAzureError('x', restError(429, 'SubscriptionRequestsThrottled', 'writes exceeded'), 1_000).kind).toBe('throttled');
  });

  it('tells a quota breach from other OperationNotAllowed answers', () => {
    expect(classifyAzureError('create machine', restError(409, 'OperationNotAllowed', 'Operation could not be completed as it results in exceeding approved Total Regional Cores quota.'), 1_000).kind).toBe('quota');
    expect(classifyAzureError('create machine', restError(409, 'OperationNotAllowed', 'The VM is being deleted.'), 1_000).kind).toBe('retryable');
    expect(classifyAzureError('create machine', restError(409, 'SkuNotAvailable', 'size not offered'), 1_000).kind).toBe('quota');
  });

  it('treats refused credentials as a credentials problem and bad requests as invalid, naming the machine field an ARM target points at', () => {
    const vmSize = classifyAzureError('create machine', restError(400, 'InvalidParameter', "Required parameter 'hardwareProfile.vmSize' is missing (null).", {}, 'hardwareProfile.vmSize'), 1_000);
    expect(vmSize.kind).toBe('invalid');
    expect(vmSize.message).toMatch(/instanceType/);
    const denied = classifyAzureError('create machine', restError(403, 'AuthorizationFailed', 'The client does not have authorization'), 1_000);
    expect(denied.kind).toBe('credentials');
    expect(denied.message).toMatch(/Contributor/);
  });

  it('maps missing resources to notFound and in-use or conflicting ones to retryable', () => {
    expect(classifyAzureError('get', restError(404, 'ResourceGroupNotFound', "Resource group 'x' could not be found."), 1_000).kind).toBe('notFound');
    expect(classifyAzureError('delete network', restError(400, 'InUseSubnetCannotBeDeleted', 'in use'), 1_000).kind).toBe('retryable');
    expect(classifyAzureError('ensure', restError(409, 'ResourceGroupBeingDeleted', 'deprovisioning'), 1_000).kind).toBe('retryable');
    expect(classifyAzureError('get', restError(500, 'InternalServerError', 'boom'), 1_000).kind).toBe('retryable');
  });

  it('calls a request that never got an answer retryable: timeouts and resets', () => {
    const timeout = classifyAzureError('describe machine', Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }), 2_000);
    expect(timeout.kind).toBe('retryable');
    expect(timeout.message).toMatch(/2000 ms/);
    const reset = classifyAzureError('describe machine', Object.assign(new Error('socket hang up'), { name: 'RestError', code: 'ECONNRESET' }), 2_000);
    expect(reset.kind).toBe('retryable');
    expect(reset.message).toMatch(/ECONNRESET/);
  });

  it('reports a refused service principal as a credentials problem with the AADSTS code only, and a token endpoint outage as retryable', () => {
    const description = 'AADSTS7000215: Invalid client secret provided. The request body held client_secret=s3cr3t-value';
    const fromIdentity = Object.assign(new Error(`invalid_client Status code: 401\nMore details:\n${description}`), {
      name: 'AuthenticationError',
      statusCode: 401,
      errorResponse: { error: 'invalid_client', errorDescription: description, errorCodes: [7000215] },
    });
    const fromMsal = Object.assign(new Error(`invalid_client: Error(s): 7000215 - Description: ${description}`), {
      name: 'AuthenticationRequiredError',
      cause: { name: 'ServerError', errorCode: 'invalid_client', errorMessage: description, status: 401 },
    });
    for (const refused of [fromIdentity, fromMsal]) {
      const error = classifyAzureError('list machines', refused, 1_000);
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(/invalid_client AADSTS7000215/);
      expect(error.message).not.toContain('s3cr3t-value');
    }
    const outage = Object.assign(new Error('temporarily unavailable'), { name: 'AuthenticationRequiredError', cause: { name: 'ServerError', errorCode: 'temporarily_unavailable', status: 503 } });
    expect(classifyAzureError('list machines', outage, 1_000).kind).toBe('retryable');
    const unreachable = Object.assign(new Error('endpoints_resolution_error: See https://aka.ms/msal.js.errors'), { name: 'CredentialUnavailableError' });
    expect(classifyAzureError('list machines', unreachable, 1_000).kind).toBe('retryable');
    expect(classifyAzureError('list machines', Object.assign(new Error('DefaultAzureCredential found no credential'), { name: 'CredentialUnavailableError' }), 1_000).kind).toBe('credentials');
  });

  it('never repeats a bearer token a server echoed', () => {
    const error = classifyAzureError('get', restError(400, 'InvalidRequestContent', 'bad header Authorization: Bearer abc.def.ghi'), 1_000);
    expect(error.message).not.toContain('abc.def.ghi');
    expect(scrub('token eyJhbGciOi.eyJzdWIi.c2ln here')).not.toContain('eyJhbGciOi');
  });

  it('leaves unknown codes to the HTTP status', () => {
    expect(armCodeKind('SomethingNew', '')).toBeUndefined();
    expect(classifyAzureError('x', restError(400, 'SomethingNew', 'new'), 1_000).kind).toBe('invalid');
    expect(classifyAzureError('x', restError(503, 'SomethingNew', 'new'), 1_000).kind).toBe('retryable');
  });
});
