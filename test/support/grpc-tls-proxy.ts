/**
 * A TLS-terminating gRPC proxy for tests, since `temporal server start-dev` serves plaintext only:
 * an HTTP/2 server with the test CA's server certificate on 127.0.0.1 that forwards every stream
 * to the plaintext dev server, trailers included. It can ask for a client certificate signed by
 * the CA (mTLS), and can require `authorization: Bearer <key>` (what the SDK sends for an API
 * key), answering UNAUTHENTICATED (grpc-status 16) otherwise, as Temporal Cloud does.
 */
import http2, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TestCa } from './test-ca';

export interface GrpcTlsProxyOptions {
  /** host:port of the plaintext gRPC server. */
  readonly upstream: string;
  readonly ca: TestCa;
  readonly requireClientCertificate?: boolean;
  readonly apiKey?: string;
}

export interface GrpcTlsProxy {
  /** 127.0.0.1:<port> */
  readonly address: string;
  /** The authorization header of every stream, as it came. */
  readonly authorizations: readonly string[];
  /** Streams refused for a missing or wrong API key. */
  readonly refused: () => number;
  stop(): Promise<void>;
}

/** Everything but HTTP/2's pseudo-headers. */
function plainHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':')));
}

export async function startGrpcTlsProxy(options: GrpcTlsProxyOptions): Promise<GrpcTlsProxy> {
  const upstream = http2.connect(`http://${options.upstream}`);
  upstream.on('error', () => undefined);
  const authorizations: string[] = [];
  let refused = 0;
  const server = http2.createSecureServer({
    key: options.ca.serverKey,
    cert: options.ca.serverCert,
    ca: options.ca.caCert,
    requestCert: options.requireClientCertificate === true,
    rejectUnauthorized: options.requireClientCertificate === true,
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const authorization = typeof headers.authorization === 'string' ? headers.authorization : '';
    authorizations.push(authorization);
    if (options.apiKey !== undefined && authorization !== `Bearer ${options.apiKey}`) {
      refused += 1;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'the API key is missing or wrong' }, { endStream: true });
      return;
    }
    const forwarded = upstream.request({ ':method': 'POST', ':path': String(headers[':path'] ?? '/'), ...plainHeaders(headers) });
    forwarded.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    let trailers: OutgoingHttpHeaders = {};
    forwarded.on('response', (response) => {
      if (!stream.closed) stream.respond({ ':status': Number(response[':status'] ?? 200), ...plainHeaders(response) }, { waitForTrailers: true });
    });
    forwarded.on('trailers', (received) => {
      trailers = plainHeaders(received);
    });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(forwarded);
    forwarded.pipe(stream);
  });
  server.on('tlsClientError', () => undefined);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    authorizations,
    refused: () => refused,
    async stop() {
      upstream.close();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
