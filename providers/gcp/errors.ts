/**
 * Compute Engine's failures as ProviderError kinds. GCE answers JSON errors
 * `{ "error": { "code", "message", "errors": [{ "reason", "domain", "message" }] } }` whose reason
 * (from the Compute Engine API's error documentation) decides the kind where the status does not:
 * a 403 is throttling when the reason is rateLimitExceeded, quota when it is quotaExceeded, and a
 * credentials problem otherwise. A failed Operation carries `error.errors[].code` instead
 * (QUOTA_EXCEEDED, ZONE_RESOURCE_POOL_EXHAUSTED, ...) and `httpErrorStatusCode`.
 */
import type { protos } from '@google-cloud/compute';
import { classifyHttpFailure, connectionFailure } from '../http-errors';
import { ProviderError, type ProviderErrorKind } from '../types';
import type { WireRecord } from './wire-log';

export const CLOUD = 'gcp';

/** A ProviderError that also keeps GCE's reason (alreadyExists, resourceNotReady, ...), for callers that treat one as an answer. */
export class GceError extends ProviderError {
  constructor(
    kind: ProviderErrorKind,
    message: string,
    details: ProviderError['details'],
    readonly reason: string | undefined,
  ) {
    super(kind, message, details);
  }
}

const THROTTLED = ['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED'];
const QUOTA = ['quotaExceeded', 'QUOTA_EXCEEDED', 'ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS', 'RESOURCE_POOL_EXHAUSTED'];
const INVALID = ['invalid', 'required', 'badRequest', 'invalidParameter', 'parseError', 'conditionNotMet', 'INVALID_FIELD_VALUE', 'REQUIRED_FIELD_MISSING', 'INVALID_USAGE'];
/** A resource busy with another operation, or one still in use by something that is going away. */
const RETRYABLE = ['resourceNotReady', 'resourceInUseByAnotherResource', 'backendError', 'internalError', 'RESOURCE_NOT_READY', 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE'];

/** What Google's token endpoint answers when it refuses the credentials (RFC 6749 error codes). */
const OAUTH_REFUSALS = ['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope'];

/** GCE's field names for what a Slipway machine request calls them. */
const REQUEST_FIELDS: readonly [RegExp, string][] = [
  [/resource\.machineType/, 'instanceType'],
  [/resource\.disks\[\d+\]\.initializeParams\.sourceImage|global\/images\//, 'image'],
  [/resource\.name\b/, 'name'],
  [/resource\.labels/, 'tags'],
];

export type Redact = (text: string) => string;

interface GceErrorBody {
  readonly message: string;
  readonly reasons: readonly string[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** GCE's JSON error body, or an OAuth token endpoint's; undefined for anything else. */
export function parseGceErrorBody(text: string | undefined): GceErrorBody | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const outer = record(parsed);
  const error = record(outer?.error);
  if (error) {
    const errors = Array.isArray(error.errors) ? error.errors : [];
    const details = Array.isArray(error.details) ? error.details : [];
    const reasons = [...errors, ...details].flatMap((entry) => {
      const reason = record(entry)?.reason;
      return typeof reason === 'string' ? [reason] : [];
    });
    return { message: typeof error.message === 'string' ? error.message : '', reasons };
  }
  if (typeof outer?.error === 'string') {
    const description = typeof outer.error_description === 'string' ? `: ${outer.error_description}` : '';
    return { message: `${outer.error}${description}`, reasons: [outer.error] };
  }
  return undefined;
}

function kindOfReason(reason: string | undefined): ProviderErrorKind | undefined {
  if (reason === undefined) return undefined;
  if (THROTTLED.includes(reason)) return 'throttled';
  if (QUOTA.includes(reason)) return 'quota';
  if (INVALID.includes(reason)) return 'invalid';
  if (RETRYABLE.includes(reason)) return 'retryable';
  if (reason === 'notFound' || reason === 'RESOURCE_NOT_FOUND') return 'notFound';
  return undefined;
}

/** "; this is the machine's instanceType" when GCE's message names a field the request set. */
function requestFieldHint(message: string): string {
  const field = REQUEST_FIELDS.find(([pattern]) => pattern.test(message))?.[1];
  return field ? ` (this is the machine's ${field})` : '';
}

function fromAnswer(operation: string, status: number, body: GceErrorBody | undefined, fallbackMessage: string, retryAfter: string | undefined, redact: Redact): GceError {
  const reasons = body?.reasons ?? [];
  const reason = reasons.find((candidate) => kindOfReason(candidate) !== undefined) ?? reasons[0];
  let kind = kindOfReason(reason);
  const text = redact(body?.message || fallbackMessage);
  let message = `${text}${requestFieldHint(text)}`;
  const oauthRefusal = reason !== undefined && OAUTH_REFUSALS.includes(reason);
  if (status === 401 || oauthRefusal || (status === 403 && kind !== 'throttled' && kind !== 'quota')) {
    kind = 'credentials';
    // First, so the hint survives when GCE's message is cut short.
    message = `check the credentials (the secret's serviceAccountKey or accessToken, or the worker's Application Default Credentials) and their IAM permissions on the project; GCE says: ${text}`;
  }
  const classified = classifyHttpFailure(CLOUD, operation, { status, ...(reason ? { code: reason } : {}), message, retryAfter: retryAfter ?? null }, kind && reason ? { [kind]: [reason] } : {});
  return new GceError(classified.kind, classified.message, classified.details, reason);
}

/** gRPC status codes the SDK's REST transport uses for calls that got no answer. */
export const DEADLINE_EXCEEDED = 4;
const CANCELLED = 1;

/** A failure before any request left: the credentials could not be loaded or could not sign. */
function credentialsFailure(operation: string, error: unknown, redact: Redact): ProviderError {
  const cause = record(error)?.cause;
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return new ProviderError(
    'credentials',
    `${CLOUD} ${operation}: could not authenticate: ${redact(detail).slice(0, 300)}; check the credentials secret (serviceAccountKey or accessToken) or the worker's Application Default Credentials`,
    { operation },
  );
}

/** Every failure of a Compute Engine call as a ProviderError whose text holds no secret. */
export function classifyGceError(operation: string, error: unknown, wire: WireRecord, timeoutMs: number, redact: Redact): ProviderError {
  if (error instanceof ProviderError) return error;
  const fields = record(error);
  const sdkStatus = typeof fields?.httpStatusCode === 'number' ? fields.httpStatusCode : undefined;
  const status = wire.status !== undefined && wire.status >= 400 ? wire.status : sdkStatus;
  const message = error instanceof Error ? error.message : String(error);
  if (status !== undefined) {
    const body = parseGceErrorBody(wire.errorBody);
    return fromAnswer(operation, status, body, message, wire.retryAfter, redact);
  }
  const code = typeof fields?.code === 'number' ? fields.code : undefined;
  if (code === DEADLINE_EXCEEDED) return connectionFailure(CLOUD, operation, Object.assign(new Error('deadline exceeded'), { name: 'TimeoutError' }), timeoutMs);
  if (wire.networkCode !== undefined) return connectionFailure(CLOUD, operation, { code: wire.networkCode }, timeoutMs);
  if (code === CANCELLED) return new ProviderError('retryable', `${CLOUD} ${operation}: the call was cancelled (the call is retried)`, { operation });
  if (wire.status === undefined && /credential|private key|DECODER|PEM|keyFile|invalid_grant|unauthorized_client/i.test(`${message} ${String(record(fields?.cause)?.message ?? '')}`)) {
    return credentialsFailure(operation, error, redact);
  }
  if (code !== undefined) return connectionFailure(CLOUD, operation, {}, timeoutMs);
  return new ProviderError('retryable', `${CLOUD} ${operation}: ${redact(message).slice(0, 300)} (the call is retried)`, { operation });
}

/** A DONE operation's error: the first error code decides the kind, with httpErrorStatusCode behind it. */
export function classifyOperationError(operation: string, done: protos.google.cloud.compute.v1.IOperation, redact: Redact): GceError | undefined {
  const errors = done.error?.errors ?? [];
  if (errors.length === 0) return undefined;
  const first = errors[0];
  const reason = first?.code ?? undefined;
  const text = redact(errors.map((entry) => entry.message ?? entry.code ?? '').join('; '));
  const status = done.httpErrorStatusCode ?? 500;
  const kind = kindOfReason(reason ?? undefined);
  const classified = classifyHttpFailure(CLOUD, operation, { status, ...(reason ? { code: reason } : {}), message: `${text}${requestFieldHint(text)}` }, kind && reason ? { [kind]: [reason] } : {});
  return new GceError(classified.kind, classified.message, classified.details, reason);
}

/** Replaces every known secret in a text. */
export function createRedactor(secrets: readonly string[]): Redact {
  const known = secrets.filter((secret) => secret.length >= 4);
  return (text) => known.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}
