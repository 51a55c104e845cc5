/**
 * AWS errors as ProviderError kinds, for the three services the adapter calls: EC2, Elastic Load
 * Balancing v2 and Route 53. Each answers an XML error with a code; the SDK surfaces it as the
 * error's Code (and name), the HTTP status in $metadata and the raw answer (headers included) in
 * $response. Codes come from the EC2, ELBv2 and Route 53 API references' error lists and the
 * errors common to all AWS APIs.
 */
import { classifyHttpFailure, connectionFailure } from '../http-errors';
import { ProviderError, type ProviderErrorKind } from '../types';

const CLOUD = 'aws';

const THROTTLED = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequests',
  'TooManyRequestsException',
  // Route 53: the same change is still being applied; ask again after a pause.
  'PriorRequestNotComplete',
]);

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
  // Route 53: too many records or zones for the account's limits.
  'LimitsExceeded',
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
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
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
  // Elastic Load Balancing v2.
  'TooManyTags',
  'DuplicateTagKeys',
  'InvalidConfigurationRequest',
  'InvalidScheme',
  'InvalidSecurityGroup',
  'InvalidSubnet',
  'InvalidTarget',
  'IncompatibleProtocols',
  'UnsupportedProtocol',
  'InvalidLoadBalancerAction',
  'OperationNotPermitted',
  // A name clash the adapter did not resolve by finding its own resource (it looks those up).
  'DuplicateLoadBalancerName',
  'DuplicateTargetGroupName',
  'DuplicateListener',
  // Route 53.
  'InvalidInput',
  'InvalidArgument',
  'InvalidDomainName',
  'InvalidVPCId',
  'InvalidChangeBatch',
  'ConflictingDomainExists',
  'HostedZoneAlreadyExists',
  'NoSuchDelegationSet',
  'DelegationSetNotAvailable',
  'PublicZoneVPCAssociation',
  'LastVPCAssociation',
]);

/** What is gone (or never was); EC2's own codes end in ".NotFound". */
const NOT_FOUND = new Set(['LoadBalancerNotFound', 'TargetGroupNotFound', 'ListenerNotFound', 'RuleNotFound', 'NoSuchHostedZone', 'HostedZoneNotFound', 'NoSuchChange']);

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
  // A target group whose listener is being deleted, a zone that got a record meanwhile.
  'ResourceInUse',
  'HostedZoneNotEmpty',
  // ELB may not see a subnet EC2 has just made.
  'SubnetNotFound',
]);

/** "Client.UnauthorizedOperation" and "UnauthorizedOperation" are the same code. */
export function normaliseCode(code: string): string {
  return code.replace(/^(Client|Server)\./, '');
}

export function awsCodeKind(rawCode: string): ProviderErrorKind | undefined {
  const code = normaliseCode(rawCode);
  if (THROTTLED.has(code)) return 'throttled';
  if (CREDENTIALS.has(code)) return 'credentials';
  if (INVALID.has(code)) return 'invalid';
  // ELB and Route 53 name their limits TooManyLoadBalancers, TooManyHostedZones and the like.
  if (QUOTA.has(code) || code.endsWith('LimitExceeded') || code.startsWith('TooMany')) return 'quota';
  if (NOT_FOUND.has(code)) return 'notFound';
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
  // The SDK names an error it could not parse by status alone; that is no AWS code.
  const code = name !== undefined && !/^(Unknown|UnknownError|Error)$/.test(name) ? normaliseCode(name) : undefined;
  return {
    status,
    code,
    message: error instanceof Error ? error.message : String(fields?.message ?? ''),
    retryAfter: headerValue(record(response?.headers), 'retry-after'),
  };
}

/** The AWS error code of a failed call, for the few places that treat one code as an answer. */
export function awsErrorCode(error: unknown): string | undefined {
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

/** Every failure of an AWS call as a ProviderError whose text holds no secret. */
export function classifyAwsError(operation: string, error: unknown, timeoutMs: number, redact: Redact): ProviderError {
  if (error instanceof ProviderError) return error;
  const failure = sdkFailure(error);
  if (failure) {
    const kind = failure.code === undefined ? undefined : awsCodeKind(failure.code);
    // First, so the hint survives when the message is cut short (UnauthorizedOperation's can be long).
    const credentialHint = failure.code !== undefined && CREDENTIALS.has(failure.code) ? 'check the credentials secret and its IAM permissions; AWS says: ' : '';
    return classifyHttpFailure(
      CLOUD,
      operation,
      { status: failure.status, ...(failure.code ? { code: failure.code } : {}), message: `${credentialHint}${redact(failure.message)}`, retryAfter: failure.retryAfter ?? null },
      kind !== undefined && failure.code !== undefined ? { [kind]: [failure.code] } : {},
    );
  }
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError') {
    return new ProviderError('credentials', `${CLOUD} ${operation}: no AWS credentials were found; set the credentials secret (accessKeyId, secretAccessKey) or the worker's AWS environment`, { operation });
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
