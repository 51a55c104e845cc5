/**
 * The simulated cloud: a standalone HTTP server that behaves like a small IaaS API.
 * It keeps machines, networks, security groups, load balancers and DNS records, each
 * with tags, in SQLite; machines boot and terminate after configurable latencies; and
 * requests fail at configurable rates (429 with Retry-After, 503, or a hung connection).
 *
 *   tsx providers/simulated/cloud-server.ts --port P --state FILE [--api-key K]
 *     [--boot-ms N] [--delete-ms N] [--throttle-rate R] [--error-rate R] [--timeout-rate R]
 *     [--boot-failure-rate R] [--max-machines N] [--kubelet-heartbeat-ms N]
 *
 * API (JSON; every request needs `Authorization: Bearer <key>` when a key is set):
 *   POST   /v1/machines            {name, instanceType, image, tags, idempotencyToken, bootstrap?} -> 201, or 200 with
 *                                   the machine already made for that token. With bootstrap {apiServerURL, kubeconfig,
 *                                   nodeName, labels} the cloud acts as the machine's kubelet (kubelet.ts); the bootstrap
 *                                   is kept apart and never shown
 *   GET    /v1/machines            ?name=&tag=k=v (repeatable)&pageSize=&pageToken= -> {items, nextPageToken?}
 *   GET    /v1/machines/{id}       -> machine (phase pending|running|failed|stopping|terminated) or 404;
 *                                   a running machine carries `node` {name, conditions}, or null if its node is absent
 *   DELETE /v1/machines/{id}       -> 202 (again on a deleting or terminated machine), 404 if never known
 *   POST   /v1/{networks|securitygroups|loadbalancers|dnsrecords} {name, tags, ...} -> 201, or 200 if the name exists
 *   DELETE /v1/{plural}/{id}       -> 204 or 404
 *   GET    /v1/resources           every kind, same filters and paging; terminated machines are left out
 *   GET    /admin/resources        as /v1/resources, never faulted (for `slipway cloud ls`)
 *   GET|PUT /admin/settings        latencies and fault rates
 *   POST   /admin/faults           {next: [{status, retryAfterSeconds?} | {timeout: true}]} scripts the next requests
 *   GET    /admin/stats            {requests}: how many /v1 calls the cloud has answered (what a fleet costs in cloud API calls)
 *   PUT    /admin/machines/{id}/node  {conditions: [{type, status, lastTransitionTime?}]} or {absent: true}: what the
 *                                   machine's node reports from now on (the transition time moves where a status changes,
 *                                   unless given, so tests can make several machines fail at the same moment)
 * Errors: {error: {code, message}} with 400 InvalidParameter, 401 Unauthorized, 403 QuotaExceeded,
 * 404 NotFound, 429 Throttled, 503 ServiceUnavailable.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import type { CloudResourceKind } from '../types';
import { HttpError, readJsonObject, sendJson } from '../../infra/json-http';
import type { MachineBootstrap } from '../hosted-node';
import { SimulatedKubelets } from './kubelet';
import { CloudStore, machinePhase, type StoredResource } from './store';

export interface CloudSettings {
  bootMs: number;
  deleteMs: number;
  throttleRate: number;
  errorRate: number;
  timeoutRate: number;
  bootFailureRate: number;
  maxMachines: number;
  /** How long a "timeout" fault holds the connection before dropping it. */
  timeoutHoldMs: number;
  /** How often the kubelet of a machine that joined a hosted cluster renews its Node's Lease (a kubelet's default: 10 s). */
  kubeletHeartbeatMs: number;
}

type ScriptedFault = { readonly status: 429 | 500 | 503; readonly retryAfterSeconds?: number } | { readonly timeout: true };

const INFRA_PATHS: Record<string, CloudResourceKind> = {
  networks: 'network',
  securitygroups: 'securityGroup',
  loadbalancers: 'loadBalancer',
  dnsrecords: 'dnsRecord',
};
const ID_PREFIX: Record<CloudResourceKind, string> = { machine: 'm', network: 'net', securityGroup: 'sg', loadBalancer: 'lb', dnsRecord: 'dns' };
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const MAX_BODY_BYTES = 256 * 1024;

const send = sendJson;
const readJson = (request: IncomingMessage) => readJsonObject(request, MAX_BODY_BYTES);

function requireString(body: Record<string, unknown>, field: string, pattern?: RegExp): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) {
    throw new HttpError(400, 'InvalidParameter', `${field} must be a non-empty string${pattern ? ` matching ${pattern.source}` : ''}`);
  }
  return value;
}

function requireTags(body: Record<string, unknown>): Record<string, string> {
  const tags = body.tags ?? {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags) || Object.values(tags).some((value) => typeof value !== 'string')) {
    throw new HttpError(400, 'InvalidParameter', 'tags must be an object of string values');
  }
  return tags as Record<string, string>;
}

function tagFilter(url: URL): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const entry of url.searchParams.getAll('tag')) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new HttpError(400, 'InvalidParameter', `tag filter "${entry}" must look like key=value`);
    tags[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return tags;
}

/** What a running machine says of its node: Ready from the moment it boots, unless the admin API says otherwise. */
function machineNodeOf(store: CloudStore, settings: CloudSettings, resource: StoredResource) {
  const override = store.nodeOverride(resource.id);
  if (override && 'absent' in override) return null;
  const conditions = override?.conditions ?? [{ type: 'Ready' as const, status: 'True' as const, lastTransitionTime: new Date(resource.createdAt + settings.bootMs).toISOString() }];
  return { name: resource.name, conditions };
}

/**
 * The node the cloud reports for a running machine. A machine that joins a hosted cluster
 * reports none (null: not joined) until its kubelet has registered its Node in that cluster's
 * API server, so whatever waits for the machine's node (a NodePool's rollout, through its
 * MachineDeployment) waits for the Node the hosted cluster sees, not for the boot alone.
 */
function nodeViewOf(store: CloudStore, settings: CloudSettings, resource: StoredResource) {
  if (store.joinState(resource.id) === 'joining') return null;
  return machineNodeOf(store, settings, resource);
}

function parseBootstrap(value: unknown): MachineBootstrap | undefined {
  if (value === undefined) return undefined;
  const bootstrap = value as Partial<MachineBootstrap>;
  const labels = bootstrap.labels ?? {};
  if (
    typeof bootstrap.apiServerURL !== 'string' ||
    typeof bootstrap.kubeconfig !== 'string' ||
    typeof bootstrap.nodeName !== 'string' ||
    !NAME_PATTERN.test(bootstrap.nodeName) ||
    typeof labels !== 'object' ||
    Object.values(labels).some((label) => typeof label !== 'string')
  ) {
    throw new HttpError(400, 'InvalidParameter', 'bootstrap must be {apiServerURL, kubeconfig, nodeName, labels}');
  }
  return { apiServerURL: bootstrap.apiServerURL, kubeconfig: bootstrap.kubeconfig, nodeName: bootstrap.nodeName, labels };
}

/**
 * Heartbeats of the machines that joined a hosted cluster (providers/simulated/kubelet.ts), one
 * pass every kubeletHeartbeatMs. A machine whose API server does not answer is tried again on
 * the next pass; a terminated machine is forgotten.
 */
export function runSimulatedKubelets(store: CloudStore, settings: CloudSettings, log: (line: string) => void): { stop(): void } {
  const kubelets = new SimulatedKubelets();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const pass = async () => {
    const now = Date.now();
    for (const { machine, bootstrap } of store.bootstrappedMachines()) {
      const phase = machinePhase(machine, settings, now);
      if (phase === 'terminated') {
        kubelets.forget(machine.id);
        store.removeBootstrap(machine.id);
        continue;
      }
      const node = phase === 'running' ? machineNodeOf(store, settings, machine) : null;
      await kubelets
        .sync({ id: machine.id, phase, ...(machine.data.privateIp ? { privateIp: machine.data.privateIp } : {}), node, bootstrap }, new Date(now))
        .then((registered) => {
          if (registered) store.markJoined(machine.id);
        })
        .catch((error: unknown) => log(`kubelet of machine ${machine.id} (node ${bootstrap.nodeName}): ${error instanceof Error ? error.message : String(error)}`));
    }
  };
  const loop = () => {
    timer = setTimeout(() => {
      void pass().finally(() => {
        if (!stopped) loop();
      });
    }, settings.kubeletHeartbeatMs);
  };
  loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export function createCloudServer(store: CloudStore, settings: CloudSettings, apiKey: string | undefined) {
  const scripted: ScriptedFault[] = [];
  const expected = apiKey ? Buffer.from(`Bearer ${apiKey}`) : undefined;
  const nodeView = (resource: StoredResource) => nodeViewOf(store, settings, resource);

  const view = (resource: StoredResource, now: number) => {
    if (resource.kind !== 'machine') return { kind: resource.kind, id: resource.id, name: resource.name, tags: resource.tags, createdAt: new Date(resource.createdAt).toISOString(), ...resource.data, state: 'available' };
    const phase = machinePhase(resource, settings, now);
    return {
      kind: resource.kind,
      id: resource.id,
      name: resource.name,
      tags: resource.tags,
      createdAt: new Date(resource.createdAt).toISOString(),
      ...resource.data,
      phase,
      ...(phase === 'running' ? { node: nodeView(resource) } : {}),
    };
  };

  const setNode = async (request: IncomingMessage, response: ServerResponse, id: string | undefined, now: number) => {
    const machine = id ? store.byId(id) : undefined;
    if (!machine || machine.kind !== 'machine') throw new HttpError(404, 'NotFound', `machine ${id ?? ''} does not exist`);
    const body = await readJson(request);
    if (body.absent === true) {
      store.setNodeOverride(machine.id, { absent: true });
      return send(response, 200, view(machine, now));
    }
    if (!Array.isArray(body.conditions)) throw new HttpError(400, 'InvalidParameter', 'give {conditions: [{type, status}]} or {absent: true}');
    const before = machineNodeOf(store, settings, machine)?.conditions ?? [];
    const conditions = (body.conditions as unknown[]).map((entry) => {
      const condition = entry as { type?: unknown; status?: unknown; lastTransitionTime?: unknown };
      if (typeof condition.type !== 'string' || !['True', 'False', 'Unknown'].includes(String(condition.status))) {
        throw new HttpError(400, 'InvalidParameter', 'each condition needs a string type and a status of True, False or Unknown');
      }
      if (condition.lastTransitionTime !== undefined && (typeof condition.lastTransitionTime !== 'string' || Number.isNaN(Date.parse(condition.lastTransitionTime)))) {
        throw new HttpError(400, 'InvalidParameter', 'lastTransitionTime, when given, must be an ISO 8601 time');
      }
      const status = condition.status as 'True' | 'False' | 'Unknown';
      const previous = before.find((known) => known.type === condition.type);
      const transition = previous && previous.status === status ? previous.lastTransitionTime : new Date(now).toISOString();
      return { type: condition.type, status, lastTransitionTime: typeof condition.lastTransitionTime === 'string' ? condition.lastTransitionTime : transition };
    });
    store.setNodeOverride(machine.id, { conditions });
    return send(response, 200, view(machine, now));
  };

  const list = (url: URL, kind: CloudResourceKind | undefined, now: number) => {
    const pageSize = Math.min(Math.max(Number(url.searchParams.get('pageSize') ?? 100) || 100, 1), 500);
    const afterSeq = Number(url.searchParams.get('pageToken') ?? 0) || 0;
    const rows = store.list({ kind, name: url.searchParams.get('name') ?? undefined, tags: tagFilter(url), afterSeq }, pageSize);
    const items = rows
      .map((row) => view(row, now))
      .filter((item) => !('phase' in item) || item.phase !== 'terminated');
    const last = rows.at(-1);
    return { items, ...(rows.length === pageSize && last ? { nextPageToken: String(last.seq) } : {}) };
  };

  const createMachine = async (request: IncomingMessage, response: ServerResponse, now: number) => {
    const body = await readJson(request);
    const name = requireString(body, 'name', NAME_PATTERN);
    const instanceType = requireString(body, 'instanceType');
    const image = requireString(body, 'image');
    const tags = requireTags(body);
    const bootstrap = parseBootstrap(body.bootstrap);
    const token = typeof body.idempotencyToken === 'string' && body.idempotencyToken ? body.idempotencyToken : null;
    const existing = token ? store.byToken(token) : undefined;
    if (existing) return send(response, 200, view(existing, now));
    if (store.countLiveMachines() >= settings.maxMachines) {
      throw new HttpError(403, 'QuotaExceeded', `the account may run at most ${settings.maxMachines} machines`);
    }
    const octets = randomBytes(2);
    const created = store.insert({
      kind: 'machine',
      id: `${ID_PREFIX.machine}-${randomBytes(8).toString('hex')}`,
      name,
      tags,
      data: { instanceType, image, privateIp: `10.0.${octets[0]}.${octets[1]}` },
      createdAt: now,
      token,
      willFail: Math.random() < settings.bootFailureRate,
    });
    if (bootstrap) store.setBootstrap(created.id, bootstrap);
    send(response, 201, view(created, now));
  };

  const createInfra = async (request: IncomingMessage, response: ServerResponse, kind: CloudResourceKind, now: number) => {
    const body = await readJson(request);
    const name = requireString(body, 'name', NAME_PATTERN);
    const tags = requireTags(body);
    const [existing] = store.list({ kind, name, tags: {}, afterSeq: 0 }, 1);
    if (existing) return send(response, 200, view(existing, now));
    const data = Object.fromEntries(Object.entries(body).filter(([key, value]) => key !== 'name' && key !== 'tags' && typeof value === 'string')) as Record<string, string>;
    const created = store.insert({ kind, id: `${ID_PREFIX[kind]}-${randomBytes(8).toString('hex')}`, name, tags, data, createdAt: now, token: null, willFail: false });
    send(response, 201, view(created, now));
  };

  /** Returns true when a fault was injected and the request must not be served. */
  const injectFault = (response: ServerResponse): boolean => {
    const fault: ScriptedFault | undefined =
      scripted.shift() ??
      (Math.random() < settings.throttleRate
        ? { status: 429, retryAfterSeconds: 1 }
        : Math.random() < settings.errorRate
          ? { status: 503 }
          : Math.random() < settings.timeoutRate
            ? { timeout: true }
            : undefined);
    if (!fault) return false;
    if ('timeout' in fault) {
      setTimeout(() => response.destroy(), settings.timeoutHoldMs).unref();
      return true;
    }
    const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': String(fault.retryAfterSeconds ?? 1) } : {};
    const code = fault.status === 429 ? 'Throttled' : 'ServiceUnavailable';
    send(response, fault.status, { error: { code, message: fault.status === 429 ? 'request rate exceeded' : 'the service is temporarily unavailable' } }, headers);
    return true;
  };

  let cloudRequests = 0;
  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://simulated.cloud');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = request.method ?? 'GET';
    const now = Date.now();

    const authorization = Buffer.from(request.headers.authorization ?? '');
    if (expected && (authorization.length !== expected.length || !timingSafeEqual(authorization, expected))) {
      throw new HttpError(401, 'Unauthorized', 'missing or wrong API key');
    }

    if (parts[0] === 'admin') {
      if (parts[1] === 'resources' && method === 'GET') return send(response, 200, list(url, undefined, now));
      if (parts[1] === 'settings' && method === 'GET') return send(response, 200, settings);
      if (parts[1] === 'stats' && method === 'GET') return send(response, 200, { requests: cloudRequests });
      if (parts[1] === 'settings' && method === 'PUT') {
        const body = await readJson(request);
        for (const key of Object.keys(settings) as (keyof CloudSettings)[]) {
          const value = body[key];
          if (typeof value === 'number' && value >= 0) settings[key] = value;
        }
        return send(response, 200, settings);
      }
      if (parts[1] === 'machines' && parts[3] === 'node' && method === 'PUT') return setNode(request, response, parts[2], now);
      if (parts[1] === 'faults' && method === 'POST') {
        const body = await readJson(request);
        if (!Array.isArray(body.next)) throw new HttpError(400, 'InvalidParameter', 'next must be an array of faults');
        scripted.push(...(body.next as ScriptedFault[]));
        return send(response, 200, { queued: scripted.length });
      }
      throw new HttpError(404, 'NotFound', `no admin route ${method} ${url.pathname}`);
    }

    if (parts[0] !== 'v1') throw new HttpError(404, 'NotFound', `no route ${method} ${url.pathname}`);
    cloudRequests += 1;
    if (injectFault(response)) return;

    const [, collection, id] = parts;
    if (collection === 'resources' && method === 'GET' && !id) return send(response, 200, list(url, undefined, now));
    if (collection === 'resources' && method === 'PATCH' && id && parts[3] === 'tags') {
      const tags = requireTags(await readJson(request));
      if (!store.mergeTags(id, tags)) throw new HttpError(404, 'NotFound', `resource ${id} does not exist`);
      const updated = store.byId(id);
      return updated ? send(response, 200, view(updated, now)) : send(response, 204);
    }
    if (collection === 'machines') {
      if (method === 'POST' && !id) return createMachine(request, response, now);
      if (method === 'GET' && !id) return send(response, 200, list(url, 'machine', now));
      const machine = id ? store.byId(id) : undefined;
      if (!machine || machine.kind !== 'machine') throw new HttpError(404, 'NotFound', `machine ${id ?? ''} does not exist`);
      if (method === 'GET') return send(response, 200, view(machine, now));
      if (method === 'DELETE') {
        store.markDeleting(machine.id, now);
        return send(response, 202, view(store.byId(machine.id) ?? machine, now));
      }
    }
    const kind = collection ? INFRA_PATHS[collection] : undefined;
    if (kind) {
      if (method === 'POST' && !id) return createInfra(request, response, kind, now);
      if (method === 'GET' && !id) return send(response, 200, list(url, kind, now));
      const resource = id ? store.byId(id) : undefined;
      if (!resource || resource.kind !== kind) throw new HttpError(404, 'NotFound', `${kind} ${id ?? ''} does not exist`);
      if (method === 'GET') return send(response, 200, view(resource, now));
      if (method === 'DELETE') {
        store.remove(resource.id);
        return send(response, 204);
      }
    }
    throw new HttpError(404, 'NotFound', `no route ${method} ${url.pathname}`);
  };

  return createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      if (error instanceof HttpError) send(response, error.status, { error: { code: error.code, message: error.message } });
      else send(response, 500, { error: { code: 'InternalError', message: 'the simulated cloud failed; see its log' } });
    });
  });
}

function rate(value: string | undefined, flag: string): number {
  const parsed = Number(value ?? 0);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new Error(`${flag} must be a number from 0 to 1`);
  return parsed;
}

function count(value: string | undefined, flag: string, fallback: number): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${flag} must be a whole number of 0 or more`);
  return parsed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      state: { type: 'string' },
      'api-key': { type: 'string' },
      'boot-ms': { type: 'string' },
      'delete-ms': { type: 'string' },
      'throttle-rate': { type: 'string' },
      'error-rate': { type: 'string' },
      'timeout-rate': { type: 'string' },
      'boot-failure-rate': { type: 'string' },
      'max-machines': { type: 'string' },
      'kubelet-heartbeat-ms': { type: 'string' },
    },
  });
  if (!values.state) throw new Error('--state FILE is required: the SQLite file that holds the cloud');
  const store = new CloudStore(values.state);
  const settings: CloudSettings = {
    bootMs: count(values['boot-ms'], '--boot-ms', 2000),
    deleteMs: count(values['delete-ms'], '--delete-ms', 1000),
    throttleRate: rate(values['throttle-rate'], '--throttle-rate'),
    errorRate: rate(values['error-rate'], '--error-rate'),
    timeoutRate: rate(values['timeout-rate'], '--timeout-rate'),
    bootFailureRate: rate(values['boot-failure-rate'], '--boot-failure-rate'),
    maxMachines: count(values['max-machines'], '--max-machines', 100_000),
    timeoutHoldMs: 15_000,
    kubeletHeartbeatMs: count(values['kubelet-heartbeat-ms'], '--kubelet-heartbeat-ms', 10_000),
  };
  const server = createCloudServer(store, settings, values['api-key'] ?? process.env.SIMCLOUD_API_KEY);
  const kubelets = runSimulatedKubelets(store, settings, (line) => process.stderr.write(`${line}\n`));
  server.listen(Number(values.port), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${port}` })}\n`);
  });
  const stop = () => {
    kubelets.stop();
    server.close(() => {
      store.close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
