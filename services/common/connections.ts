/**
 * How the worker and the API reach Temporal and Redis, securely when the environment says so.
 * Secrets come from files the settings name (a password or API key in the environment shows up
 * in `ps e`, crash dumps and CI logs), and no setting's secret ever reaches a log line or an
 * error message: errors name the setting to fix and the file, never what is in it.
 *
 * Temporal (services and the dev stack; the Temporal SDK's Connection and NativeConnection):
 *   TEMPORAL_TLS=1                         TLS, trusting the system's roots
 *   TEMPORAL_TLS_CA=<file>                 TLS, trusting this CA (PEM)
 *   TEMPORAL_TLS_CERT=<file>, TEMPORAL_TLS_KEY=<file>   mTLS: this client certificate and key (both or neither)
 *   TEMPORAL_TLS_SERVER_NAME=<name>        the name the server's certificate is checked against
 *   TEMPORAL_API_KEY_FILE=<file>           an API key, sent as `authorization: Bearer ...` (implies TLS)
 * Redis (ioredis):
 *   REDIS_URL=redis://host:port or rediss://host:port (TLS); a password in it is honoured but never shown
 *   REDIS_PASSWORD_FILE=<file>, REDIS_USERNAME=<name>   AUTH with this password (and ACL user)
 *   REDIS_TLS_CA=<file>                    TLS, trusting this CA (PEM); implies TLS for a redis:// URL
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSConfig } from '@temporalio/client';
import { Redis, type RedisOptions } from 'ioredis';

/** A setting that cannot be used; its message names the setting and what to do, never a secret. */
export class ConnectionSettingError extends Error {
  override readonly name = 'ConnectionSettingError';
}

function readSettingFile(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const path = env[name];
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConnectionSettingError(`${name}=${path} cannot be read (${code}); point ${name} at a readable file, or unset it`);
  }
}

/** A secret file's text without the trailing newline editors add. */
function readSecretFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const content = readSettingFile(env, name)?.toString('utf8').replace(/\r?\n$/, '');
  if (content === '') throw new ConnectionSettingError(`${name}=${env[name] ?? ''} is empty; put the secret in it, or unset ${name}`);
  return content;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new ConnectionSettingError(`${name}=${value} is not 1, true, 0 or false`);
}

export interface TemporalConnectionSettings {
  readonly address: string;
  /** Undefined: plaintext. */
  readonly tls?: TLSConfig;
  readonly apiKey?: string;
}

/** Connection options for the Temporal SDK's Connection.connect and NativeConnection.connect. */
export function temporalConnectionSettings(address: string, env: NodeJS.ProcessEnv = process.env): TemporalConnectionSettings {
  const ca = readSettingFile(env, 'TEMPORAL_TLS_CA');
  const crt = readSettingFile(env, 'TEMPORAL_TLS_CERT');
  const key = readSettingFile(env, 'TEMPORAL_TLS_KEY');
  if ((crt === undefined) !== (key === undefined)) {
    throw new ConnectionSettingError(`mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY; ${crt === undefined ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY'} is not set`);
  }
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const apiKey = readSecretFile(env, 'TEMPORAL_API_KEY_FILE');
  const wantsTls = flag(env, 'TEMPORAL_TLS') || ca !== undefined || crt !== undefined || serverName !== undefined || apiKey !== undefined;
  const tls: TLSConfig | undefined = wantsTls
    ? {
        ...(ca !== undefined ? { serverRootCACertificate: ca } : {}),
        ...(crt !== undefined && key !== undefined ? { clientCertPair: { crt, key } } : {}),
        ...(serverName !== undefined ? { serverNameOverride: serverName } : {}),
      }
    : undefined;
  return { address, ...(tls ? { tls } : {}), ...(apiKey !== undefined ? { apiKey } : {}) };
}

type TemporalFailure = 'untrusted-server' | 'client-certificate' | 'speaks-tls' | 'api-key' | 'unknown';

const HINTS: Readonly<Record<TemporalFailure, string>> = {
  'untrusted-server': "the server's certificate is not trusted: point TEMPORAL_TLS_CA at the CA that signed it (and set TEMPORAL_TLS_SERVER_NAME if it names another host)",
  'client-certificate': 'the server refused the client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY to a pair signed by a CA it trusts',
  'speaks-tls': 'the server speaks TLS: set TEMPORAL_TLS_CA (or TEMPORAL_TLS=1 for a certificate the system trusts)',
  'api-key': 'the server refused the request: put a valid API key in the file TEMPORAL_API_KEY_FILE names',
  unknown: 'check TEMPORAL_ADDRESS, TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, TEMPORAL_API_KEY_FILE',
};

/**
 * The SDK reports most TLS failures as a missed deadline, so a failed connect is followed by one
 * TLS handshake of our own to the same address: it tells an untrusted server certificate from a
 * refused client certificate, and a TLS server from a plaintext one.
 */
function probeTls(settings: TemporalConnectionSettings, timeoutMs = 2_000): Promise<TemporalFailure> {
  const [host = '127.0.0.1', portText = '7233'] = splitAddress(settings.address);
  const tlsSettings = settings.tls;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (kind: TemporalFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(kind);
    };
    const serverName = tlsSettings?.serverNameOverride ?? (isIP(host) === 0 ? host : undefined);
    const socket = tlsConnect({
      host,
      port: Number(portText),
      ALPNProtocols: ['h2'],
      ...(serverName !== undefined ? { servername: serverName } : {}),
      ...(tlsSettings?.serverRootCACertificate ? { ca: Buffer.from(tlsSettings.serverRootCACertificate) } : {}),
      ...(tlsSettings?.clientCertPair ? { cert: Buffer.from(tlsSettings.clientCertPair.crt), key: Buffer.from(tlsSettings.clientCertPair.key) } : {}),
      // Without TLS settings the probe only asks whether the server speaks TLS at all.
      rejectUnauthorized: tlsSettings !== undefined,
    });
    // A server that refuses a client certificate signed by a CA it does not know can leave the handshake hanging.
    const timer = setTimeout(() => finish(tlsSettings?.clientCertPair ? 'client-certificate' : 'unknown'), timeoutMs);
    let handshaken = false;
    socket.on('secureConnect', () => {
      handshaken = true;
      if (!tlsSettings) return finish('speaks-tls');
      // Under TLS 1.3 a server refuses a client certificate after the handshake: wait for its alert, or for it to hang up.
      socket.resume();
      setTimeout(() => finish('unknown'), 500);
    });
    socket.on('close', () => finish(handshaken && tlsSettings?.clientCertPair ? 'client-certificate' : 'unknown'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const text = `${error.code ?? ''} ${error.message}`;
      if (!tlsSettings) return finish(/EPROTO|wrong version|packet length/i.test(text) ? 'unknown' : 'speaks-tls');
      if (/certificate required|alert number 116|bad certificate|unknown ca|handshake failure|ECONNRESET/i.test(text)) return finish('client-certificate');
      if (/self[- ]signed|unable to verify|UNABLE_TO_VERIFY|CERT_|altname|certificate/i.test(text)) return finish('untrusted-server');
      finish('unknown');
    });
  });
}

/** The error's message and its causes', outermost first (the SDK wraps the server's answer). */
export function messagesOf(error: unknown): string[] {
  const messages: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    messages.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages;
}

function splitAddress(address: string): [string, string] {
  const index = address.lastIndexOf(':');
  return index < 0 ? [address, '7233'] : [address.slice(0, index).replace(/^\[|\]$/g, ''), address.slice(index + 1)];
}

/** What to check when Temporal cannot be reached with these settings, after the SDK's own words. */
export async function explainTemporalFailure(settings: TemporalConnectionSettings, error: unknown): Promise<ConnectionSettingError> {
  const raw = messagesOf(error).join(': ');
  const reason = scrub(raw, settings.apiKey);
  const kind: TemporalFailure = /UNAUTHENTICATED|PERMISSION_DENIED|Unauthorized|API key/i.test(raw) ? 'api-key' : await probeTls(settings);
  const mode = `${settings.tls ? 'TLS' : 'plaintext'}${settings.apiKey !== undefined ? ', API key' : ''}`;
  return new ConnectionSettingError(`cannot reach Temporal at ${settings.address} (${mode}): ${reason}; ${HINTS[kind]}`);
}

/**
 * Connects with the SDK's Connection.connect or NativeConnection.connect (passed in, so the API
 * need not load the worker package); a failure names the settings to check, never the API key.
 */
export async function connectTemporal<T>(settings: TemporalConnectionSettings, connect: (options: TemporalConnectionSettings) => Promise<T>): Promise<T> {
  try {
    return await connect(settings);
  } catch (error) {
    throw await explainTemporalFailure(settings, error);
  }
}

export interface RedisConnectionSettings {
  readonly url: string;
  readonly options: RedisOptions;
  /** The URL without any password, for logs and endpoints.json. */
  readonly display: string;
  /** Secrets to keep out of messages. */
  readonly secrets: readonly string[];
}

/** REDIS_URL without its password: what may be printed. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function redisConnectionSettings(url: string, env: NodeJS.ProcessEnv = process.env): RedisConnectionSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectionSettingError(`REDIS_URL=${redactRedisUrl(url)} is not a URL; use redis://host:port or rediss://host:port`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConnectionSettingError(`REDIS_URL=${redactRedisUrl(url)} must start with redis:// or rediss://`);
  const password = readSecretFile(env, 'REDIS_PASSWORD_FILE');
  const username = env.REDIS_USERNAME || undefined;
  const ca = readSettingFile(env, 'REDIS_TLS_CA');
  const wantsTls = parsed.protocol === 'rediss:' || ca !== undefined;
  const options: RedisOptions = {
    ...(password !== undefined ? { password } : {}),
    ...(username !== undefined ? { username } : {}),
    // SNI carries host names only (RFC 6066); an IP address is checked against the certificate's IP SANs without it.
    ...(wantsTls ? { tls: { ...(ca !== undefined ? { ca } : {}), ...(isIP(parsed.hostname) === 0 ? { servername: parsed.hostname } : {}) } } : {}),
  };
  const inUrl = parsed.password === '' ? [] : [decodeURIComponent(parsed.password)];
  return { url, options, display: redactRedisUrl(url), secrets: [...inUrl, ...(password !== undefined ? [password] : [])] };
}

function scrub(message: string, ...secrets: readonly (string | undefined)[]): string {
  let text = message;
  for (const secret of secrets) if (secret !== undefined && secret.length > 0) text = text.split(secret).join('***');
  return text;
}

type RedisFailure = 'credentials' | 'tls' | 'closed' | 'other';

function redisFailureOf(message: string): RedisFailure {
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password|without any password|no password is set/i.test(message)) return 'credentials';
  if (/certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number|unable to verify/i.test(message)) return 'tls';
  if (/ECONNRESET|socket hang up|Connection is closed/i.test(message)) return 'closed';
  return 'other';
}

/** Why a Redis connection failed, as a message naming the setting that fixes it. */
export function explainRedisFailure(settings: RedisConnectionSettings, error: unknown): ConnectionSettingError {
  const raw = error instanceof Error ? error.message : String(error);
  const reason = scrub(raw, ...settings.secrets);
  const tls = settings.options.tls !== undefined;
  const hints: Record<RedisFailure, string> = {
    credentials: 'Redis refused the credentials: put the password in the file REDIS_PASSWORD_FILE names (and set REDIS_USERNAME for an ACL user)',
    tls: tls ? 'the TLS handshake failed: point REDIS_TLS_CA at the CA that signed the Redis server certificate' : 'the server may speak TLS: use a rediss:// REDIS_URL or set REDIS_TLS_CA',
    closed: tls ? 'the server closed the connection: check REDIS_URL and REDIS_TLS_CA' : 'the server closed the connection; if it speaks TLS, use a rediss:// REDIS_URL or set REDIS_TLS_CA',
    other: 'check REDIS_URL, REDIS_TLS_CA and REDIS_PASSWORD_FILE',
  };
  return new ConnectionSettingError(`cannot use Redis at ${settings.display}: ${reason}; ${hints[redisFailureOf(raw)]}`);
}

/** A client for these settings; `extra` adds the caller's own options (retries and the like). */
export function createRedisClient(settings: RedisConnectionSettings, extra: RedisOptions = {}): Redis {
  return new Redis(settings.url, { ...settings.options, ...extra });
}

/**
 * Checks the settings with a PING on a client of its own (one attempt, within `timeoutMs`), then
 * gives a client with the caller's options. Settings Redis refuses (a password, TLS) fail at once
 * with a ConnectionSettingError naming the setting to fix; a Redis that is not up yet is left to
 * the client's reconnecting, and `onUnreachable` hears why.
 */
export async function connectRedis(settings: RedisConnectionSettings, extra: RedisOptions = {}, onUnreachable: (error: ConnectionSettingError) => void = () => undefined, timeoutMs = 5_000): Promise<Redis> {
  const probe = createRedisClient(settings, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  let lastError: unknown;
  probe.on('error', (error: unknown) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([probe.connect().then(() => probe.ping()), expired]);
  } catch (error) {
    // The connect's own refusal says most (a wrong password); a timeout says less than what the socket saw.
    const telling = error instanceof Error && !/no answer within|Connection is closed/.test(error.message);
    const cause = telling ? error : (lastError ?? error);
    const explained = explainRedisFailure(settings, cause);
    const kind = redisFailureOf(cause instanceof Error ? cause.message : String(cause));
    if (kind === 'credentials' || kind === 'tls' || (kind === 'closed' && settings.options.tls === undefined)) throw explained;
    onUnreachable(explained);
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
  return createRedisClient(settings, extra);
}
