/**
 * The Compute Engine clients of @google-cloud/compute in REST ("fallback") mode, built on the first
 * call (Application Default Credentials may need to look around first), and the one way the
 * adapter calls them: one attempt (SDK retries off; Temporal retries by the error's kind), a
 * timeout on every call, and every failure classified with its secrets scrubbed.
 */
import {
  FirewallsClient,
  ForwardingRulesClient,
  GlobalOperationsClient,
  InstanceGroupsClient,
  InstancesClient,
  NetworksClient,
  RegionBackendServicesClient,
  RegionHealthChecksClient,
  RegionOperationsClient,
  ZoneOperationsClient,
} from '@google-cloud/compute';
import type { AuthClient } from 'google-auth-library';
import { ProviderError } from '../types';
import { isAnswerTooLarge, recordWire, withWireRecord } from './wire-log';
import { MAX_RESPONSE_BYTES, responseTooLarge } from '../endpoints';
import { DNS_SERVICE_PATH, resolveAuth, secretsOf } from './auth';
import { DEADLINE_EXCEEDED, classifyGceError, createRedactor, type Redact } from './errors';
import { operationTimeoutOf, pageSizeOf, requestTimeoutOf, zoneOf, type GcpAdapterOptions } from './options';

export interface GceClients {
  readonly instances: InstancesClient;
  readonly networks: NetworksClient;
  readonly firewalls: FirewallsClient;
  readonly globalOperations: GlobalOperationsClient;
  readonly regionHealthChecks: RegionHealthChecksClient;
  readonly regionBackendServices: RegionBackendServicesClient;
  readonly forwardingRules: ForwardingRulesClient;
  readonly regionOperations: RegionOperationsClient;
  readonly instanceGroups: InstanceGroupsClient;
  readonly zoneOperations: ZoneOperationsClient;
}

/** One Cloud DNS v1 REST request: a path below /dns/v1/projects/{project}/. */
export interface DnsRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** Per-call options the SDK takes: its own retrying off, and a deadline. */
export interface CallSettings {
  readonly timeout: number;
  readonly retry: null;
}

interface Connected {
  readonly clients: GceClients;
  readonly project: string;
  readonly auth: AuthClient;
  /** scheme://host[:port]/dns/v1 */
  readonly dnsBase: string;
}

export interface Gce {
  readonly zone: string;
  readonly region: string;
  readonly pageSize: number;
  readonly timeoutMs: number;
  readonly operationTimeoutMs: number;
  readonly redact: Redact;
  project(): Promise<string>;
  /** One SDK call; any failure comes back as a classified ProviderError (a GceError when GCE answered). */
  call<T>(operation: string, send: (clients: GceClients, settings: CallSettings, project: string) => Promise<T>): Promise<T>;
  /**
   * One Cloud DNS v1 call over the same authenticated transport (@google-cloud/dns cannot be
   * pointed at a plain-http endpoint: it builds https://<apiEndpoint>/dns/v1 itself). The answer's
   * JSON body; a failure is classified exactly as a GCE one (Cloud DNS uses the same error envelope).
   */
  dns<T>(operation: string, request: DnsRequest): Promise<T>;
  close(): Promise<void>;
}

/** Past the SDK's own timeout, which normally fires first, by this much. */
const DEADLINE_MARGIN_MS = 1_000;

/**
 * The SDK bounds the HTTP request, but not what the auth client does before it (fetching or
 * refreshing a token), so each call also gets a deadline of its own.
 */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: DEADLINE_EXCEEDED })), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export function createGce(options: GcpAdapterOptions): Gce {
  const credentials = options.credentials?.();
  const redact = createRedactor(secretsOf(credentials));
  const timeoutMs = requestTimeoutOf(options);
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const settings: CallSettings = { timeout: timeoutMs, retry: null };
  let connecting: Promise<Connected> | undefined;

  const connect = async (): Promise<Connected> => {
    const auth = await resolveAuth(credentials);
    recordWire(auth.client, options.meter, maxResponseBytes);
    const dnsAuth = await resolveAuth(credentials, DNS_SERVICE_PATH);
    recordWire(dnsAuth.client, options.meter, maxResponseBytes);
    const endpoint = options.endpoint ? { apiEndpoint: options.endpoint.host, port: options.endpoint.port, protocol: options.endpoint.protocol } : {};
    const common = { fallback: true, authClient: auth.client, ...endpoint };
    const project = options.project ?? auth.projectId;
    if (project === undefined) {
      throw new ProviderError('invalid', `gcp: no project: set projectId in the credentials secret, or GOOGLE_CLOUD_PROJECT on the worker`);
    }
    const dnsBase = options.endpoint ? `${options.endpoint.protocol}://${options.endpoint.host}:${options.endpoint.port}/dns/v1` : 'https://dns.googleapis.com/dns/v1';
    return {
      project,
      auth: dnsAuth.client,
      dnsBase,
      clients: {
        instances: new InstancesClient(common),
        networks: new NetworksClient(common),
        firewalls: new FirewallsClient(common),
        globalOperations: new GlobalOperationsClient(common),
        regionHealthChecks: new RegionHealthChecksClient(common),
        regionBackendServices: new RegionBackendServicesClient(common),
        forwardingRules: new ForwardingRulesClient(common),
        regionOperations: new RegionOperationsClient(common),
        instanceGroups: new InstanceGroupsClient(common),
        zoneOperations: new ZoneOperationsClient(common),
      },
    };
  };

  const connected = (): Promise<Connected> => {
    if (!connecting) {
      connecting = connect();
      // A failed start (no credentials yet, say) is tried again by the next call.
      connecting.catch(() => {
        connecting = undefined;
      });
    }
    return connecting;
  };

  return {
    zone: zoneOf(options),
    region: options.region,
    pageSize: pageSizeOf(options),
    timeoutMs,
    operationTimeoutMs: operationTimeoutOf(options),
    redact,
    async project() {
      try {
        return (await connected()).project;
      } catch (error) {
        throw classifyGceError('connect', error, {}, timeoutMs, redact);
      }
    },
    call(operation, send) {
      return withWireRecord(async (wire) => {
        try {
          const { clients, project } = await connected();
          return await withDeadline(send(clients, settings, project), timeoutMs + DEADLINE_MARGIN_MS);
        } catch (error) {
          if (isAnswerTooLarge(error)) throw responseTooLarge('gcp', operation, maxResponseBytes);
        throw classifyGceError(operation, error, wire, timeoutMs, redact);
        }
      });
    },
    dns<T>(operation: string, request: DnsRequest) {
      return withWireRecord(async (wire) => {
        try {
          const { auth, dnsBase, project } = await connected();
          const query = request.query && Object.keys(request.query).length > 0 ? `?${new URLSearchParams(request.query).toString()}` : '';
          const url = `${dnsBase}/projects/${encodeURIComponent(project)}/${request.path}${query}`;
          const answer = auth.request<T>({
            url,
            method: request.method,
            ...(request.body !== undefined ? { data: request.body } : {}),
            timeout: timeoutMs,
            retry: false,
            // Every answer comes back; a failed one is turned into an error below, from what the wire record saw.
            validateStatus: () => true,
          });
          const response = await withDeadline(answer, timeoutMs + DEADLINE_MARGIN_MS);
          if (response.status >= 400) throw Object.assign(new Error(`Cloud DNS answered HTTP ${response.status}`), { httpStatusCode: response.status });
          return response.data;
        } catch (error) {
          if (isAnswerTooLarge(error)) throw responseTooLarge('gcp', operation, maxResponseBytes);
        throw classifyGceError(operation, error, wire, timeoutMs, redact);
        }
      });
    },
    async close() {
      const current = connecting;
      connecting = undefined;
      if (!current) return;
      const { clients } = await current.catch(() => ({ clients: undefined }));
      if (clients) await Promise.all(Object.values(clients).map((client: { close(): Promise<void> }) => client.close()));
    },
  };
}
