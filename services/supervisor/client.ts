/** The worker's side of the supervisor's control API (services/supervisor/server.ts). */
import type { ControlPlaneReport } from './control-plane';
import type { ControlPlaneFiles } from './control-plane-state';

export interface SupervisorClient {
  ensure(key: string, request: { readonly kubernetesVersion: string; readonly files: ControlPlaneFiles }): Promise<ControlPlaneReport>;
  /** undefined when the supervisor runs no control plane of that key. */
  describe(key: string): Promise<ControlPlaneReport | undefined>;
  remove(key: string): Promise<void>;
  list(): Promise<ControlPlaneReport[]>;
}

/** The supervisor refused a request for a reason that trying again cannot fix. */
export class SupervisorRefusal extends Error {
  override readonly name = 'SupervisorRefusal';
  constructor(
    readonly code: string,
    /** The supervisor's own words, for a status a user reads. */
    readonly reason: string,
    request: string,
  ) {
    super(`the supervisor refused ${request}: ${reason}`);
  }
}

export function createSupervisorClient(options: { readonly url: string; readonly token: string; readonly timeoutMs?: number }): SupervisorClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T | undefined> => {
    let response: Response;
    try {
      response = await fetch(new URL(path, options.url), {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new Error(`the supervisor at ${options.url} did not answer ${method} ${path} (${error instanceof Error ? error.message : String(error)}); is the dev stack running?`);
    }
    if (response.status === 404 && method === 'GET') return undefined;
    if (response.status === 204) return undefined;
    const text = await response.text();
    if (!response.ok) {
      const error = (JSON.parse(text || '{}') as { error?: { code?: string; message?: string } }).error;
      const reason = error?.message ?? `HTTP ${response.status}`;
      if (response.status >= 400 && response.status < 500) throw new SupervisorRefusal(error?.code ?? 'Refused', reason, `${method} ${path}`);
      throw new Error(`the supervisor failed ${method} ${path}: ${reason}`);
    }
    return JSON.parse(text) as T;
  };
  const path = (key: string) => `/v1/control-planes/${encodeURIComponent(key)}`;
  return {
    async ensure(key, request) {
      const report = await call<ControlPlaneReport>('PUT', path(key), request);
      if (!report) throw new Error(`the supervisor answered PUT ${path(key)} with no report`);
      return report;
    },
    describe: (key) => call<ControlPlaneReport>('GET', path(key)),
    async remove(key) {
      await call('DELETE', path(key));
    },
    async list() {
      return (await call<{ items: ControlPlaneReport[] }>('GET', '/v1/control-planes'))?.items ?? [];
    },
  };
}
