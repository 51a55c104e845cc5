/**
 * A local Azure Resource Manager for tests, since no public emulator of ARM exists. It speaks
 * HTTPS (the Azure SDK will not send a bearer token over plain http) and follows these public
 * references; their facts (paths, field names, status codes, error codes, state names) carry
 * over, no code does:
 *
 * - Azure Compute REST API, "Virtual Machines - Create Or Update / Get / Delete / List /
 *   List All" (the SDK in use, @azure/arm-compute 25.1, sends api-version 2026-04-01; the
 *   emulator accepts any api-version but requires one);
 * - Azure Virtual Network REST API, "Virtual Networks" and "Network Security Groups"
 *   (@azure/arm-network 39 sends 2026-01-01);
 * - Azure Load Balancer REST API, "Load Balancers - Create Or Update / Get / Delete / List
 *   All" (internal load balancers: frontends in a subnet, private IPs from its range);
 * - Azure Private DNS REST API, "Private Zones", "Record Sets" and "Virtual Network Links"
 *   (@azure/arm-privatedns 4 sends 2024-06-01): zones and links are global resources written
 *   by long-running operations, record sets are written synchronously;
 * - Azure Resource Manager REST API, "Resource Groups" and "Resources - List"
 *   (@azure/arm-resources 8 sends 2025-04-01), including their $filter rules;
 * - "Track asynchronous Azure operations": Azure-AsyncOperation and Location headers, the
 *   operation status resource with status InProgress / Succeeded / Failed;
 * - "Understand how Azure Resource Manager throttles requests": 429 with Retry-After and the
 *   x-ms-ratelimit-remaining-subscription-reads/writes headers;
 * - the Microsoft identity platform's client-credentials flow (see aad.ts).
 *
 * State lives in memory. Start it in-process with startAzureArmEmulator; it serves one
 * subscription and one service principal, both returned.
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { AadEmulator, type ServicePrincipal } from './aad';
import { ArmFailure, armError, failureAnswer, readArmRequest, writeAnswer, type ArmAnswer, type ArmRequest } from './arm-http';
import type { EmulatorBehaviour, ResourceKind } from './kinds';
import { loadBalancerKind } from './kind-load-balancer';
import { networkSecurityGroupKind, virtualNetworkKind } from './kind-network';
import { privateDnsLinkKind, privateDnsZoneKind } from './kind-private-dns';
import { virtualMachineKind } from './kind-virtual-machine';
import { operationResultsRoute, resourceGroupRoute, resourceGroupsRoute } from './routes-groups';
import { recordSetRoute } from './routes-record-sets';
import { tagsAtScopeRoute } from './routes-tags';
import { childCollectionRoute, collectionRoute, genericResourcesRoute, operationRoute, resourceRoute, type ResourceRoutesContext } from './routes-resources';
import { ArmState } from './state';
import { WriteBudget } from './write-budget';

export interface AzureArmEmulatorOptions {
  /** PEM key and certificate the HTTPS server presents (e.g. from test/support/test-ca.ts). */
  readonly tls: { readonly key: string; readonly cert: string };
  readonly subscriptionId?: string;
  readonly principal?: Partial<ServicePrincipal>;
  /** Items per list page before a nextLink (ARM's own pages hold up to 1000). */
  readonly pageSize?: number;
  /** An asynchronous operation finishes after this long... */
  readonly operationMs?: number;
  /** ...or once its status was read this many times. */
  readonly operationPolls?: number;
  /** Retry-After (seconds) on answers that start or report a running operation. */
  readonly pollRetryAfterSeconds?: number;
  readonly tokenLifetimeSeconds?: number;
  /** Writes (PUT, PATCH, DELETE, POST) allowed in a burst, refilled per second; unlimited when absent. */
  readonly writeBudget?: { readonly burst: number; readonly perSecond: number };
  readonly behaviour?: Partial<EmulatorBehaviour>;
  /** Builds nextLink, Azure-AsyncOperation and Location URLs on this origin instead of the request's: a hostile or misconfigured ARM. */
  readonly linkOrigin?: string;
  /** A faulty list: a page asked for with a $skiptoken answers with its own URL as nextLink, so a client following links would loop. */
  readonly echoNextLinks?: boolean;
}

/** For echoNextLinks: a later page whose nextLink is the URL it was asked with. */
function echoingNextLink(request: ArmRequest, result: ArmAnswer | ArmFailure): ArmAnswer | ArmFailure {
  if (result instanceof ArmFailure || !request.query.has('$skiptoken')) return result;
  const body = result.body;
  if (typeof body !== 'object' || body === null || !('nextLink' in body)) return result;
  const query = request.query.toString().replaceAll('%24', '$');
  return { ...result, body: { ...body, nextLink: `${request.origin}${request.path}?${query}` } };
}

export interface AzureArmEmulator {
  /** The ARM endpoint, e.g. https://127.0.0.1:PORT. */
  readonly url: string;
  /** The authority host for @azure/identity (the same server). */
  readonly authorityHost: string;
  readonly subscriptionId: string;
  readonly principal: ServicePrincipal;
  readonly state: ArmState;
  readonly aad: AadEmulator;
  /** Every request served (method and path), for tests that count calls. */
  readonly requests: { method: string; path: string }[];
  stop(): Promise<void>;
}

const KINDS: readonly ResourceKind[] = [virtualMachineKind, virtualNetworkKind, networkSecurityGroupKind, loadBalancerKind, privateDnsZoneKind];

function kindOf(namespace: string, type: string): ResourceKind | undefined {
  const wanted = `${namespace}/${type}`.toLowerCase();
  return KINDS.find((kind) => kind.type.toLowerCase() === wanted);
}

function noRoute(request: ArmRequest): ArmFailure {
  return armError(404, 'InvalidResourceType', `The resource type could not be found for ${request.method} ${request.path}.`);
}

/** Routes /subscriptions/{s}/... once the caller is authenticated and the subscription known. */
function route(request: ArmRequest, context: ResourceRoutesContext, segments: readonly string[]): ArmAnswer | ArmFailure {
  const at = (index: number): string => segments[index] ?? '';
  const is = (index: number, literal: string): boolean => at(index).toLowerCase() === literal;
  const length = segments.length;
  if (length >= 8 && is(length - 4, 'providers') && is(length - 3, 'microsoft.resources') && is(length - 2, 'tags') && is(length - 1, 'default')) {
    return tagsAtScopeRoute(request, context, segments.slice(0, length - 4));
  }
  if (is(2, 'resourcegroups')) {
    if (length === 3) return resourceGroupsRoute(request, context);
    if (length === 4) return resourceGroupRoute(request, context, at(3));
    if (length === 5 && is(4, 'resources')) return genericResourcesRoute(request, context, at(3));
    const kind = is(4, 'providers') ? kindOf(at(5), at(6)) : undefined;
    if (kind && length === 7) return collectionRoute(request, context, kind, at(3));
    if (kind && length === 8) return resourceRoute(request, context, kind, at(3), at(7));
    if (kind === privateDnsZoneKind && length >= 9) {
      // Children of a zone: .../privateDnsZones/{zone}/virtualNetworkLinks[/{link}] and .../{recordType}/{name}.
      if (is(8, 'virtualnetworklinks')) return length === 9 ? childCollectionRoute(request, context, privateDnsLinkKind, at(3), at(7)) : length === 10 ? resourceRoute(request, context, privateDnsLinkKind, at(3), at(9), at(7)) : noRoute(request);
      if (length === 10) return recordSetRoute(request, context, at(3), at(7), at(8), at(9));
    }
    return noRoute(request);
  }
  if (is(2, 'resources') && length === 3) return genericResourcesRoute(request, context, undefined);
  if (is(2, 'operationresults') && length === 4) return operationResultsRoute(request, context, at(3));
  if (is(2, 'providers') && length === 8 && is(4, 'locations') && is(6, 'operations')) return operationRoute(request, context, at(7));
  const kind = is(2, 'providers') && length === 5 ? kindOf(at(3), at(4)) : undefined;
  return kind ? collectionRoute(request, context, kind, undefined) : noRoute(request);
}

export async function startAzureArmEmulator(options: AzureArmEmulatorOptions): Promise<AzureArmEmulator> {
  const subscriptionId = options.subscriptionId ?? randomUUID();
  const principal: ServicePrincipal = {
    tenantId: options.principal?.tenantId ?? randomUUID(),
    clientId: options.principal?.clientId ?? randomUUID(),
    clientSecret: options.principal?.clientSecret ?? `emu~${randomUUID()}${randomUUID()}`.replaceAll('-', ''),
  };
  const state = new ArmState(subscriptionId, { operationMs: options.operationMs ?? 1_500, operationPolls: options.operationPolls ?? 3 });
  const aad = new AadEmulator(principal, options.tokenLifetimeSeconds ?? 3_600);
  const budget = options.writeBudget ? new WriteBudget(options.writeBudget.burst, options.writeBudget.perSecond) : undefined;
  const context: ResourceRoutesContext = {
    state,
    pageSize: options.pageSize ?? 100,
    pollRetryAfterSeconds: options.pollRetryAfterSeconds ?? 1,
    behaviour: {
      vmQuota: options.behaviour?.vmQuota ?? Number.POSITIVE_INFINITY,
      unavailableSizes: options.behaviour?.unavailableSizes ?? [],
      allocationFailureSizes: options.behaviour?.allocationFailureSizes ?? [],
    },
  };
  const requests: { method: string; path: string }[] = [];
  let origin = '';

  const answer = (request: ArmRequest, authorization: string | undefined): ArmAnswer | ArmFailure => {
    state.settle();
    const identity = aad.handle(request);
    if (identity) return identity;
    const unauthenticated = aad.checkBearer(request.origin, authorization);
    if (unauthenticated) return unauthenticated;
    if (!request.query.get('api-version')) return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    const segments = request.path.split('/').filter((segment) => segment !== '').map((segment) => decodeURIComponent(segment));
    if (segments[0]?.toLowerCase() !== 'subscriptions' || segments.length < 3) return noRoute(request);
    if (segments[1]?.toLowerCase() !== subscriptionId.toLowerCase()) return armError(404, 'SubscriptionNotFound', `The subscription '${segments[1] ?? ''}' could not be found.`);
    if (budget && request.method !== 'GET' && request.method !== 'HEAD') {
      const waitSeconds = budget.take();
      if (waitSeconds !== undefined) {
        return new ArmFailure(429, 'SubscriptionRequestsThrottled', `The number of write requests for subscription '${subscriptionId}' exceeded its limit. Try again after ${waitSeconds} seconds.`, undefined, {
          'retry-after': String(waitSeconds),
          'x-ms-ratelimit-remaining-subscription-writes': '0',
        });
      }
    }
    const routed = route(options.linkOrigin ? { ...request, origin: options.linkOrigin } : request, context, segments);
    return options.echoNextLinks ? echoingNextLink(request, routed) : routed;
  };

  const server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (incoming, response) => {
    readArmRequest(incoming, origin)
      .then((request) => {
        const result = request instanceof ArmFailure ? request : answer(request, incoming.headers.authorization);
        if (!(request instanceof ArmFailure)) requests.push({ method: request.method, path: request.path });
        const remaining = { reads: 11_999, writes: budget?.remaining() ?? 1_199 };
        writeAnswer(response, result instanceof ArmFailure ? failureAnswer(result) : result, remaining, incoming.method ?? 'GET');
      })
      .catch((error: unknown) => {
        const failure = armError(500, 'InternalServerError', `The emulator failed: ${error instanceof Error ? error.message : String(error)}`);
        writeAnswer(response, failureAnswer(failure), { reads: 0, writes: 0 }, 'GET');
      });
  });
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `https://127.0.0.1:${port}`;

  return {
    url: origin,
    authorityHost: origin,
    subscriptionId,
    principal,
    state,
    aad,
    requests,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
