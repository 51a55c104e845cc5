/**
 * The supervisor's control API, on loopback only, for the worker's control-plane activities:
 *
 *   PUT    /v1/control-planes/{key}  {kubernetesVersion, files: ControlPlaneFiles} -> 200 report;
 *                                    starts what is not running; ports are kept across calls
 *   GET    /v1/control-planes/{key}  -> 200 report, 404 when there is none
 *   DELETE /v1/control-planes/{key}  -> 204: processes stopped, ports freed, state folder removed
 *   GET    /v1/control-planes        -> {items: report[]}
 *   GET    /healthz                  -> 200 (no token needed)
 *
 * Every other call needs `Authorization: Bearer <token>`. Errors: {error: {code, message}}.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpError, readJsonObject, sendJson } from '../../infra/json-http';
import { runControlPlane, type ControlPlaneSettings, type RunningControlPlane } from './control-plane';
import { ensureRecord, hasControlPlaneFiles, readRecords, removeControlPlaneState, writeControlPlaneFiles, type ControlPlaneFiles } from './control-plane-state';
import { runsKubernetesVersion } from '../../workflows/planners/hosted/release';

export interface SupervisorOptions extends ControlPlaneSettings {
  readonly home: string;
  readonly token: string;
  /** The version the kube-apiserver binary reports, e.g. v1.34.2. */
  readonly kubeAPIServerVersion: string;
}

const KEY_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MAX_BODY_BYTES = 256 * 1024;
const FILE_FIELDS = ['caCertificate', 'servingCertificate', 'servingKey', 'serviceAccountKey', 'serviceAccountPublicKey'] as const;

async function readBody(request: IncomingMessage): Promise<{ readonly kubernetesVersion: string; readonly files: ControlPlaneFiles }> {
  const parsed = await readJsonObject(request, MAX_BODY_BYTES);
  const files = (typeof parsed.files === 'object' && parsed.files !== null ? parsed.files : {}) as Record<string, unknown>;
  const missing = FILE_FIELDS.filter((field) => typeof files[field] !== 'string' || files[field] === '');
  if (typeof parsed.kubernetesVersion !== 'string' || missing.length > 0) {
    throw new HttpError(400, 'InvalidParameter', `give kubernetesVersion and files with ${FILE_FIELDS.join(', ')}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  }
  return { kubernetesVersion: parsed.kubernetesVersion, files: Object.fromEntries(FILE_FIELDS.map((field) => [field, String(files[field])])) as unknown as ControlPlaneFiles };
}


export interface Supervisor {
  readonly server: Server;
  /** Starts every control plane recorded under home: what a stack restart comes back to. */
  startRecorded(): Promise<void>;
  /** Stops every process and keeps the state, for the next start. */
  stopAll(): Promise<void>;
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const running = new Map<string, RunningControlPlane>();
  // One operation at a time per control plane: a PUT racing a DELETE must not leave processes behind.
  const queues = new Map<string, Promise<unknown>>();
  const serially = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    queues.set(key, next);
    return next;
  };
  const expected = Buffer.from(`Bearer ${options.token}`);

  const ensure = (key: string, kubernetesVersion: string, files: ControlPlaneFiles) =>
    serially(key, async () => {
      if (!runsKubernetesVersion(options.kubeAPIServerVersion, kubernetesVersion.replace(/^v/, ''))) {
        throw new HttpError(422, 'UnsupportedVersion', `this stack runs kube-apiserver ${options.kubeAPIServerVersion} only; a control plane of Kubernetes ${kubernetesVersion} cannot run locally. Pick a release that maps to ${options.kubeAPIServerVersion.replace(/^v/, '')}, or place the control plane on a management cluster.`);
      }
      const record = await ensureRecord(options.home, key, kubernetesVersion);
      await writeControlPlaneFiles(options.home, key, files);
      let controlPlane = running.get(key);
      if (!controlPlane) {
        controlPlane = await runControlPlane(options.home, record, options);
        running.set(key, controlPlane);
      }
      return controlPlane.report();
    });

  const remove = (key: string) =>
    serially(key, async () => {
      await running.get(key)?.stop();
      running.delete(key);
      await removeControlPlaneState(options.home, key);
    });

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://supervisor');
    const method = request.method ?? 'GET';
    if (url.pathname === '/healthz') return sendJson(response, 200, { ok: true });
    const authorization = Buffer.from(request.headers.authorization ?? '');
    if (authorization.length !== expected.length || !timingSafeEqual(authorization, expected)) throw new HttpError(401, 'Unauthorized', 'missing or wrong supervisor token');
    const [version, collection, key, ...rest] = url.pathname.split('/').filter(Boolean);
    if (version !== 'v1' || collection !== 'control-planes' || rest.length > 0) throw new HttpError(404, 'NotFound', `no route ${method} ${url.pathname}`);
    if (!key) {
      if (method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}`);
      return sendJson(response, 200, { items: await Promise.all([...running.values()].map((controlPlane) => controlPlane.report())) });
    }
    if (!KEY_PATTERN.test(key)) throw new HttpError(400, 'InvalidParameter', `control plane key ${key} must be a DNS label`);
    if (method === 'PUT') {
      const body = await readBody(request);
      return sendJson(response, 200, await ensure(key, body.kubernetesVersion, body.files));
    }
    if (method === 'GET') {
      const controlPlane = running.get(key);
      if (!controlPlane) throw new HttpError(404, 'NotFound', `no control plane ${key}`);
      return sendJson(response, 200, await controlPlane.report());
    }
    if (method === 'DELETE') {
      await remove(key);
      return sendJson(response, 204);
    }
    throw new HttpError(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}`);
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      if (error instanceof HttpError) sendJson(response, error.status, { error: { code: error.code, message: error.message } });
      else sendJson(response, 500, { error: { code: 'InternalError', message: error instanceof Error ? error.message : String(error) } });
    });
  });

  return {
    server,
    async startRecorded() {
      for (const record of await readRecords(options.home)) {
        if (running.has(record.key) || !hasControlPlaneFiles(options.home, record.key)) continue;
        await serially(record.key, async () => {
          if (!running.has(record.key)) running.set(record.key, await runControlPlane(options.home, record, options));
        });
      }
    },
    async stopAll() {
      await Promise.all([...running.values()].map((controlPlane) => controlPlane.stop()));
      running.clear();
    },
  };
}
