/**
 * The one HTTP(S) exchange both vCenter APIs (SOAP at /sdk, REST at /rest) go through: one
 * attempt, a deadline on the whole exchange, keep-alive connections, and an optional private CA
 * (vCenter's own VMCA). The endpoint must be https (unless SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1), and
 * an answer larger than MAX_RESPONSE_BYTES is cut off; every path is ours, on the one base URL. A failure without an HTTP answer comes out as a retryable ProviderError
 * that names the operation only: never a header or a body, which may hold a password or session.
 */
import http from 'node:http';
import { UNMETERED, type ApiClass, type CallMeter } from '../rate-limit';
import https from 'node:https';
import { MAX_RESPONSE_BYTES, requireSecureEndpoint, responseTooLarge } from '../endpoints';
import { connectionFailure } from '../http-errors';
import { ProviderError } from '../types';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequest {
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpAnswer>;
  close(): void;
}

const CLOUD = 'vsphere';

/** Node's codes for a certificate it does not trust: no retry will change that, a person must. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export interface TransportLimits {
  /** Lets the endpoint be plain http: SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1, for emulators only. */
  readonly allowInsecureEndpoints?: boolean;
  readonly maxResponseBytes?: number;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

/** SOAP and REST both POST reads; what changes the inventory is a *_Task, a create, or a REST delete or attach. */
function apiClassOf(request: HttpRequest): ApiClass {
  if (request.method === 'GET') return 'describe';
  if (request.method !== 'POST') return 'mutate';
  return /_Task>|<CreateFolder|~action=(attach|detach|create)|\/(category|tag)$/.test(`${request.path} ${request.body ?? ''}`) ? 'mutate' : 'describe';
}

export function createHttpTransport(endpoint: string, timeoutMs: number, caCertificate: string | undefined, limits: TransportLimits = {}): HttpTransport {
  const base = new URL(endpoint);
  requireSecureEndpoint(CLOUD, 'the vCenter address', base, limits.allowInsecureEndpoints ?? false);
  const maxBytes = limits.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, ...(caCertificate ? { ca: caCertificate } : {}) }) : new http.Agent({ keepAlive: true });
  const basePath = base.pathname.replace(/\/+$/, '');

  const exchange = (request: HttpRequest): Promise<HttpAnswer> =>
    new Promise((resolve, reject) => {
      const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
      const outgoing = (secure ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          method: request.method,
          path: `${basePath}${request.path}`,
          agent,
          headers: { ...request.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          signal: AbortSignal.timeout(timeoutMs),
        },
        (answer) => {
          const chunks: Buffer[] = [];
          let total = 0;
          answer.on('data', (chunk: Buffer) => {
            total += chunk.length;
            if (total > maxBytes) {
              answer.destroy();
              reject(responseTooLarge(CLOUD, request.operation, maxBytes));
              return;
            }
            chunks.push(chunk);
          });
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks).toString('utf8') }));
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  return {
    async send(request) {
      await (limits.meter ?? UNMETERED)(apiClassOf(request));
      try {
        return await exchange(request);
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        const code = errorCode(error);
        if (code !== undefined && UNTRUSTED_CERTIFICATE.has(code)) {
          throw new ProviderError(
            'invalid',
            `${CLOUD} ${request.operation}: vCenter's TLS certificate is not trusted (${code}); put the CA that signed it in the credentials secret's caCertificate field, or in NODE_EXTRA_CA_CERTS on the worker`,
            { operation: request.operation },
          );
        }
        throw connectionFailure(CLOUD, request.operation, error, timeoutMs);
      }
    },
    close() {
      agent.destroy();
    },
  };
}

export function headerOf(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
