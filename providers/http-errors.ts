/**
 * Shared classification of a cloud's HTTP failures into ProviderError kinds. Each adapter
 * pulls the status, the cloud's error code and message out of its SDK's error shape and
 * hands them here, with the codes its cloud uses for throttling, quota and the like.
 * Messages name the cloud and the operation, never a credential or a request header.
 */
import { ProviderError, type ProviderErrorKind } from './types';

export interface HttpFailure {
  readonly status: number;
  /** The cloud's own error code, e.g. EC2's RequestLimitExceeded or ARM's OperationNotAllowed. */
  readonly code?: string;
  readonly message: string;
  /** The Retry-After header as sent: delay-seconds or an HTTP date. */
  readonly retryAfter?: string | null;
}

/** Error codes whose meaning does not follow from the HTTP status alone. */
export interface CloudErrorCodes {
  readonly throttled?: readonly string[];
  readonly quota?: readonly string[];
  readonly notFound?: readonly string[];
  readonly invalid?: readonly string[];
  readonly retryable?: readonly string[];
  readonly credentials?: readonly string[];
}

/** Milliseconds to wait from a Retry-After header (seconds or HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function kindOf(failure: HttpFailure, codes: CloudErrorCodes): ProviderErrorKind {
  const code = failure.code;
  if (code !== undefined) {
    if (codes.throttled?.includes(code)) return 'throttled';
    if (codes.quota?.includes(code)) return 'quota';
    if (codes.notFound?.includes(code)) return 'notFound';
    if (codes.credentials?.includes(code)) return 'credentials';
    if (codes.invalid?.includes(code)) return 'invalid';
    if (codes.retryable?.includes(code)) return 'retryable';
  }
  const status = failure.status;
  if (status === 429) return 'throttled';
  if (status === 401) return 'credentials';
  if (status === 404 || status === 410) return 'notFound';
  if (status === 408 || status === 409 || status >= 500) return 'retryable';
  if (status >= 400) return 'invalid';
  return 'retryable';
}

const NEXT_STEP: Record<ProviderErrorKind, string> = {
  throttled: 'the call is retried after the cloud\'s delay',
  retryable: 'the call is retried',
  notFound: 'the resource does not exist',
  quota: "raise the account's quota or ask for fewer machines",
  invalid: 'fix the request and apply it again',
  credentials: 'fix the credentials secret; the call is retried once it changes',
};

export function classifyHttpFailure(cloud: string, operation: string, failure: HttpFailure, codes: CloudErrorCodes = {}): ProviderError {
  const kind = kindOf(failure, codes);
  const delay = kind === 'throttled' ? retryAfterMs(failure.retryAfter) : undefined;
  const codeText = failure.code ? ` ${failure.code}` : '';
  const message = `${cloud} ${operation}: HTTP ${failure.status}${codeText}: ${failure.message.slice(0, 300)} (${NEXT_STEP[kind]})`;
  return new ProviderError(kind, message, {
    operation,
    status: failure.status,
    ...(delay !== undefined ? { retryAfterMs: delay } : {}),
  });
}

/** A call that got no HTTP answer: refused, reset or timed out. Always retryable. */
export function connectionFailure(cloud: string, operation: string, error: unknown, timeoutMs: number): ProviderError {
  const name = error instanceof Error ? error.name : '';
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const timedOut = name === 'TimeoutError' || name === 'AbortError' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT';
  const reason = timedOut ? `no answer within ${timeoutMs} ms` : `the connection failed${code ? ` (${code})` : ''}`;
  return new ProviderError('retryable', `${cloud} ${operation}: ${reason} (the call is retried)`, { operation });
}

/** Client-side validation failure: a field the cloud would refuse, named so a person can fix it. */
export function invalidField(cloud: string, operation: string, field: string, expected: string): ProviderError {
  return new ProviderError('invalid', `${cloud} ${operation}: ${field} ${expected}; fix the machine template and apply it again`, { operation });
}

/**
 * A machine create whose cluster network (subnet, security group, virtual network) is not there:
 * a wait, never a launch into some default network. Retryable, so the activity tries again once
 * the cluster's infrastructure has been built.
 */
export function infrastructureNotReady(cloud: string, operation: string, infraId: string, missing: string): ProviderError {
  return new ProviderError(
    'retryable',
    `${cloud} ${operation}: the infrastructure of cluster ${infraId} is not ready: ${missing} is missing. No machine is launched outside the cluster's own network; the create is retried once the cluster's infrastructure exists`,
    { operation },
  );
}
