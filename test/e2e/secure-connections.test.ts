/**
 * TLS and credentials to Redis and Temporal, as the worker, the API and the dev stack read them
 * (services/common/connections.ts), against real peers: a redis-server serving only TLS with a
 * password, and the Temporal dev server behind a TLS-terminating gRPC proxy (the dev server has no
 * TLS of its own) that asks for a client certificate or an API key. Each connects only with the
 * right CA and secret; without them the error names the setting to fix and holds no secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../services/common/config';
import { ConnectionSettingError, connectRedis, connectTemporal, redactRedisUrl, redisConnectionSettings, temporalConnectionSettings } from '../../services/common/connections';
import { startGrpcTlsProxy, type GrpcTlsProxy } from '../support/grpc-tls-proxy';
import { freePort } from '../support/redis-server';
import { createClientCertificate, createTestCa, type ClientCertificate, type TestCa } from '../support/test-ca';

const PASSWORD = 'redis-pw-3f9c1d7e5a2b4c6d';
const API_KEY = 'temporal-key-8b2e4f6a1c3d5e7f';

async function failureOf(work: Promise<unknown>): Promise<ConnectionSettingError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectionSettingError);
  return error as ConnectionSettingError;
}

describe('Redis over TLS with a password', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let server: ChildProcess;
  let port: number;
  let passwordFile: string;
  let wrongPasswordFile: string;

  /** The settings a worker or the API builds from this environment. */
  const settingsFrom = (env: NodeJS.ProcessEnv) => redisConnectionSettings(loadConfig(env).redisUrl, env);
  const connect = async (env: NodeJS.ProcessEnv) => {
    const redis = await connectRedis(settingsFrom(env), { maxRetriesPerRequest: 0 }, (unreachable) => {
      throw unreachable;
    }, 3_000);
    try {
      await redis.set('secure:probe', 'ok');
      return await redis.get('secure:probe');
    } finally {
      redis.disconnect();
    }
  };

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createTestCa(), createTestCa()]);
    passwordFile = join(ca.dir, 'redis-password');
    wrongPasswordFile = join(ca.dir, 'redis-wrong-password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    await writeFile(wrongPasswordFile, 'not-the-password-1234\n', { mode: 0o600 });
    port = await freePort();
    server = spawn(
      process.env.REDIS_SERVER ?? 'redis-server',
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', ca.serverCertPath, '--tls-key-file', ca.serverKeyPath, '--tls-ca-cert-file', ca.caCertPath, '--tls-auth-clients', 'no', '--requirepass', PASSWORD, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const env = { REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA: ca.caCertPath, REDIS_PASSWORD_FILE: passwordFile };
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await connect(env);
        break;
      } catch (error) {
        if (Date.now() > deadline || server.exitCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    for (const dir of [ca?.dir, otherCa?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('connects with the CA and the password file, through rediss:// or REDIS_TLS_CA on a redis:// URL', async () => {
    expect(await connect({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA: ca.caCertPath, REDIS_PASSWORD_FILE: passwordFile })).toBe('ok');
    expect(await connect({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TLS_CA: ca.caCertPath, REDIS_PASSWORD_FILE: passwordFile })).toBe('ok');
  });

  it.each([
    ['no CA', { REDIS_URL: 'rediss://127.0.0.1:PORT', REDIS_PASSWORD_FILE: 'PW' }, /REDIS_TLS_CA/],
    ['another CA', { REDIS_URL: 'rediss://127.0.0.1:PORT', REDIS_TLS_CA: 'OTHER_CA', REDIS_PASSWORD_FILE: 'PW' }, /REDIS_TLS_CA/],
    ['plaintext to the TLS port', { REDIS_URL: 'redis://127.0.0.1:PORT', REDIS_PASSWORD_FILE: 'PW' }, /rediss:\/\/ REDIS_URL or set REDIS_TLS_CA/],
    ['no password', { REDIS_URL: 'rediss://127.0.0.1:PORT', REDIS_TLS_CA: 'CA' }, /REDIS_PASSWORD_FILE/],
    ['a wrong password', { REDIS_URL: 'rediss://127.0.0.1:PORT', REDIS_TLS_CA: 'CA', REDIS_PASSWORD_FILE: 'WRONG_PW' }, /REDIS_PASSWORD_FILE/],
    ['a wrong password in the URL', { REDIS_URL: 'rediss://:not-the-password-1234@127.0.0.1:PORT', REDIS_TLS_CA: 'CA' }, /REDIS_PASSWORD_FILE/],
  ])('refuses %s with a message naming the setting and no secret', async (_case, template, names) => {
    const values: Record<string, string> = { PORT: String(port), PW: passwordFile, WRONG_PW: wrongPasswordFile, CA: ca.caCertPath, OTHER_CA: otherCa.caCertPath };
    const env = Object.fromEntries(Object.entries(template).map(([key, value]) => [key, value.replace(/PORT|OTHER_CA|WRONG_PW|PW|CA/g, (token) => values[token] ?? token)]));
    const error = await failureOf(connectRedis(settingsFrom(env), {}, () => undefined, 3_000));
    expect(error.message).toMatch(names);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('not-the-password-1234');
  });

  it('a password in REDIS_URL works and is never shown', async () => {
    const url = `rediss://:${PASSWORD}@127.0.0.1:${port}`;
    expect(await connect({ REDIS_URL: url, REDIS_TLS_CA: ca.caCertPath })).toBe('ok');
    expect(redactRedisUrl(url)).toBe(`rediss://:***@127.0.0.1:${port}`);
    expect(settingsFrom({ REDIS_URL: url }).display).not.toContain(PASSWORD);
  });

  it('names a settings file it cannot read, without reading anything else', () => {
    expect(() => settingsFrom({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_PASSWORD_FILE: join(ca.dir, 'missing') })).toThrow(/REDIS_PASSWORD_FILE=.*missing cannot be read \(ENOENT\)/);
  });
});

describe('Temporal over TLS: mTLS and an API key, through a TLS-terminating proxy before the dev server', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let client: ClientCertificate;
  let stranger: ClientCertificate;
  let mtls: GrpcTlsProxy;
  let keyed: GrpcTlsProxy;
  let keyFile: string;
  let wrongKeyFile: string;

  const systemInfo = async (env: NodeJS.ProcessEnv, address: string): Promise<string> => {
    const connection = await connectTemporal(temporalConnectionSettings(address, env), (options) => Connection.connect({ ...options, connectTimeout: 3_000 }));
    try {
      const info = await new Client({ connection }).workflowService.getSystemInfo({});
      return info.serverVersion ?? '';
    } finally {
      await connection.close();
    }
  };

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createTestCa(), createTestCa()]);
    client = await createClientCertificate(ca, 'worker');
    stranger = await createClientCertificate(otherCa, 'stranger');
    keyFile = join(ca.dir, 'temporal-api-key');
    wrongKeyFile = join(ca.dir, 'temporal-wrong-key');
    await writeFile(keyFile, `${API_KEY}\n`, { mode: 0o600 });
    await writeFile(wrongKeyFile, 'wrong-key-0000\n', { mode: 0o600 });
    mtls = await startGrpcTlsProxy({ upstream: inject('temporalAddress'), ca, requireClientCertificate: true });
    keyed = await startGrpcTlsProxy({ upstream: inject('temporalAddress'), ca, apiKey: API_KEY });
  });
  afterAll(async () => {
    await mtls?.stop();
    await keyed?.stop();
    for (const dir of [ca?.dir, otherCa?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the API and CLI-side client (Connection) and the worker (NativeConnection) connect with mTLS', async () => {
    const env = { TEMPORAL_TLS_CA: ca.caCertPath, TEMPORAL_TLS_CERT: client.certPath, TEMPORAL_TLS_KEY: client.keyPath };
    expect(await systemInfo(env, mtls.address)).toMatch(/\d/);
    const native = await connectTemporal(temporalConnectionSettings(mtls.address, env), (options) => NativeConnection.connect(options));
    try {
      expect((await native.workflowService.getSystemInfo({})).serverVersion).toMatch(/\d/);
    } finally {
      await native.close();
    }
  });

  it.each([
    ['no client certificate', { TEMPORAL_TLS_CA: 'CA' }, /refused the client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/],
    ['a certificate of another CA', { TEMPORAL_TLS_CA: 'CA', TEMPORAL_TLS_CERT: 'STRANGER_CRT', TEMPORAL_TLS_KEY: 'STRANGER_KEY' }, /refused the client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/],
    ['no CA for the server', { TEMPORAL_TLS_CERT: 'CRT', TEMPORAL_TLS_KEY: 'KEY' }, /not trusted: point TEMPORAL_TLS_CA/],
    ['plaintext', {}, /speaks TLS: set TEMPORAL_TLS_CA/],
  ])('refuses mTLS with %s, naming the settings', async (_case, template, names) => {
    const values: Record<string, string> = { CA: ca.caCertPath, CRT: client.certPath, KEY: client.keyPath, STRANGER_CRT: stranger.certPath, STRANGER_KEY: stranger.keyPath };
    const env = Object.fromEntries(Object.entries(template).map(([key, value]) => [key, values[value] ?? value]));
    const error = await failureOf(systemInfo(env, mtls.address));
    expect(error.message).toMatch(names);
    expect(error.message).toContain(mtls.address);
  });

  it('sends the API key from TEMPORAL_API_KEY_FILE as authorization: Bearer over TLS; without it or with another the server refuses, and no key is shown', async () => {
    expect(await systemInfo({ TEMPORAL_TLS_CA: ca.caCertPath, TEMPORAL_API_KEY_FILE: keyFile }, keyed.address)).toMatch(/\d/);
    expect(keyed.authorizations).toContain(`Bearer ${API_KEY}`);
    const refusedBefore = keyed.refused();
    for (const env of [{ TEMPORAL_TLS_CA: ca.caCertPath }, { TEMPORAL_TLS_CA: ca.caCertPath, TEMPORAL_API_KEY_FILE: wrongKeyFile }]) {
      const error = await failureOf(systemInfo(env, keyed.address));
      expect(error.message).toMatch(/valid API key in the file TEMPORAL_API_KEY_FILE/);
      expect(error.message).not.toContain(API_KEY);
      expect(error.message).not.toContain('wrong-key-0000');
    }
    expect(keyed.refused()).toBeGreaterThan(refusedBefore);
    // Half an mTLS pair is refused before any connection.
    expect(() => temporalConnectionSettings(keyed.address, { TEMPORAL_TLS_CERT: client.certPath })).toThrow(/needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
  });
});
