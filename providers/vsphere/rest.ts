/**
 * The vSphere Automation REST API under /rest (vcsim v0.45.1 serves tagging there, not under
 * /api). A session is created with basic auth (POST /rest/com/vmware/cis/session) and its ID sent
 * in the vmware-api-session-id header. Answers wrap their data in {"value": ...}; errors carry a
 * type such as com.vmware.vapi.std.errors.already_exists. A 401 on any other call means the
 * session expired: it is dropped and the call fails retryable, so the next attempt logs in.
 */
import { restFailure, retryableFailure, type Redact } from './errors';
import { headerOf, type HttpAnswer, type HttpTransport } from './http';
import type { VsphereCredentialsProvider } from './options';
import { sharedPromises } from './shared-promises';

export interface RestClient {
  /** The answer's `value`; undefined for an answer without a body. */
  call(operation: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
}

const SESSION_HEADER = 'vmware-api-session-id';
const SESSION_PATH = '/rest/com/vmware/cis/session';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The error's short name and what it says: {"type": "com.vmware.vapi.std.errors.not_found", "value": {"messages": [...]}}. */
function describeError(answer: HttpAnswer): { name?: string; message: string } {
  const parsed = record(parseJson(answer.body));
  const type = typeof parsed?.type === 'string' ? parsed.type : typeof parsed?.error_type === 'string' ? parsed.error_type : undefined;
  const messages = record(parsed?.value)?.messages ?? parsed?.messages;
  const first = Array.isArray(messages) ? record(messages[0]) : undefined;
  const said = typeof first?.default_message === 'string' ? first.default_message : undefined;
  const name = type?.split('.').at(-1)?.toLowerCase();
  const fallback = parsed === undefined ? answer.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) : '';
  return { ...(name !== undefined ? { name } : {}), message: said ?? (fallback || `HTTP ${answer.status}`) };
}

export function createRestClient(transport: HttpTransport, credentials: VsphereCredentialsProvider, redact: Redact, rememberSecret: (secret: string) => void): RestClient {
  const sessions = sharedPromises<string>();

  const failure = (operation: string, answer: HttpAnswer) => {
    const { name, message } = describeError(answer);
    return restFailure(operation, { status: answer.status, ...(name !== undefined ? { fault: name } : {}), message, retryAfter: headerOf(answer.headers, 'retry-after') }, redact);
  };

  const login = async (operation: string): Promise<string> => {
    const { username, password } = credentials();
    rememberSecret(password);
    const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    rememberSecret(basic);
    const answer = await transport.send({ operation, method: 'POST', path: SESSION_PATH, headers: { authorization: `Basic ${basic}`, accept: 'application/json' } });
    if (answer.status !== 200) throw failure(operation, answer);
    const value = record(parseJson(answer.body))?.value;
    if (typeof value !== 'string' || value === '') throw retryableFailure(operation, 'vCenter created a REST session but sent no session ID');
    rememberSecret(value);
    return value;
  };

  return {
    async call(operation, method, path, body) {
      const pending = sessions.get('session', () => login(operation));
      const id = await pending;
      const answer = await transport.send({
        operation,
        method,
        path,
        headers: { [SESSION_HEADER]: id, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (answer.status === 401) {
        sessions.drop('session', pending);
        throw retryableFailure(operation, 'the REST session expired; a new one is made on the next attempt');
      }
      if (answer.status < 200 || answer.status >= 300) throw failure(operation, answer);
      if (answer.body.trim() === '') return undefined;
      const parsed = parseJson(answer.body);
      if (parsed === undefined) throw retryableFailure(operation, `vCenter answered ${answer.status} with a body that is not JSON`);
      return record(parsed)?.value;
    },
  };
}
