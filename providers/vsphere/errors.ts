/**
 * vCenter's failures as ProviderError kinds. SOAP answers a fault as HTTP 500 with the fault's
 * type (InvalidLogin, ManagedObjectNotFound, ...) in the detail; the REST API answers a JSON
 * error whose type ends in the error's name (not_found, already_exists, ...). Fault and error
 * names come from the vSphere Web Services and Automation API references. Throttling has no
 * fault of its own: the reverse proxy in front of vCenter answers 503 (or the API gateway 429),
 * with Retry-After when it wants a pause.
 */
import { classifyHttpFailure, type CloudErrorCodes } from '../http-errors';
import { ProviderError } from '../types';

export const CLOUD = 'vsphere';

const SOAP_FAULT_CODES: CloudErrorCodes = {
  notFound: ['ManagedObjectNotFound', 'NotFound', 'FileNotFound'],
  quota: [
    'InsufficientResourcesFault',
    'InsufficientCpuResourcesFault',
    'InsufficientMemoryResourcesFault',
    'InsufficientHostCapacityFault',
    'InsufficientStorageSpace',
    'NoDiskSpace',
    'NotEnoughLicenses',
  ],
  invalid: [
    'InvalidLogin',
    'NoPermission',
    'InvalidArgument',
    'InvalidName',
    'InvalidRequest',
    'InvalidType',
    'InvalidProperty',
    'InvalidDatastorePath',
    'InvalidDeviceSpec',
    'DuplicateName',
    'AlreadyExists',
    'FileAlreadyExists',
    'NotSupported',
    'MethodNotFound',
    'RestrictedVersion',
  ],
  retryable: ['NotAuthenticated', 'TaskInProgress', 'InvalidState', 'InvalidPowerState', 'HostCommunication', 'HostNotConnected', 'RequestCanceled', 'SystemError', 'Timedout'],
};

const REST_ERROR_CODES: CloudErrorCodes = {
  notFound: ['not_found'],
  quota: ['unable_to_allocate_resource'],
  invalid: ['invalid_argument', 'already_exists', 'unauthorized', 'unsupported', 'invalid_request', 'operation_not_found', 'not_allowed_in_current_state'],
  retryable: ['service_unavailable', 'resource_busy', 'timed_out', 'concurrent_change', 'internal_server_error', 'error'],
};

const CREDENTIAL_FAULTS = new Set(['InvalidLogin']);

/** A failure vCenter answered; `fault` is the SOAP fault type or REST error name, for callers that treat one as an answer. */
export class VsphereError extends ProviderError {
  constructor(
    source: ProviderError,
    readonly fault: string | undefined,
  ) {
    super(source.kind, source.message, source.details);
  }
}

export function faultOf(error: unknown): string | undefined {
  return error instanceof VsphereError ? error.fault : undefined;
}

export type Redact = (text: string) => string;

export interface AnsweredFailure {
  readonly status: number;
  readonly fault?: string;
  readonly message: string;
  readonly retryAfter?: string | undefined;
}

function classify(operation: string, failure: AnsweredFailure, codes: CloudErrorCodes, redact: Redact): VsphereError {
  const { status, fault, retryAfter } = failure;
  let message = redact(failure.message);
  if (fault !== undefined && CREDENTIAL_FAULTS.has(fault)) message = `vCenter refused the user name or password; check the credentials secret (${message})`;
  if (status === 401) message = `vCenter refused the user name or password; check the credentials secret${message && !/^HTTP \d+$/.test(message) ? ` (${message})` : ''}`;
  // An overloaded vCenter (its reverse proxy) answers 503 and says when to come back: that is throttling.
  const askedToWait = status === 503 && retryAfter !== undefined && retryAfter.trim() !== '';
  const code = askedToWait ? 'ServiceUnavailable' : fault;
  const refusedLogin = fault !== undefined && CREDENTIAL_FAULTS.has(fault);
  const table: CloudErrorCodes = askedToWait ? { throttled: ['ServiceUnavailable'] } : refusedLogin ? { credentials: [fault] } : codes;
  const classified = classifyHttpFailure(CLOUD, operation, { status, ...(code !== undefined ? { code } : {}), message, retryAfter: retryAfter ?? null }, table);
  return new VsphereError(classified, fault);
}

export function soapFailure(operation: string, failure: AnsweredFailure, redact: Redact): VsphereError {
  return classify(operation, failure, SOAP_FAULT_CODES, redact);
}

export function restFailure(operation: string, failure: AnsweredFailure, redact: Redact): VsphereError {
  return classify(operation, failure, REST_ERROR_CODES, redact);
}

/** Replaces the password (and any session ID) wherever a message might echo it. */
export function createRedactor(): { redact: Redact; remember(secret: string): void } {
  const secrets = new Set<string>();
  return {
    remember(secret) {
      if (secret.length >= 4) secrets.add(secret);
    },
    redact(text) {
      let out = text;
      for (const secret of secrets) out = out.split(secret).join('[redacted]');
      return out;
    },
  };
}

/** A client-side failure with nothing the cloud said: a broken answer, a task that took too long. */
export function retryableFailure(operation: string, reason: string): ProviderError {
  return new ProviderError('retryable', `${CLOUD} ${operation}: ${reason} (the call is retried)`, { operation });
}
