/**
 * moto's server mode as a local EC2, Elastic Load Balancing v2 and Route 53 (all on one port) for
 * tests: `startMoto()` starts `moto_server` from MOTO_SERVER on a free loopback port and resolves
 * once it serves requests. Each call starts a fresh, empty moto; stop() ends it. ec2FaultDialect(),
 * elbFaultDialect() and route53FaultDialect() render injected faults the way each service answers
 * them, for test/support/fault-proxy.ts (one proxy speaks one dialect; isRoute53Request tells
 * Route 53's requests apart by path, while EC2 and ELB both POST to /).
 */
import { randomUUID } from 'node:crypto';
import type { CannedResponse, FaultDialect } from '../fault-proxy';
import { startPeerOnFreePort } from '../peer-process';

export interface RunningMoto {
  readonly url: string;
  /** What moto printed last, for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

export async function startMoto(options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<RunningMoto> {
  const { peer, port } = await startPeerOnFreePort((port) => ({
    name: 'moto',
    binaryEnv: 'MOTO_SERVER',
    args: ['-H', '127.0.0.1', '-p', String(port)],
    env: { PYTHONUNBUFFERED: '1', ...options.env },
    startupTimeoutMs: 60_000,
    ready: async () => (await fetch(`http://127.0.0.1:${port}/moto-api/`, { signal: AbortSignal.timeout(2_000) })).status === 200,
  }));
  return { url: `http://127.0.0.1:${port}`, output: () => peer.output(), stop: () => peer.stop() };
}

function ec2ErrorResponse(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): CannedResponse {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
  return { status, headers: { 'content-type': 'text/xml;charset=UTF-8', ...headers }, body };
}

/**
 * EC2's Query API answers throttling as HTTP 503 with the code RequestLimitExceeded (the AWS SDKs
 * report it as "Status Code: 503; Error Code: RequestLimitExceeded"), and its own failures as
 * 500 InternalError or 503 Unavailable; the injected server errors take turns between the two.
 * Real EC2 sends no Retry-After; the proxy adds one when the test asks, so the adapter's
 * honouring of the header is exercised.
 */
export function ec2FaultDialect(): FaultDialect {
  let serverErrors = 0;
  return {
    throttle: (retryAfterSeconds) =>
      ec2ErrorResponse(503, 'RequestLimitExceeded', 'Request limit exceeded.', retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
    serverError: () => {
      serverErrors += 1;
      return serverErrors % 2 === 1
        ? ec2ErrorResponse(503, 'Unavailable', 'The server is overloaded and cannot handle the request (injected by the fault proxy).')
        : ec2ErrorResponse(500, 'InternalError', 'An internal error has occurred (injected by the fault proxy).');
    },
  };
}

/** The Query-protocol error document ELB (and Route 53, namespaced) answers with. */
function errorResponseDocument(namespace: string, status: number, type: 'Sender' | 'Receiver', code: string, message: string, headers: Readonly<Record<string, string>>): CannedResponse {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml', ...headers }, body };
}

const retryAfterHeader = (retryAfterSeconds: number | undefined): Record<string, string> => (retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {});

/**
 * Elastic Load Balancing v2 answers throttling as HTTP 400 Throttling ("Rate exceeded"), and its
 * own failures as 500 InternalFailure or 503 ServiceUnavailable, which the injected server errors
 * take turns between. Like EC2 it sends no Retry-After; the proxy adds one when the test asks.
 */
export function elbFaultDialect(): FaultDialect {
  const namespace = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
  let serverErrors = 0;
  return {
    throttle: (retryAfterSeconds) => errorResponseDocument(namespace, 400, 'Sender', 'Throttling', 'Rate exceeded', retryAfterHeader(retryAfterSeconds)),
    serverError: () => {
      serverErrors += 1;
      return serverErrors % 2 === 1
        ? errorResponseDocument(namespace, 503, 'Receiver', 'ServiceUnavailable', 'Service unavailable (injected by the fault proxy).', {})
        : errorResponseDocument(namespace, 500, 'Receiver', 'InternalFailure', 'An internal error occurred (injected by the fault proxy).', {});
    },
  };
}

/**
 * Route 53 answers throttling as HTTP 400 with Throttling ("Rate exceeded"), or with
 * PriorRequestNotComplete while an earlier change is still being applied; the injected throttles
 * take turns between the two. Its own failures are 500 InternalFailure or 503 ServiceUnavailable.
 */
export function route53FaultDialect(): FaultDialect {
  const namespace = 'https://route53.amazonaws.com/doc/2013-04-01/';
  let throttles = 0;
  let serverErrors = 0;
  return {
    throttle: (retryAfterSeconds) => {
      throttles += 1;
      return throttles % 2 === 1
        ? errorResponseDocument(namespace, 400, 'Sender', 'Throttling', 'Rate exceeded', retryAfterHeader(retryAfterSeconds))
        : errorResponseDocument(namespace, 400, 'Sender', 'PriorRequestNotComplete', 'The request was rejected because Route 53 was still processing a prior request.', retryAfterHeader(retryAfterSeconds));
    },
    serverError: () => {
      serverErrors += 1;
      return serverErrors % 2 === 1
        ? errorResponseDocument(namespace, 503, 'Receiver', 'ServiceUnavailable', 'Service unavailable (injected by the fault proxy).', {})
        : errorResponseDocument(namespace, 500, 'Receiver', 'InternalFailure', 'An internal error occurred (injected by the fault proxy).', {});
    },
  };
}

/** Route 53's REST paths all start with its API version. */
export function isRoute53Request(_method: string, path: string): boolean {
  return path.startsWith('/2013-04-01/');
}
