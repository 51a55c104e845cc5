/**
 * A local, in-memory Compute Engine API for the GCP adapter's tests, since no public emulator
 * exists. It follows the public REST reference of Compute Engine API v1 (facts such as paths,
 * field names, status names and error reasons; no code or prose is taken from anywhere):
 *
 *   instances.insert / get / delete / list   POST|GET /compute/v1/projects/{p}/zones/{z}/instances[/{name}], DELETE .../{name}
 *   instances.setLabels                      POST /compute/v1/projects/{p}/zones/{z}/instances/{name}/setLabels
 *   zoneOperations.get / wait                GET /compute/v1/projects/{p}/zones/{z}/operations/{op}, POST .../{op}/wait
 *   globalOperations.get / wait              GET /compute/v1/projects/{p}/global/operations/{op}, POST .../{op}/wait
 *   networks.insert / get / delete / list    /compute/v1/projects/{p}/global/networks[/{name}]
 *   firewalls.insert / get / delete / list   /compute/v1/projects/{p}/global/firewalls[/{name}]
 *   regionHealthChecks, regionBackendServices, forwardingRules: insert / get / delete / list
 *                                            /compute/v1/projects/{p}/regions/{r}/{healthChecks|backendServices|forwardingRules}[/{name}]
 *   instanceGroups.insert / get / delete / list / addInstances / removeInstances / listInstances
 *                                            /compute/v1/projects/{p}/zones/{z}/instanceGroups[/{name}[/{method}]]
 *   forwardingRules.setLabels                POST /compute/v1/projects/{p}/regions/{r}/forwardingRules/{name}/setLabels
 *   regionBackendServices.patch              PATCH /compute/v1/projects/{p}/regions/{r}/backendServices/{name}
 *   regionOperations.get / wait              GET /compute/v1/projects/{p}/regions/{r}/operations/{op}, POST .../{op}/wait
 *   Cloud DNS v1 managedZones (create / get / delete / list / patch) and resourceRecordSets (create / get / delete / list)
 *                                            /dns/v1/projects/{p}/managedZones[/{zone}[/rrsets[/{name}/{type}]]]
 *
 * the Operation resource (PENDING, RUNNING, DONE; error.errors[].code; httpErrorStatusCode),
 * `requestId` idempotency, the list `filter` syntax, `maxResults` and `pageToken` paging, labels
 * and their character rules, GCE's JSON error body with its reasons, and the bearer check.
 * See instances.ts, instance-groups.ts, networks.ts, regional.ts, dns.ts, operations.ts, filter.ts, paging.ts and auth.ts for each part.
 *
 * What it does not have: disks, images, machine types and subnetworks as resources of their own
 * (references to them are checked for shape only, unless a test lists the names that exist),
 * regions other than one, IAM (any accepted credential may do anything), rate limiting (the
 * fault proxy plays that part), operations lists, load balancing that carries traffic (a
 * forwarding rule only gets its address), DNS answering queries, Cloud DNS changes, and
 * the link between a network and the private zones bound to it (a network can go before its zone).
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { BearerCheck, DNS_AUDIENCE, type ServiceAccountPublicKey } from './auth';
import type { ProjectContext, Timings } from './context';
import { GceFailure, failureAnswer, failures, json, readJsonBody, send, sleep, type GceAnswer, type GceRequest } from './http';
import { InstanceGroups } from './instance-groups';
import { Instances } from './instances';
import { CloudDns } from './dns';
import { GlobalResources } from './networks';
import { RegionalResources } from './regional';
import { OperationRegistry } from './operations';

export interface GceEmulatorOptions {
  readonly project?: string;
  /** One region; its zones are <region>-a, -b and -c. */
  readonly region?: string;
  /** Static OAuth access tokens the API accepts; one random token when absent. */
  readonly accessTokens?: readonly string[];
  /** Service accounts whose self-signed JWTs the API accepts. */
  readonly serviceAccounts?: readonly ServiceAccountPublicKey[];
  readonly timings?: Partial<Timings>;
  readonly instanceQuota?: number;
  readonly machineTypes?: readonly string[];
  readonly images?: readonly string[];
  readonly exhaustedMachineTypes?: readonly string[];
  /** How long a requestId is remembered; GCE documents at least 60 minutes. */
  readonly requestIdWindowMs?: number;
  /** The longest an operations wait holds before answering a not-yet-DONE operation; GCE's is 2 minutes. */
  readonly waitHoldMs?: number;
  /** A faulty list: a page asked for with a pageToken answers with that same token as its nextPageToken. */
  readonly echoPageTokens?: boolean;
}

/** For echoPageTokens: the answer to a paged request, handing back the token it was asked with. */
function echoingPageToken(incoming: IncomingMessage, result: GceAnswer): GceAnswer {
  const asked = new URL(incoming.url ?? '/', 'http://emulator').searchParams.get('pageToken');
  const body = result.body;
  if (!asked || typeof body !== 'object' || body === null || !('nextPageToken' in body)) return result;
  return { ...result, body: { ...body, nextPageToken: asked } };
}

export interface GceEmulator {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly project: string;
  readonly region: string;
  readonly zone: string;
  readonly accessToken: string;
  /** The forwarding rule as GCE would render it now, or undefined when there is none. */
  forwardingRule(name: string): Record<string, unknown> | undefined;
  /** The instance group as GCE would render it now, with its members' names (sorted), or undefined when there is none. */
  instanceGroup(name: string, zone?: string): { readonly group: Record<string, unknown>; readonly members: readonly string[] } | undefined;
  /** The backend service as GCE would render it now, or undefined when there is none. */
  backendService(name: string): Record<string, unknown> | undefined;
  /** The instance as GCE would render it now (no bearer check, no faults), or undefined when there is none. */
  instance(name: string, zone?: string): Record<string, unknown> | undefined;
  setInstanceQuota(quota: number): void;
  stop(): Promise<void>;
}

const DEFAULT_TIMINGS: Timings = { provisionMs: 600, stopMs: 400, terminatedMs: 200, globalOperationMs: 150 };
const WAIT_POLL_MS = 25;

function operationsRoute(context: ProjectContext, waitHoldMs: number, request: GceRequest): Promise<GceAnswer> | undefined {
  const zonal = request.segments[0] === 'zones';
  const regional = request.segments[0] === 'regions';
  const [scopeName, name, action, ...rest] = zonal || regional ? request.segments.slice(2) : request.segments.slice(1);
  const scope = zonal ? `zones/${request.segments[1] ?? ''}` : regional ? `regions/${request.segments[1] ?? ''}` : 'global';
  if (scopeName !== 'operations' || name === undefined || rest.length > 0) return undefined;
  if (zonal && !context.zones.has(request.segments[1] ?? '')) throw failures.invalid('zone', request.segments[1] ?? '', 'Unknown zone.');
  if (regional && request.segments[1] !== context.region) throw failures.invalid('region', request.segments[1] ?? '', 'Unknown region.');
  const { operations } = context;
  if (action === undefined && request.method === 'GET') return Promise.resolve(json(200, operations.render(operations.get(scope, name), request.origin)));
  if (action === 'wait' && request.method === 'POST') {
    const record = operations.get(scope, name);
    return (async () => {
      const deadline = context.now() + waitHoldMs;
      while (operations.status(record) !== 'DONE' && context.now() < deadline && !request.closed()) await sleep(WAIT_POLL_MS);
      return json(200, operations.render(record, request.origin));
    })();
  }
  throw new GceFailure(405, 'httpMethodNotAllowed', `Method ${request.method} is not allowed on this resource.`);
}

export async function startGceEmulator(options: GceEmulatorOptions = {}): Promise<GceEmulator> {
  const project = options.project ?? 'slipway-test';
  const region = options.region ?? 'us-central1';
  const zones = ['a', 'b', 'c'].map((suffix) => `${region}-${suffix}`);
  const accessTokens = options.accessTokens ?? [`ya29.emulator-${randomBytes(24).toString('base64url')}`];
  const now = (): number => Date.now();
  const context: ProjectContext = {
    project,
    region,
    zones: new Set(zones),
    now,
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
    operations: new OperationRegistry(project, now, options.requestIdWindowMs ?? 60 * 60_000),
  };
  const globals = new GlobalResources(context);
  const instances = new Instances(context, globals, {
    instanceQuota: options.instanceQuota ?? Number.POSITIVE_INFINITY,
    machineTypes: options.machineTypes ? new Set(options.machineTypes) : undefined,
    images: options.images ? new Set(options.images) : undefined,
    exhaustedMachineTypes: new Set(options.exhaustedMachineTypes ?? []),
  });
  const groups = new InstanceGroups(context, globals, instances);
  const regional = new RegionalResources(context, globals, groups);
  const dns = new CloudDns(context, globals);
  const bearer = new BearerCheck(accessTokens, options.serviceAccounts ?? [], now);
  const waitHoldMs = options.waitHoldMs ?? 120_000;
  const prefix = `/compute/v1/projects/`;

  const answer = async (incoming: IncomingMessage, closed: () => boolean): Promise<GceAnswer> => {
    const url = new URL(incoming.url ?? '/', 'http://emulator.invalid');
    const dnsPrefix = `/dns/v1/projects/${project}/`;
    if (url.pathname.startsWith('/dns/v1/')) {
      bearer.check(incoming.headers.authorization, DNS_AUDIENCE);
      if (!url.pathname.startsWith(dnsPrefix)) throw new GceFailure(404, 'notFound', `The requested URL ${url.pathname} was not found on this server.`);
      const body = incoming.method === 'POST' || incoming.method === 'PATCH' ? await readJsonBody(incoming) : undefined;
      const segments = url.pathname.slice(dnsPrefix.length).split('/').map(decodeURIComponent);
      return dns.route({ method: incoming.method ?? 'GET', segments, query: url.searchParams, body, origin: `http://${incoming.headers.host ?? '127.0.0.1'}`, closed });
    }
    if (!url.pathname.startsWith(prefix)) throw new GceFailure(404, 'notFound', `The requested URL ${url.pathname} was not found on this server.`);
    bearer.check(incoming.headers.authorization);
    const [projectName, ...segments] = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
    if (projectName !== project) throw failures.notFound(`projects/${projectName ?? ''}`);
    const request: GceRequest = {
      method: incoming.method ?? 'GET',
      segments,
      query: url.searchParams,
      body: incoming.method === 'POST' || incoming.method === 'PATCH' ? await readJsonBody(incoming) : undefined,
      origin: `http://${incoming.headers.host ?? '127.0.0.1'}`,
      closed,
    };
    const routed = operationsRoute(context, waitHoldMs, request) ?? instances.route(request) ?? groups.route(request) ?? globals.route(request) ?? regional.route(request);
    if (routed === undefined) throw new GceFailure(404, 'notFound', `The requested URL ${url.pathname} was not found on this server.`);
    return routed;
  };

  const sockets = new Set<Socket>();
  const server = http.createServer((incoming: IncomingMessage, response: ServerResponse) => {
    let closed = false;
    response.once('close', () => {
      closed = true;
    });
    answer(incoming, () => closed)
      .catch((error: unknown) => {
        if (error instanceof GceFailure) return failureAnswer(error);
        return { status: 500, body: { error: { code: 500, message: 'Internal error.', errors: [{ message: 'Internal error.', domain: 'global', reason: 'backendError' }] } } };
      })
      .then((result) => {
        if (!closed) send(response, options.echoPageTokens ? echoingPageToken(incoming, result) : result);
      })
      .catch(() => incoming.socket.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const firstZone = zones[0] ?? `${region}-a`;

  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    project,
    region,
    zone: firstZone,
    accessToken: accessTokens[0] ?? '',
    forwardingRule: (name) => regional.peek('forwardingRules', name, `http://127.0.0.1:${port}`),
    instanceGroup: (name, zone = firstZone) => groups.peek(zone, name, `http://127.0.0.1:${port}`),
    backendService: (name) => regional.peek('backendServices', name, `http://127.0.0.1:${port}`),
    instance: (name, zone = firstZone) => instances.peek(zone, name, `http://127.0.0.1:${port}`),
    setInstanceQuota(quota) {
      instances.limits.instanceQuota = quota;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
