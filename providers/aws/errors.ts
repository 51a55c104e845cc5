/**
 * EC2's errors as ProviderError kinds. EC2 answers an XML error with a code; the SDK surfaces it
 * as the error's name, the HTTP status in $metadata and the raw answer (headers included) in
 * $response. Codes come from the EC2 API reference's error code list.
 */
import { classifyHttpFailure, connectionFailure } from '../http-errors';
import { ProviderError, type ProviderErrorKind } from '../types';

const CLOUD = 'aws';

const THROTTLED = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException']);

const QUOTA = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientAddressCapacity',
  'InsufficientFreeAddressesInSubnet',
  'MaxSpotInstanceCountExceeded',
]);

/** The credentials themselves are wrong, expired, or lack a permission: a person must act. */
const CREDENTIALS = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'OptInRequired',
  'Blocked',
  'PendingVerification',
]);

const INVALID = new Set([
  'InvalidParameterValue',
  'InvalidParameter',
  'InvalidParameterCombination',
  'MissingParameter',
  'UnknownParameter',
  'ValidationError',
  'InvalidAction',
  'UnsupportedOperation',
  'Unsupported',
  'InvalidInstanceType',
  'IdempotentParameterMismatch',
  'TagLimitExceeded',
]);

const RETRYABLE = new Set([
  'InternalError',
  'InternalFailure',
  'Unavailable',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestExpired',
  // A resource still in use by something that is going away (an instance shutting down).
  'DependencyViolation',
  'IncorrectInstanceState',
  'IncorrectState',
]);

/** "Client.UnauthorizedOperation" and "UnauthorizedOperation" are the same code. */
export function normaliseCode(code: string): string {
  return code.replace(/^(Client|Server)\./, '');
}

export function ec2CodeKind(rawCode: string): ProviderErrorKind | undefined {
  const code = normaliseCode(rawCode);
  if (THROTTLED.has(code)) return 'throttled';
  if (QUOTA.has(code) || (code.endsWith('LimitExceeded') && !INVALID.has(code))) return 'quota';
  if (CREDENTIALS.has(code) || INVALID.has(code)) return 'invalid';
  // A missing image or key pair is a mistake in the machine template, not a vanished resource.
  if (/^Invalid(AMIID|KeyPair)\./.test(code)) return 'invalid';
  if (code.endsWith('.NotFound')) return 'notFound';
  if (code.endsWith('.Malformed') || code.endsWith('.Duplicate')) return 'invalid';
  if (RETRYABLE.has(code)) return 'retryable';
  return undefined;
}

interface SdkFailure {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string;
  readonly retryAfter: string | undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === 'string' ? value : undefined;
}

/** The parts of an SDK service error that matter; undefined when the error never got an HTTP answer. */
export function sdkFailure(error: unknown): SdkFailure | undefined {
  const fields = record(error);
  const metadata = record(fields?.$metadata);
  const response = record(fields?.$response);
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : typeof response?.statusCode === 'number' ? response.statusCode : undefined;
  if (status === undefined) return undefined;
  const name = typeof fields?.Code === 'string' ? fields.Code : typeof fields?.name === 'string' ? fields.name : undefined;
  // The SDK names an error it could not parse by status alone; that is no EC2 code.
  const code = name !== undefined && !/^(Unknown|UnknownError|Error)$/.test(name) ? normaliseCode(name) : undefined;
  return {
    status,
    code,
    message: error instanceof Error ? error.message : String(fields?.message ?? ''),
    retryAfter: headerValue(record(response?.headers), 'retry-after'),
  };
}

/** The EC2 error code of a failed call, for the few places that treat one code as an answer. */
export function ec2ErrorCode(error: unknown): string | undefined {
  return sdkFailure(error)?.code;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * The failure as connectionFailure should read it, or undefined when the call did not fail on the
 * wire. The SDK's handler names a reset socket TimeoutError too; its code tells the two apart.
 */
function wireFailure(error: unknown): { name: string; code?: string } | undefined {
  const fields = record(error);
  const name = typeof fields?.name === 'string' ? fields.name : '';
  const code = typeof fields?.code === 'string' ? fields.code : undefined;
  if (code !== undefined) return TIMEOUT_CODES.has(code) ? { name: 'TimeoutError', code } : { name: 'Error', code };
  if (name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout') return { name: 'TimeoutError' };
  return undefined;
}

export type Redact = (text: string) => string;

/** Every failure of an EC2 call as a ProviderError whose text holds no secret. */
export function classifyEc2Error(operation: string, error: unknown, timeoutMs: number, redact: Redact): ProviderError {
  if (error instanceof ProviderError) return error;
  const failure = sdkFailure(error);
  if (failure) {
    const kind = failure.code === undefined ? undefined : ec2CodeKind(failure.code);
    // First, so the hint survives when the message is cut short (UnauthorizedOperation's can be long).
    const credentialHint = failure.code !== undefined && CREDENTIALS.has(failure.code) ? 'check the credentials secret and its IAM permissions; EC2 says: ' : '';
    return classifyHttpFailure(
      CLOUD,
      operation,
      { status: failure.status, ...(failure.code ? { code: failure.code } : {}), message: `${credentialHint}${redact(failure.message)}`, retryAfter: failure.retryAfter ?? null },
      kind !== undefined && failure.code !== undefined ? { [kind]: [failure.code] } : {},
    );
  }
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError') {
    return new ProviderError('invalid', `${CLOUD} ${operation}: no AWS credentials were found; set the credentials secret (accessKeyId, secretAccessKey) or the worker's AWS environment`, { operation });
  }
  const onTheWire = wireFailure(error);
  if (onTheWire) return connectionFailure(CLOUD, operation, onTheWire, timeoutMs);
  const detail = error instanceof Error ? `${error.name}: ${redact(error.message)}` : 'unknown failure';
  return new ProviderError('retryable', `${CLOUD} ${operation}: ${detail.slice(0, 300)} (the call is retried)`, { operation });
}

/** Replaces every known secret in a text; secrets are learnt as the SDK asks for credentials. */
export function createRedactor(): { redact: Redact; remember(secret: string | undefined): void } {
  const secrets = new Set<string>();
  return {
    remember(secret) {
      if (secret && secret.length >= 4) secrets.add(secret);
    },
    redact(text) {
      let out = text;
      for (const secret of secrets) out = out.split(secret).join('[redacted]');
      return out;
    },
  };
}
