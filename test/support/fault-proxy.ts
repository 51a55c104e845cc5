/**
 * A fault-injecting HTTP(S) proxy for the provider contract suite. It sits between an
 * adapter and its cloud's emulator and, per request, either forwards it or injects a fault:
 * throttling and 5xx in the cloud's own error shape (its dialect), a connection reset before
 * or after the upstream handled the request (the second one loses a result the cloud has
 * already acted on), a slow answer, or no answer at all (a timeout). Faults come from a
 * script (the next N requests) or at random at configured rates from a seeded generator,
 * so a failing run can be repeated. Loopback only.
 */
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { readonly kind: 'throttle'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'serverError' }
  | { readonly kind: 'resetBefore' }
  | { readonly kind: 'resetAfter' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'timeout' };

export type FaultKind = Fault['kind'];

export interface CannedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

/** How one cloud says "slow down" and "something broke on our side". */
export interface FaultDialect {
  throttle(retryAfterSeconds: number | undefined): CannedResponse;
  serverError(): CannedResponse;
}

export const JSON_DIALECT: FaultDialect = {
  throttle: (retryAfterSeconds) => ({
    status: 429,
    headers: { 'content-type': 'application/json', ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}) },
    body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'Rate limit exceeded (injected by the fault proxy).' } }),
  }),
  serverError: () => ({
    status: 503,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'The service is unavailable (injected by the fault proxy).' } }),
  }),
};

export interface FaultRates {
  readonly throttle?: number;
  readonly serverError?: number;
  readonly resetBefore?: number;
  readonly resetAfter?: number;
  readonly slow?: number;
}

export interface FaultProxyOptions {
  /** Where requests go: the emulator's base URL (http or https). */
  readonly upstream: string;
  readonly dialect?: FaultDialect;
  /** Serve HTTPS with this key and certificate (PEM); plain HTTP when absent. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** CA for an https upstream; without it the upstream's certificate is not checked (loopback emulators only). */
  readonly upstreamCa?: string;
  /** Which requests may be faulted; all by default. */
  readonly faultable?: (method: string, path: string) => boolean;
  readonly seed?: number;
  /** How long a 'slow' random fault delays; 'timeout' holds the request until the client gives up. */
  readonly slowMs?: number;
  /** The Retry-After a random throttle sends. */
  readonly retryAfterSeconds?: number;
  /** Forward one request at a time, for an emulator that cannot take concurrent ones (vcsim). */
  readonly oneAtATime?: boolean;
}

export interface FaultProxy {
  readonly url: string;
  /** The next faultable requests get these faults, in order, before any random ones. */
  script(faults: readonly Fault[]): void;
  setRates(rates: FaultRates): void;
  readonly stats: { requests: number; injected: Record<FaultKind, number> };
  stop(): Promise<void>;
}

/** mulberry32: a small seeded generator, so a random fault sequence can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOLD_LIMIT_MS = 120_000;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const dialect = options.dialect ?? JSON_DIALECT;
  const random = seededRandom(options.seed ?? 1);
  const scripted: Fault[] = [];
  let rates: FaultRates = {};
  const sockets = new Set<Socket>();
  const stats = { requests: 0, injected: { throttle: 0, serverError: 0, resetBefore: 0, resetAfter: 0, slow: 0, timeout: 0 } as Record<FaultKind, number> };

  const pickFault = (method: string, path: string): Fault | undefined => {
    if (options.faultable && !options.faultable(method, path)) return undefined;
    const next = scripted.shift();
    if (next) return next;
    let roll = random();
    const order: [keyof FaultRates, () => Fault][] = [
      ['throttle', () => ({ kind: 'throttle', retryAfterSeconds: options.retryAfterSeconds ?? 1 })],
      ['serverError', () => ({ kind: 'serverError' })],
      ['resetBefore', () => ({ kind: 'resetBefore' })],
      ['resetAfter', () => ({ kind: 'resetAfter' })],
      ['slow', () => ({ kind: 'slow', delayMs: options.slowMs ?? 300 })],
    ];
    for (const [kind, make] of order) {
      const rate = rates[kind] ?? 0;
      if (roll < rate) return make();
      roll -= rate;
    }
    return undefined;
  };

  const forward = (request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const transport = upstream.protocol === 'https:' ? https : http;
      const outgoing = transport.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, 'content-length': String(body.length) },
          ...(upstream.protocol === 'https:' ? (options.upstreamCa ? { ca: options.upstreamCa } : { rejectUnauthorized: false }) : {}),
        },
        (answer) => {
          readBody(answer).then((answerBody) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: answerBody }), reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  let previous: Promise<unknown> = Promise.resolve();
  const forwardInTurn = (request: IncomingMessage, body: Buffer): ReturnType<typeof forward> => {
    if (!options.oneAtATime) return forward(request, body);
    const answer = previous.then(() => forward(request, body));
    previous = answer.catch(() => undefined);
    return answer;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    stats.requests += 1;
    const body = await readBody(request);
    const fault = pickFault(request.method ?? 'GET', request.url ?? '/');
    if (fault) stats.injected[fault.kind] += 1;
    const send = (canned: CannedResponse): void => {
      response.writeHead(canned.status, { ...canned.headers, 'content-length': String(Buffer.byteLength(canned.body)) });
      response.end(canned.body);
    };
    switch (fault?.kind) {
      case 'throttle':
        return send(dialect.throttle(fault.retryAfterSeconds));
      case 'serverError':
        return send(dialect.serverError());
      case 'resetBefore':
        request.socket.destroy();
        return;
      case 'timeout': {
        const timer = setTimeout(() => request.socket.destroy(), HOLD_LIMIT_MS);
        request.socket.once('close', () => clearTimeout(timer));
        return;
      }
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        break;
      default:
        break;
    }
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forwardInTurn(request, body);
    } catch {
      if (!response.headersSent) send({ status: 502, body: 'fault proxy: the emulator did not answer' });
      return;
    }
    if (fault?.kind === 'resetAfter') {
      request.socket.destroy();
      return;
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    response.writeHead(answer.status, headers);
    response.end(answer.body);
  };

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch(() => request.socket.destroy());
  };
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener) : http.createServer(listener);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    script(faults) {
      scripted.push(...faults);
    },
    setRates(next) {
      rates = next;
    },
    stats,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads a PEM pair from disk for a TLS proxy. */
export async function readTlsPair(keyPath: string, certPath: string): Promise<{ key: string; cert: string }> {
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
}
