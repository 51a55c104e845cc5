/**
 * How the emulated Azure Resource Manager answers: JSON bodies, ARM's error envelope
 * `{ "error": { "code", "message", "target"? } }`, and the request-id and rate-limit headers
 * ARM puts on every answer.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ArmAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A request as the route handlers see it: path split from the query, body parsed. */
export interface ArmRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** scheme://host the client used, so links in answers lead back through any proxy. */
  readonly origin: string;
}

export class ArmFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function armError(status: number, code: string, message: string, target?: string): ArmFailure {
  return new ArmFailure(status, code, message, target);
}

export function failureAnswer(failure: ArmFailure): ArmAnswer {
  return {
    status: failure.status,
    headers: { ...failure.headers, 'x-ms-failure-cause': failure.status >= 500 ? 'service' : 'gateway' },
    body: { error: { code: failure.code, message: failure.message, ...(failure.target !== undefined ? { target: failure.target } : {}) } },
  };
}

export async function readArmRequest(request: IncomingMessage, defaultOrigin: string): Promise<ArmRequest | ArmFailure> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const host = request.headers.host;
  const origin = host ? `https://${host}` : defaultOrigin;
  const url = new URL(request.url ?? '/', origin);
  let body: unknown;
  if (text.trim() !== '') {
    const type = request.headers['content-type'] ?? '';
    if (type.includes('application/x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(text));
    } else {
      try {
        body = JSON.parse(text);
      } catch {
        return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
      }
    }
  }
  return { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, body, origin };
}

export function writeAnswer(response: ServerResponse, answer: ArmAnswer, remaining: { reads: number; writes: number }, method: string): void {
  const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
  const requestId = randomUUID();
  const rateHeader = method === 'GET' || method === 'HEAD' ? { 'x-ms-ratelimit-remaining-subscription-reads': String(remaining.reads) } : { 'x-ms-ratelimit-remaining-subscription-writes': String(remaining.writes) };
  response.writeHead(answer.status, {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': requestId,
    ...rateHeader,
    ...(payload === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(payload)),
    ...answer.headers,
  });
  response.end(payload);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Tags as ARM stores them: string values only; names are unique regardless of case. */
export function readTags(body: Record<string, unknown>): Record<string, string> | ArmFailure {
  const raw = body.tags;
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) return armError(400, 'InvalidTag', 'The tags must be an object of tag names and string values.');
  const tags: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') return armError(400, 'InvalidTagValue', `The value of tag '${name}' must be a string.`);
    if (/[<>%&\\?/]/.test(name)) return armError(400, 'InvalidTagNameCharacters', `The tag name '${name}' contains a character ARM reserves in tag names (< > % & \\ ? /).`);
    if (name.length > 512 || value.length > 256) return armError(400, 'InvalidTagNameLength', `The tag '${name}' is longer than ARM allows (512 characters for names, 256 for values).`);
    if (seen.has(name.toLowerCase())) return armError(400, 'InvalidTagName', `The tag name '${name}' is given twice; tag names are case-insensitive.`);
    seen.add(name.toLowerCase());
    tags[name] = value;
  }
  if (Object.keys(tags).length > 50) return armError(400, 'InvalidTagCount', 'A resource may carry at most 50 tags.');
  return tags;
}
