/**
 * Azure's errors as ProviderError kinds. ARM answers `{ "error": { "code", "message", "target"? } }`;
 * the SDK surfaces it as a RestError with statusCode, code and the raw response (headers
 * included). Token failures come from @azure/identity instead, as an AuthenticationError with
 * the identity platform's OAuth error. Codes come from the ARM and Compute error references
 * ("Troubleshoot common Azure deployment errors", "Resolve errors for SKU not available", ARM
 * throttling).
 */
import { classifyHttpFailure, connectionFailure } from '../http-errors';
import { ProviderError, type ProviderErrorKind } from '../types';

const CLOUD = 'azure';

const THROTTLED = ['TooManyRequests', 'SubscriptionRequestsThrottled', 'TenantRequestsThrottled', 'RetryableErrorDueToThrottling'];

/** Capacity, not the request, is the problem: a person asks for more quota, another size or region. */
const QUOTA = ['QuotaExceeded', 'SkuNotAvailable', 'AllocationFailed', 'ZonalAllocationFailed', 'OverconstrainedAllocationRequest', 'OverconstrainedZonalAllocationRequest'];

const CREDENTIALS = ['AuthenticationFailed', 'AuthorizationFailed', 'LinkedAuthorizationFailed', 'InvalidAuthenticationToken', 'InvalidAuthenticationTokenTenant', 'SubscriptionNotFound', 'MissingSubscriptionRegistration'];

const INVALID = [
  'InvalidParameter',
  'InvalidTemplate',
  'InvalidTemplateDeployment',
  'InvalidRequestContent',
  'InvalidRequestFormat',
  'InvalidResourceName',
  'InvalidResourceReference',
  'InvalidResourceLocation',
  'InvalidResourceGroup',
  'InvalidResourceGroupLocation',
  'InvalidResourceType',
  'LocationRequired',
  'LocationNotAvailableForResourceType',
  'NoRegisteredProviderFound',
  'InvalidFilterInQueryString',
  'InvalidTagNameCharacters',
  'InvalidTag',
  'MissingApiVersionParameter',
];

const NOT_FOUND = ['ResourceNotFound', 'ResourceGroupNotFound', 'NotFound', 'ParentResourceNotFound'];

/** Something else is still changing or using the resource; it clears by itself. */
const RETRYABLE = [
  'Conflict',
  'AnotherOperationInProgress',
  'ResourceGroupBeingDeleted',
  'InUseSubnetCannotBeDeleted',
  'InUseNetworkSecurityGroupCannotBeDeleted',
  'ExpiredAuthenticationToken',
  'RetryableError',
  'InternalServerError',
  'InternalExecutionError',
  'GatewayTimeout',
  'ServiceUnavailable',
];

export function armCodeKind(code: string, message: string): ProviderErrorKind | undefined {
  if (THROTTLED.includes(code)) return 'throttled';
  // Compute answers a quota breach as OperationNotAllowed; otherwise that code means "not now".
  if (code === 'OperationNotAllowed') return /quota/i.test(message) ? 'quota' : 'retryable';
  if (QUOTA.includes(code)) return 'quota';
  if (CREDENTIALS.includes(code)) return 'credentials';
  if (INVALID.includes(code)) return 'invalid';
  if (NOT_FOUND.includes(code)) return 'notFound';
  if (RETRYABLE.includes(code)) return 'retryable';
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function headerOf(error: Record<string, unknown>, name: string): string | undefined {
  const headers = record(record(error.response)?.headers);
  const get = headers?.get;
  if (typeof get !== 'function') return undefined;
  const value: unknown = get.call(headers, name);
  return typeof value === 'string' ? value : undefined;
}

/** The ARM error's target (the field it refers to), which the SDK keeps in details. */
function targetOf(error: Record<string, unknown>): string | undefined {
  const target = record(record(error.details)?.error)?.target ?? record(error.details)?.target;
  return typeof target === 'string' ? target : undefined;
}

/** Bearer tokens and JWTs never belong in a message, whatever a server echoes back. */
export function scrub(text: string): string {
  return text.replace(/Bearer\s+\S+/gi, 'Bearer [redacted]').replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[redacted token]');
}

const CREDENTIAL_HINT = '; check the credentials secret (tenantId, clientId, clientSecret, subscriptionId) and that the service principal has the Contributor role on the subscription';

/** Where a refused field comes from in the machine request, so a person knows what to fix. */
const FIELD_HINT: Readonly<Record<string, string>> = {
  'hardwareProfile.vmSize': ' (the machine\'s instanceType)',
  vmSize: ' (the machine\'s instanceType)',
  imageReference: ' (the machine\'s image)',
  'storageProfile.imageReference': ' (the machine\'s image)',
};

const IDENTITY_ERRORS = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'AggregateAuthenticationError']);

/**
 * A token request that failed. @azure/identity reports a refusal by the identity platform as an
 * AuthenticationError (statusCode, errorResponse) or, from MSAL, as an AuthenticationRequiredError
 * whose cause carries the OAuth errorCode and HTTP status. Only the OAuth error name and the
 * AADSTS numbers reach the message: descriptions may quote the request.
 */
function identityFailure(operation: string, error: Record<string, unknown>): ProviderError | undefined {
  const name = typeof error.name === 'string' ? error.name : '';
  const text = error instanceof Error ? error.message : '';
  if (name === 'CredentialUnavailableError') {
    if (/endpoints_resolution_error/.test(text)) {
      return new ProviderError('retryable', `${CLOUD} ${operation}: the identity platform's metadata for the tenant could not be read (the call is retried; if it persists, check tenantId and the authority host)`, { operation });
    }
    return new ProviderError('credentials', `${CLOUD} ${operation}: no Azure credential is available on this worker; set the credentials secret or the AZURE_* environment`, { operation });
  }
  if (!IDENTITY_ERRORS.has(name)) return undefined;
  const cause = record(error.cause);
  const status = typeof error.statusCode === 'number' ? error.statusCode : typeof cause?.status === 'number' ? cause.status : undefined;
  const oauthError = [record(error.errorResponse)?.error, cause?.errorCode].find((value): value is string => typeof value === 'string') ?? 'unknown_error';
  const codes = [...new Set(`${text} ${String(cause?.errorMessage ?? '')}`.match(/AADSTS\d+/g) ?? [])].join(', ');
  if (status === undefined || status >= 500 || status === 429 || oauthError === 'unknown_error') {
    return new ProviderError('retryable', `${CLOUD} ${operation}: the token request failed (${status === undefined ? 'no answer' : `HTTP ${status}`}, ${oauthError}) (the call is retried)`, { operation, ...(status !== undefined ? { status } : {}) });
  }
  return new ProviderError('invalid', `${CLOUD} ${operation}: the identity platform refused the service principal (HTTP ${status} ${oauthError}${codes ? ` ${codes}` : ''})${CREDENTIAL_HINT}`, { operation, status });
}

const TIMEOUT_NAMES = new Set(['AbortError', 'TimeoutError']);

/** Every failure of an Azure call as a ProviderError whose text holds no secret. */
export function classifyAzureError(operation: string, error: unknown, timeoutMs: number): ProviderError {
  if (error instanceof ProviderError) return error;
  const fields = record(error) ?? {};
  const identity = identityFailure(operation, fields);
  if (identity) return identity;
  const status = typeof fields.statusCode === 'number' ? fields.statusCode : undefined;
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const rawMessage = error instanceof Error ? error.message : String(fields.message ?? '');
  if (status !== undefined) {
    const message = scrub(rawMessage);
    const target = targetOf(fields);
    const kind = code === undefined ? undefined : armCodeKind(code, message);
    const hint = code !== undefined && CREDENTIALS.includes(code) ? CREDENTIAL_HINT : target !== undefined ? ` [target ${target}${FIELD_HINT[target] ?? ''}]` : '';
    return classifyHttpFailure(
      CLOUD,
      operation,
      { status, ...(code ? { code } : {}), message: `${message}${hint}`, retryAfter: headerOf(fields, 'retry-after') ?? null },
      kind !== undefined && code !== undefined ? { [kind]: [code] } : {},
    );
  }
  const name = typeof fields.name === 'string' ? fields.name : '';
  // connectionFailure reads the name and code of an Error; the SDK's own texts may quote the request.
  if (TIMEOUT_NAMES.has(name)) return connectionFailure(CLOUD, operation, Object.assign(new Error('timed out'), { name: 'TimeoutError' }), timeoutMs);
  if (name === 'RestError' || code !== undefined) return connectionFailure(CLOUD, operation, Object.assign(new Error('no answer'), { code: code ?? 'REQUEST_SEND_ERROR' }), timeoutMs);
  const detail = error instanceof Error ? `${error.name}: ${scrub(error.message)}` : 'unknown failure';
  return new ProviderError('retryable', `${CLOUD} ${operation}: ${detail.slice(0, 300)} (the call is retried)`, { operation });
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ProviderError && error.kind === 'notFound';
}

/** The ARM error code of a failed call, for the few places that treat one code as an answer. */
export function armErrorCode(error: unknown): string | undefined {
  const code = record(error)?.code;
  return typeof code === 'string' ? code : undefined;
}
