import { describe, expect, it } from 'vitest';
import { createRedactor, restFailure, soapFailure } from '../../providers/vsphere/errors';
import { infraIdCandidates } from '../../providers/vsphere/machines';
import { machineSize } from '../../providers/vsphere/sizes';

const asIs = (text: string): string => text;

describe('vSphere failures as ProviderError kinds', () => {
  it.each([
    ['InvalidLogin', 'credentials'],
    ['NoPermission', 'invalid'],
    ['InvalidArgument', 'invalid'],
    ['ManagedObjectNotFound', 'notFound'],
    ['InsufficientMemoryResourcesFault', 'quota'],
    ['TaskInProgress', 'retryable'],
    ['SystemError', 'retryable'],
    ['SomeFaultNobodyListed', 'retryable'],
  ] as const)('the SOAP fault %s is %s', (fault, kind) => {
    const error = soapFailure('create machine', { status: 500, fault, message: 'vCenter said so' }, asIs);
    expect(error.kind).toBe(kind);
    expect(error.fault).toBe(fault);
    expect(error.message).toContain(fault);
  });

  it('says to check the credentials secret on InvalidLogin and on a 401 from the REST session', () => {
    expect(soapFailure('login', { status: 500, fault: 'InvalidLogin', message: 'Login failure' }, asIs).message).toMatch(/check the credentials secret/);
    const rest = restFailure('login', { status: 401, message: '' }, asIs);
    expect(rest.kind).toBe('credentials');
    expect(rest.message).toMatch(/check the credentials secret/);
  });

  it('reads 503 with Retry-After and 429 as throttling, a bare 503 as an outage', () => {
    const asked = soapFailure('list machines', { status: 503, message: 'Service Unavailable', retryAfter: '3' }, asIs);
    expect(asked.kind).toBe('throttled');
    expect(asked.details.retryAfterMs).toBe(3000);
    const gateway = restFailure('list machines', { status: 429, message: 'Too Many Requests', retryAfter: '1' }, asIs);
    expect(gateway).toMatchObject({ kind: 'throttled', details: { retryAfterMs: 1000 } });
    expect(soapFailure('list machines', { status: 503, message: 'Service Unavailable' }, asIs).kind).toBe('retryable');
  });

  it('maps REST error names, and not_found to notFound', () => {
    expect(restFailure('tag', { status: 404, fault: 'not_found', message: 'gone' }, asIs).kind).toBe('notFound');
    expect(restFailure('tag', { status: 400, fault: 'already_exists', message: 'exists' }, asIs).kind).toBe('invalid');
    expect(restFailure('tag', { status: 503, fault: 'service_unavailable', message: 'down' }, asIs).kind).toBe('retryable');
  });

  it('redacts a remembered secret wherever vCenter echoes it', () => {
    const redactor = createRedactor();
    redactor.remember('hunter2-secret');
    const error = soapFailure('login', { status: 500, fault: 'InvalidLogin', message: 'user x with hunter2-secret refused' }, redactor.redact);
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.message).toContain('[redacted]');
  });
});

describe('vSphere machine sizes', () => {
  it('reads named and explicit sizes, and refuses the rest', () => {
    expect(machineSize('small')).toEqual({ numCpus: 2, memoryMb: 8192 });
    expect(machineSize('4cpu-16gb')).toEqual({ numCpus: 4, memoryMb: 16384 });
    expect(machineSize('control-plane')).toEqual({ numCpus: 4, memoryMb: 16384 });
    expect(machineSize('worker')).toEqual({ numCpus: 2, memoryMb: 8192 });
    for (const refused of ['', 'huge', 'm5.large', '0cpu-8gb', '4cpu-0gb', '4cpu-16GB', '1000cpu-8gb', 'constructor', 'toString']) expect(machineSize(refused)).toBeUndefined();
  });
});

describe('infra ID candidates of a machine name', () => {
  it('tries every prefix before a dash, longest first', () => {
    expect(infraIdCandidates('prod-a1b2c-master-0')).toEqual(['prod-a1b2c-master', 'prod-a1b2c', 'prod']);
    expect(infraIdCandidates('anything')).toEqual([]);
    expect(infraIdCandidates('-x')).toEqual([]);
  });
});
