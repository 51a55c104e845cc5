/**
 * moto's server mode as a local EC2 (and more) for tests: `startMoto()` starts `moto_server`
 * from MOTO_SERVER on a free loopback port and resolves once it serves requests. Each call
 * starts a fresh, empty moto; stop() ends it. ec2FaultDialect() renders injected faults
 * the way EC2 answers them, for test/support/fault-proxy.ts.
 */
import { randomUUID } from 'node:crypto';
import type { CannedResponse, FaultDialect } from '../fault-proxy';
import { startPeerProcess, type PeerProcess } from '../peer-process';
import { freePort } from '../redis-server';

export interface RunningMoto {
  readonly url: string;
  /** What moto printed last, for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

/** A port picked free can be taken before moto binds it (other suites run alongside); try again then. */
const START_ATTEMPTS = 3;

export async function startMoto(options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<RunningMoto> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let peer: PeerProcess;
    try {
      peer = await startPeerProcess({
        name: 'moto',
        binaryEnv: 'MOTO_SERVER',
        args: ['-H', '127.0.0.1', '-p', String(port)],
        env: { PYTHONUNBUFFERED: '1', ...options.env },
        startupTimeoutMs: 60_000,
        ready: async () => (await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) })).status === 200,
      });
    } catch (error) {
      lastError = error;
      if (!process.env.MOTO_SERVER) throw error;
      continue;
    }
    return { url, output: () => peer.output(), stop: () => peer.stop() };
  }
  throw lastError instanceof Error ? lastError : new Error('moto did not start');
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
