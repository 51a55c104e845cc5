/** Reading the Temporal and Redis connection settings (services/common/connections.ts): what each environment gives, and what it refuses. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSettingError, redactRedisUrl, redisConnectionSettings, temporalConnectionSettings } from '../../services/common/connections';

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-connections-'));
  await writeFile(file('ca.pem'), 'CA PEM');
  await writeFile(file('key'), 'the-api-key-5f1a\n');
  await writeFile(file('empty'), '\n');
  await writeFile(file('password'), 'pw-0b9c\r\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('temporalConnectionSettings', () => {
  it.each([
    ['nothing set: plaintext', {}, { tls: undefined, apiKey: undefined }],
    ['TEMPORAL_TLS=1: TLS with the system roots', { TEMPORAL_TLS: '1' }, { tls: {}, apiKey: undefined }],
    ['an API key file: the key, trailing newline dropped, and TLS', { TEMPORAL_API_KEY_FILE: 'key' }, { tls: {}, apiKey: 'the-api-key-5f1a' }],
    ['a server name: TLS checked against it', { TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }, { tls: { serverNameOverride: 'temporal.internal' }, apiKey: undefined }],
  ])('%s', (_case, env, expected) => {
    const settings = temporalConnectionSettings('t:7233', Object.fromEntries(Object.entries(env).map(([key, value]) => [key, key.endsWith('_FILE') ? file(value) : value])));
    expect(settings.tls).toEqual(expected.tls);
    expect(settings.apiKey).toBe(expected.apiKey);
  });

  it('reads the CA and the client pair from their files', () => {
    const settings = temporalConnectionSettings('t:7233', { TEMPORAL_TLS_CA: file('ca.pem'), TEMPORAL_TLS_CERT: file('ca.pem'), TEMPORAL_TLS_KEY: file('key') });
    expect(settings.tls?.serverRootCACertificate?.toString()).toBe('CA PEM');
    expect(settings.tls?.clientCertPair?.key.toString()).toBe('the-api-key-5f1a\n');
  });

  it.each([
    ['an empty key file', { TEMPORAL_API_KEY_FILE: '@empty' }, /TEMPORAL_API_KEY_FILE=.* is empty/],
    ['a missing CA file', { TEMPORAL_TLS_CA: '@nope' }, /TEMPORAL_TLS_CA=.*nope cannot be read \(ENOENT\)/],
    ['half an mTLS pair', { TEMPORAL_TLS_KEY: '@key' }, /needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY; TEMPORAL_TLS_CERT is not set/],
    ['a flag that is not one', { TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS=yes is not 1, true, 0 or false/],
  ])('refuses %s, naming the setting', (_case, template, message) => {
    const env = Object.fromEntries(Object.entries(template).map(([key, value]) => [key, value.startsWith('@') ? file(value.slice(1)) : value]));
    expect(() => temporalConnectionSettings('t:7233', env)).toThrow(ConnectionSettingError);
    expect(() => temporalConnectionSettings('t:7233', env)).toThrow(message);
  });
});

describe('redisConnectionSettings', () => {
  it.each([
    ['redis://: plaintext, no AUTH', 'redis://127.0.0.1:6390', {}, { tls: undefined, password: undefined }],
    ['rediss:// by IP: TLS without SNI', 'rediss://127.0.0.1:6390', {}, { tls: {}, password: undefined }],
    ['rediss:// by name: TLS with SNI', 'rediss://redis.internal:6390', {}, { tls: { servername: 'redis.internal' }, password: undefined }],
    ['REDIS_TLS_CA on redis://: TLS with the CA', 'redis://127.0.0.1:6390', { REDIS_TLS_CA: 'ca.pem' }, { tls: { ca: Buffer.from('CA PEM') }, password: undefined }],
    ['a password file: its text, CRLF dropped', 'redis://127.0.0.1:6390', { REDIS_PASSWORD_FILE: 'password' }, { tls: undefined, password: 'pw-0b9c' }],
  ])('%s', (_case, url, env, expected) => {
    const settings = redisConnectionSettings(url, Object.fromEntries(Object.entries(env).map(([key, value]) => [key, file(value)])));
    expect(settings.options.tls).toEqual(expected.tls);
    expect(settings.options.password).toBe(expected.password);
  });

  it('never shows a password in the URL, and keeps it among the secrets to scrub', () => {
    const settings = redisConnectionSettings('redis://app:s3cr%40t@127.0.0.1:6390/2', {});
    expect(settings.display).toBe('redis://app:***@127.0.0.1:6390/2');
    expect(settings.secrets).toEqual(['s3cr@t']);
    expect(redactRedisUrl('redis://127.0.0.1:6390')).toBe('redis://127.0.0.1:6390');
  });

  it.each([
    ['a URL that is not one', 'not a url :pw@x', /REDIS_URL=.* is not a URL/],
    ['another scheme', 'http://:pw-9@127.0.0.1:6390', /must start with redis:\/\/ or rediss:\/\//],
  ])('refuses %s without showing its password', (_case, url, message) => {
    expect(() => redisConnectionSettings(url, {})).toThrow(message);
    try {
      redisConnectionSettings(url, {});
    } catch (error) {
      expect(String(error)).not.toMatch(/pw-9/);
    }
  });
});
