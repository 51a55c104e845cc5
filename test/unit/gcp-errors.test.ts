import { describe, expect, it } from 'vitest';
import { GceError, classifyGceError, classifyOperationError, createRedactor, parseGceErrorBody } from '../../providers/gcp/errors';
import type { WireRecord } from '../../providers/gcp/wire-log';

const TOKEN = 'ya29.secret-token-value';
const redact = createRedactor([TOKEN]);

function gceBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } });
}

/** What the SDK's REST transport throws for an answered call: a GoogleError with the HTTP status. */
function sdkError(status: number, message: string): Error {
  return Object.assign(new Error(message), { code: 3, httpStatusCode: status });
}

function classify(status: number, reason: string, message: string, retryAfter?: string) {
  const wire: WireRecord = { status, errorBody: gceBody(status, reason, message), ...(retryAfter ? { retryAfter } : {}) };
  return classifyGceError('create machine', sdkError(status, message), wire, 5_000, redact);
}

describe('GCE error classification', () => {
  it("reads GCE's body: the reasons of errors[] and of details[], and an OAuth endpoint's error", () => {
    expect(parseGceErrorBody(gceBody(404, 'notFound', 'gone'))).toEqual({ message: 'gone', reasons: ['notFound'] });
    expect(parseGceErrorBody(JSON.stringify({ error: { code: 429, message: 'slow', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED' }] } }))?.reasons).toEqual(['RATE_LIMIT_EXCEEDED']);
    expect(parseGceErrorBody(JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }))).toEqual({ message: 'invalid_grant: Invalid JWT Signature.', reasons: ['invalid_grant'] });
    expect(parseGceErrorBody('<html>502</html>')).toBeUndefined();
  });

  it('tells a 403 apart by its reason: throttled (with Retry-After), quota, or a credentials problem', () => {
    const throttled = classify(403, 'rateLimitExceeded', 'Rate Limit Exceeded', '7');
    expect(throttled.kind).toBe('throttled');
    expect(throttled.details.retryAfterMs).toBe(7000);
    expect(classify(403, 'userRateLimitExceeded', 'slow down').kind).toBe('throttled');
    expect(classify(403, 'quotaExceeded', "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1.").kind).toBe('quota');
    const denied = classify(403, 'forbidden', 'Required compute.instances.create permission');
    expect(denied.kind).toBe('credentials');
    expect(denied.message).toMatch(/check the credentials/);
    expect(classify(401, 'authError', 'Request had invalid authentication credentials.').kind).toBe('credentials');
    const refused = classifyGceError('list machines', sdkError(400, 'invalid_grant'), { status: 400, errorBody: JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }) }, 5_000, redact);
    expect(refused.kind).toBe('credentials');
    expect(refused.message).toMatch(/check the credentials/);
  });

  it("names the machine request's field where GCE names its own", () => {
    const required = classify(400, 'required', "Required field 'resource.machineType' not specified");
    expect(required.kind).toBe('invalid');
    expect(required.message).toMatch(/instanceType/);
    expect(classify(400, 'invalid', "Invalid value for field 'resource.disks[0].initializeParams.sourceImage': 'x'.").message).toMatch(/image/);
  });

  it('keeps the reason for callers that treat one as an answer, and classifies by status where the reason says nothing', () => {
    const exists = classify(409, 'alreadyExists', "The resource 'projects/p/zones/z/instances/m' already exists");
    expect(exists).toBeInstanceOf(GceError);
    expect((exists as GceError).reason).toBe('alreadyExists');
    expect(classify(404, 'notFound', 'gone').kind).toBe('notFound');
    expect(classify(400, 'resourceNotReady', 'not ready').kind).toBe('retryable');
    expect(classify(400, 'resourceInUseByAnotherResource', 'in use').kind).toBe('retryable');
    expect(classify(503, 'backendError', 'Backend Error').kind).toBe('retryable');
    expect(classify(429, 'somethingNew', 'Too many').kind).toBe('throttled');
  });

  it('classifies calls that got no answer as retryable, and says which', () => {
    const timedOut = classifyGceError('describe machine', Object.assign(new Error('Deadline exceeded'), { code: 4 }), {}, 5_000, redact);
    expect(timedOut.kind).toBe('retryable');
    expect(timedOut.message).toMatch(/no answer within 5000 ms/);
    const reset = classifyGceError('describe machine', Object.assign(new Error('fetch failed'), { code: 14 }), { networkCode: 'ECONNRESET' }, 5_000, redact);
    expect(reset.kind).toBe('retryable');
    expect(reset.message).toMatch(/ECONNRESET/);
  });

  it('reports credentials that cannot be loaded or cannot sign as a credentials problem, before any request left', () => {
    const cause = new Error('error:1E08010C:DECODER routines::unsupported');
    const error = classifyGceError('describe machine', Object.assign(new Error('failed'), { code: 14, cause }), {}, 5_000, redact);
    expect(error.kind).toBe('credentials');
    expect(error.message).toMatch(/could not authenticate/);
  });

  it('classifies a failed operation by its error code', () => {
    const operation = (code: string, status: number) => ({ status: 'DONE' as const, httpErrorStatusCode: status, error: { errors: [{ code, message: `${code} happened` }] } });
    expect(classifyOperationError('create machine', operation('QUOTA_EXCEEDED', 403), redact)?.kind).toBe('quota');
    expect(classifyOperationError('create machine', operation('ZONE_RESOURCE_POOL_EXHAUSTED', 503), redact)?.kind).toBe('quota');
    expect(classifyOperationError('create machine', operation('RATE_LIMIT_EXCEEDED', 403), redact)?.kind).toBe('throttled');
    expect(classifyOperationError('create machine', operation('INTERNAL_ERROR', 500), redact)?.kind).toBe('retryable');
    expect(classifyOperationError('create machine', { status: 'DONE' }, redact)).toBeUndefined();
  });

  it('scrubs a known secret from whatever GCE echoes back', () => {
    const error = classify(400, 'invalid', `Invalid value for field 'x': '${TOKEN}'.`);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).toContain('[redacted]');
  });
});
