/**
 * How the emulated Compute Engine answers: JSON bodies and GCE's error envelope
 * `{ "error": { "code", "message", "errors": [{ "message", "domain", "reason" }] } }`
 * (the reasons are the ones the Compute Engine API documents and returns: notFound,
 * alreadyExists, invalid, required, resourceNotReady, resourceInUseByAnotherResource,
 * quotaExceeded, rateLimitExceeded, authError).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GceAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GceRequest {
  readonly method: string;
  /** The path below /compute/v1/projects/{project}/, split on '/'. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** scheme://host as the client used it, so links in answers lead back through any proxy. */
  readonly origin: string;
  /** True once the client gave up on the request (a wait may stop early). */
  readonly closed: () => boolean;
}

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export class GceFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly domain: string = 'global',
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function gceErrorBody(status: number, reason: string, message: string, domain = 'global'): unknown {
  return { error: { code: status, message, errors: [{ message, domain, reason }], ...(STATUS_NAMES[status] ? { status: STATUS_NAMES[status] } : {}) } };
}

export function failureAnswer(failure: GceFailure): GceAnswer {
  return { status: failure.status, body: gceErrorBody(failure.status, failure.reason, failure.message, failure.domain), headers: failure.headers };
}

export const failures = {
  notFound: (resource: string) => new GceFailure(404, 'notFound', `The resource '${resource}' was not found`),
  alreadyExists: (resource: string) => new GceFailure(409, 'alreadyExists', `The resource '${resource}' already exists`),
  required: (field: string) => new GceFailure(400, 'required', `Required field '${field}' not specified`),
  invalid: (field: string, value: string, why: string) => new GceFailure(400, 'invalid', `Invalid value for field '${field}': '${value}'. ${why}`),
  notReady: (resource: string) => new GceFailure(400, 'resourceNotReady', `The resource '${resource}' is not ready`),
  inUse: (resource: string, user: string) => new GceFailure(400, 'resourceInUseByAnotherResource', `The resource '${resource}' is already being used by '${user}'`),
  quota: (metric: string, limit: number, region: string) => new GceFailure(403, 'quotaExceeded', `Quota '${metric}' exceeded.  Limit: ${limit.toFixed(1)} in region ${region}.`, 'usageLimits'),
};

export function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): GceAnswer {
  return { status, body, headers };
}

export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GceFailure(400, 'parseError', 'Invalid JSON payload received.');
  }
}

export function send(response: ServerResponse, answer: GceAnswer): void {
  if (answer.status === 204) {
    response.writeHead(204, answer.headers);
    response.end();
    return;
  }
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...answer.headers });
  response.end(text);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** GCE writes timestamps in RFC 3339 with a Pacific offset, e.g. 2026-11-25T00:12:34.567-08:00. */
export function gceTimestamp(ms: number): string {
  return new Date(ms - 8 * 3_600_000).toISOString().replace('Z', '-08:00');
}
