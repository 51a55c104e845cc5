/**
 * The CLI's client for Slipway's REST API: Kubernetes-style resource paths, a bearer
 * token, a timeout on every request, RFC 9457 problem+json errors turned into ApiError,
 * paginated lists, and watch as Server-Sent Events.
 */
import type { KindName } from '../../crds/schemas/index';
import { isPlainObject } from '../../crds/json';
import type { ObjectLike } from './conditions';
import { CliError } from './errors';
import { resourcePath } from './kinds';
import { SseParser } from './sse';

export interface ProblemFieldError {
  readonly path: string;
  readonly message: string;
}

/** RFC 9457 problem details, as the API answers every error. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly ProblemFieldError[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly url: string,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** Reads a problem+json body; anything else becomes a problem whose detail is the body's first line. */
export function parseProblem(status: number, statusText: string, body: string): Problem {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isPlainObject(parsed)) {
      const errors = Array.isArray(parsed.errors)
        ? parsed.errors.filter(isPlainObject).map((error) => ({ path: String(error.path ?? ''), message: String(error.message ?? '') }))
        : undefined;
      return {
        ...(typeof parsed.type === 'string' ? { type: parsed.type } : {}),
        ...(typeof parsed.title === 'string' ? { title: parsed.title } : {}),
        status: typeof parsed.status === 'number' ? parsed.status : status,
        // Kubernetes Status objects carry `message`, and the simulated cloud `{error: {code, message}}`; accept both as the detail.
        ...(typeof parsed.detail === 'string'
          ? { detail: parsed.detail }
          : typeof parsed.message === 'string'
            ? { detail: parsed.message }
            : isPlainObject(parsed.error) && typeof parsed.error.message === 'string'
              ? { detail: parsed.error.message }
              : {}),
        ...(errors && errors.length > 0 ? { errors } : {}),
      };
    }
  } catch {
    // not JSON: fall through
  }
  const firstLine = body.trim().split('\n')[0]?.slice(0, 300) ?? '';
  return { status, title: statusText || `HTTP ${status}`, ...(firstLine ? { detail: firstLine } : {}) };
}

/** The lines a person sees for an API error: the detail, then each `path: message`. */
export function problemLines(problem: Problem): { message: string; details: string[] } {
  const message = problem.detail ?? problem.title ?? `the API answered ${problem.status ?? 'an error'}`;
  const details = (problem.errors ?? []).map((error) => `${error.path || '(root)'}: ${error.message}`);
  return { message, details };
}

export interface ListResult {
  readonly items: ObjectLike[];
  readonly resourceVersion: string | undefined;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  readonly resourceVersion: string | undefined;
  readonly object: ObjectLike;
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly token?: string;
  /** For every request except the body of a watch. */
  readonly timeoutMs?: number;
}

/** Lists follow `continue` tokens; stop after this many pages so a server bug cannot loop us forever. */
const MAX_LIST_PAGES = 10_000;
const PAGE_SIZE = 500;

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error && isPlainObject(error.cause) ? error.cause : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code) return code;
  return error instanceof Error ? error.message : String(error);
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Sends a request; network failures and timeouts become CliErrors that say what to check. */
  private async send(method: string, path: string, init: { body?: string; contentType?: string; signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
    try {
      return await fetch(url, {
        method,
        headers: this.headers({ ...(init.contentType ? { 'content-type': init.contentType } : {}), ...(init.accept ? { accept: init.accept } : {}) }),
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal,
      });
    } catch (error) {
      if (init.signal?.aborted) throw init.signal.reason;
      if (timeout.aborted) {
        throw new CliError(`the Slipway API at ${this.baseUrl} did not answer ${method} ${path} within ${Math.round(this.timeoutMs / 1000)}s; check that the dev stack is healthy (npm run dev)`);
      }
      throw new CliError(
        `cannot reach the Slipway API at ${this.baseUrl} (${describeNetworkError(error)}): start the dev stack with \`npm run dev\`, or point SLIPWAY_API_URL at a running API`,
      );
    }
  }

  private async json<T>(method: string, path: string, init: { body?: string; contentType?: string; signal?: AbortSignal } = {}): Promise<T> {
    const response = await this.send(method, path, init);
    const text = await response.text();
    if (!response.ok) throw this.apiError(response, text);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the API at ${this.baseUrl} answered ${method} ${path} with something that is not JSON; is SLIPWAY_API_URL pointing at Slipway?`);
    }
  }

  private apiError(response: Response, body: string): ApiError {
    const problem = parseProblem(response.status, response.statusText, body);
    if (response.status === 401) {
      return new ApiError(401, {
        ...problem,
        detail: `the API at ${this.baseUrl} refused the token (401${problem.detail ? `: ${problem.detail}` : ''}); use the token of the running stack: SLIPWAY_API_TOKEN, or the token file in SLIPWAY_HOME (a restarted dev stack writes a new one)`,
      }, response.url);
    }
    return new ApiError(response.status, problem, response.url);
  }

  /** A subresource of one object that answers text rather than JSON (a kubeconfig, as YAML). */
  async text(kind: KindName, namespace: string, name: string, subresource: string, accept: string): Promise<string> {
    const response = await this.send('GET', `${resourcePath(kind, namespace, name)}/${subresource}`, { accept: `${accept}, application/problem+json` });
    const text = await response.text();
    if (!response.ok) throw this.apiError(response, text);
    return text;
  }

  /** A JSON request to a path under the API's base URL, for endpoints that are not a kind's (sweeps). */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.json(method, path, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' });
  }

  create(kind: KindName, namespace: string, object: unknown, signal?: AbortSignal): Promise<ObjectLike> {
    return this.json('POST', resourcePath(kind, namespace), { body: JSON.stringify(object), contentType: 'application/json', ...(signal ? { signal } : {}) });
  }

  get(kind: KindName, namespace: string, name: string, signal?: AbortSignal): Promise<ObjectLike> {
    return this.json('GET', resourcePath(kind, namespace, name), signal ? { signal } : {});
  }

  /** GET that answers undefined for 404 instead of throwing. */
  async find(kind: KindName, namespace: string, name: string, signal?: AbortSignal): Promise<ObjectLike | undefined> {
    try {
      return await this.get(kind, namespace, name, signal);
    } catch (error) {
      if (isApiError(error, 404)) return undefined;
      throw error;
    }
  }

  patch(kind: KindName, namespace: string, name: string, patch: unknown): Promise<ObjectLike> {
    return this.json('PATCH', resourcePath(kind, namespace, name), { body: JSON.stringify(patch), contentType: 'application/merge-patch+json' });
  }

  delete(kind: KindName, namespace: string, name: string): Promise<ObjectLike | undefined> {
    return this.json('DELETE', resourcePath(kind, namespace, name));
  }

  /** Merge-patches a subresource of one object, e.g. `scale`. */
  patchSubresource(kind: KindName, namespace: string, name: string, subresource: string, patch: unknown): Promise<ObjectLike> {
    return this.json('PATCH', `${resourcePath(kind, namespace, name)}/${subresource}`, { body: JSON.stringify(patch), contentType: 'application/merge-patch+json' });
  }

  /** DELETE of something below one object, such as one machine of a MachineDeployment. */
  deleteSubresource(kind: KindName, namespace: string, name: string, subresource: string): Promise<ObjectLike> {
    return this.json('DELETE', `${resourcePath(kind, namespace, name)}/${subresource}`);
  }

  /** A custom verb on one object: POST `{name}:{verb}` with a JSON body. */
  action<T>(kind: KindName, namespace: string, name: string, verb: string, body: unknown = {}): Promise<T> {
    return this.json('POST', `${resourcePath(kind, namespace, name)}:${verb}`, { body: JSON.stringify(body), contentType: 'application/json' });
  }

  /** Every object of the kind in the namespace, following `continue` page by page. */
  async list(kind: KindName, namespace: string, options: { labelSelector?: string; limit?: number } = {}): Promise<ListResult> {
    const items: ObjectLike[] = [];
    let resourceVersion: string | undefined;
    let next: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const query = new URLSearchParams();
      if (options.labelSelector) query.set('labelSelector', options.labelSelector);
      query.set('limit', String(options.limit ?? PAGE_SIZE));
      if (next) query.set('continue', next);
      const body = await this.json<unknown>('GET', `${resourcePath(kind, namespace)}?${query.toString()}`);
      const list = isPlainObject(body) ? body : {};
      const metadata = isPlainObject(list.metadata) ? list.metadata : {};
      if (Array.isArray(list.items)) items.push(...list.items.filter(isPlainObject));
      resourceVersion ??= typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
      next = typeof metadata.continue === 'string' && metadata.continue !== '' ? metadata.continue : undefined;
      if (!next || options.limit !== undefined) return { items, resourceVersion };
    }
    throw new CliError(`the API kept answering with more pages after ${MAX_LIST_PAGES}; narrow the list with -l`);
  }

  /**
   * Watches a kind in a namespace from `resourceVersion` (exclusive), yielding events
   * until the server closes the stream or `signal` aborts. Throws ApiError when the
   * watch is refused (410 Gone: the version is too old, list again).
   */
  async *watch(kind: KindName, namespace: string, options: { resourceVersion?: string; labelSelector?: string; signal: AbortSignal }): AsyncGenerator<WatchEvent> {
    const query = new URLSearchParams({ watch: '1' });
    if (options.resourceVersion) query.set('resourceVersion', options.resourceVersion);
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    const path = `${resourcePath(kind, namespace)}?${query.toString()}`;
    const url = `${this.baseUrl}${path}`;
    // The timeout covers getting the response headers, not the open-ended stream after them.
    const connect = AbortSignal.timeout(this.timeoutMs);
    const abort = new AbortController();
    const onAbort = () => abort.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    const connectTimer = () => abort.abort(new CliError(`the Slipway API at ${this.baseUrl} did not start the watch within ${Math.round(this.timeoutMs / 1000)}s`));
    connect.addEventListener('abort', connectTimer, { once: true });
    try {
      let response: Response;
      try {
        response = await fetch(url, { headers: this.headers({ accept: 'text/event-stream' }), signal: abort.signal });
      } catch (error) {
        if (abort.signal.aborted) throw abort.signal.reason;
        throw new CliError(`cannot reach the Slipway API at ${this.baseUrl} (${describeNetworkError(error)}): start the dev stack with \`npm run dev\``);
      } finally {
        connect.removeEventListener('abort', connectTimer);
      }
      if (!response.ok || !response.body) throw this.apiError(response, await response.text());
      const parser = new SseParser();
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        for (const event of parser.push(decoder.decode(chunk, { stream: true }))) {
          let data: unknown;
          try {
            data = JSON.parse(event.data);
          } catch {
            continue;
          }
          if (event.event === 'ERROR') {
            const problem = isPlainObject(data) ? parseProblem(Number(data.status ?? 500), 'watch error', event.data) : { status: 500 };
            throw new ApiError(problem.status ?? 500, problem, url);
          }
          if (isPlainObject(data)) yield { type: event.event, resourceVersion: event.id, object: data };
        }
      }
    } catch (error) {
      if (options.signal.aborted) return;
      throw error;
    } finally {
      options.signal.removeEventListener('abort', onAbort);
      abort.abort();
    }
  }
}

/** Turns an API error into what the person sees: detail, then `path: message` lines. */
export function toCliError(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const { message, details } = problemLines(error.problem);
  return new CliError(message, details);
}
