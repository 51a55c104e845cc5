import { describe, expect, it } from 'vitest';
import { classifyRedfishFailure, messageIdWithoutVersion, parseRedfishError } from '../../providers/baremetal/errors';

const redfishBody = (code: string, message: string, extended: string[] = []): string =>
  JSON.stringify({ error: { code, message, '@Message.ExtendedInfo': extended.map((text) => ({ MessageId: code, Message: text })) } });

const failure = (status: number, body: string, retryAfter: string | null = null) =>
  classifyRedfishFailure({ operation: 'read system', host: 'rack1-u01', credentialsRef: 'bmc-rack1', status, body, retryAfter });

describe('Redfish error bodies', () => {
  it('reads the code, the message and the extended messages', () => {
    expect(parseRedfishError(redfishBody('Base.1.8.ResourceNotFound', 'Not found.', ['The requested resource of type System named 9 was not found.']))).toEqual({
      code: 'Base.1.8.ResourceNotFound',
      message: 'Not found. The requested resource of type System named 9 was not found.',
    });
  });

  it('keeps a plain-text answer as the message', () => {
    expect(parseRedfishError('PATCH only works for Boot and IndicatorLED elements')).toEqual({ message: 'PATCH only works for Boot and IndicatorLED elements' });
    expect(parseRedfishError('')).toEqual({ message: 'no error body' });
  });

  it('drops the registry version from a message ID', () => {
    expect(messageIdWithoutVersion('Base.1.8.ServiceTemporarilyUnavailable')).toBe('Base.ServiceTemporarilyUnavailable');
    expect(messageIdWithoutVersion('Base.1.0.0.GeneralError')).toBe('Base.GeneralError');
  });
});

describe('classifying a BMC failure', () => {
  it('makes a 401 a credentials problem, pointing at the credentials secret', () => {
    const error = failure(401, redfishBody('Base.1.0.GeneralError', 'Incorrect username or password'));
    expect(error.kind).toBe('credentials');
    expect(error.message).toContain('check the BMC credentials secret "bmc-rack1"');
    expect(error.message).toContain('rack1-u01');
  });

  it('makes a 404 notFound', () => {
    expect(failure(404, redfishBody('Base.1.0.GeneralError', 'Fake system 9 was not found')).kind).toBe('notFound');
  });

  it('makes 429 and a 503 with Retry-After throttled, with the delay', () => {
    const tooMany = failure(429, redfishBody('Base.1.8.GeneralError', 'slow down'), '3');
    expect([tooMany.kind, tooMany.details.retryAfterMs]).toEqual(['throttled', 3000]);
    const busy = failure(503, 'busy', '7');
    expect([busy.kind, busy.details.retryAfterMs]).toEqual(['throttled', 7000]);
    const busyCoded = failure(503, redfishBody('Base.1.8.ServiceTemporarilyUnavailable', 'Retry in 2 seconds.'), '2');
    expect([busyCoded.kind, busyCoded.details.retryAfterMs]).toEqual(['throttled', 2000]);
  });

  it('makes a 503 without Retry-After, and other 5xx, retryable', () => {
    expect(failure(503, 'down').kind).toBe('retryable');
    expect(failure(500, redfishBody('Base.1.8.InternalError', 'internal error')).kind).toBe('retryable');
  });

  it('makes a 501 invalid: the BMC does not implement it, and repeating cannot help', () => {
    expect(failure(501, redfishBody('Base.1.0.GeneralError', 'Power state Nmi is not supported')).kind).toBe('invalid');
  });

  it('reads the message ID where the status says too little', () => {
    expect(failure(400, redfishBody('Base.1.8.ResourceNotFound', 'gone')).kind).toBe('notFound');
    expect(failure(400, redfishBody('Base.1.8.PropertyValueNotInList', 'bad value')).kind).toBe('invalid');
  });
});
