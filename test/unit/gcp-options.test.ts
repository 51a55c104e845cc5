import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GCP_ENDPOINT_ENV, GCP_ZONE_ENV, gcpAdapterOptionsFrom } from '../../providers/gcp/adapter';
import { zoneOf } from '../../providers/gcp/options';
import { providerErrorThrownBy } from '../support/async-checks';

const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDexampleexampleexample\n-----END PRIVATE KEY-----\n';
const KEY = JSON.stringify({ type: 'service_account', project_id: 'key-project', private_key_id: 'abc123', private_key: PRIVATE_KEY, client_email: 'sa@key-project.iam.gserviceaccount.com' });
const TOKEN = 'ya29.a0AfH6SMBexampleexampleexampletoken';

describe('gcpAdapterOptionsFrom', () => {
  it('takes a service-account key from the secret, its project, and printing the options shows no secret', () => {
    const options = gcpAdapterOptionsFrom({ region: 'europe-west4', credentials: { serviceAccountKey: KEY }, env: {} });
    expect(options.region).toBe('europe-west4');
    expect(options.project).toBe('key-project');
    expect(zoneOf(options)).toBe('europe-west4-a');
    expect(options.credentials?.()).toEqual({
      kind: 'serviceAccountKey',
      key: { clientEmail: 'sa@key-project.iam.gserviceaccount.com', privateKey: PRIVATE_KEY, privateKeyId: 'abc123', projectId: 'key-project' },
    });
    for (const printed of [JSON.stringify(options), inspect(options, { depth: 10 })]) expect(printed).not.toContain('PRIVATE KEY');
  });

  it("takes projectId and zone from the secret over the key's project and the environment", () => {
    const options = gcpAdapterOptionsFrom({
      region: 'europe-west4',
      credentials: { serviceAccountKey: KEY, projectId: 'other-project', zone: 'europe-west4-c' },
      env: { GOOGLE_CLOUD_PROJECT: 'env-project', [GCP_ZONE_ENV]: 'europe-west4-b' },
    });
    expect(options.project).toBe('other-project');
    expect(zoneOf(options)).toBe('europe-west4-c');
  });

  it('takes a static access token, and wants a project with it', () => {
    const options = gcpAdapterOptionsFrom({ region: 'us-east1', credentials: { accessToken: TOKEN, projectId: 'p1' }, env: {} });
    expect(options.credentials?.()).toEqual({ kind: 'accessToken', accessToken: TOKEN });
    expect(inspect(options, { depth: 10 })).not.toContain(TOKEN);
    const error = providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: 'us-east1', credentials: { accessToken: TOKEN }, env: {} }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/projectId/);
    expect(error.message).not.toContain(TOKEN);
  });

  it('refuses a key that is not JSON or lacks its fields, and both credentials at once, without echoing them', () => {
    const notJson = providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: 'us-east1', credentials: { serviceAccountKey: `{"private_key": "${PRIVATE_KEY.slice(0, 40)}` }, env: {} }));
    expect(notJson.message).toMatch(/serviceAccountKey is not JSON/);
    expect(notJson.message).not.toContain('PRIVATE KEY');
    const partial = providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: 'us-east1', credentials: { serviceAccountKey: JSON.stringify({ private_key: PRIVATE_KEY }) }, env: {} }));
    expect(partial.message).toMatch(/client_email/);
    expect(partial.message).not.toContain('PRIVATE KEY');
    const both = providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: 'us-east1', credentials: { serviceAccountKey: KEY, accessToken: TOKEN }, env: {} }));
    expect(both.message).toMatch(/keep one/);
    expect(both.message).not.toContain(TOKEN);
    const neither = providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: 'us-east1', credentials: { projectId: 'p1' }, env: {} }));
    expect(neither.message).toMatch(/serviceAccountKey/);
  });

  it('without a secret, uses Application Default Credentials: the GOOGLE_APPLICATION_CREDENTIALS key file, or the library default', () => {
    const withFile = gcpAdapterOptionsFrom({ region: 'us-east1', credentials: undefined, env: { GOOGLE_APPLICATION_CREDENTIALS: '/var/run/key.json', GOOGLE_CLOUD_PROJECT: 'env-project' } });
    expect(withFile.credentials?.()).toEqual({ kind: 'keyFile', path: '/var/run/key.json' });
    expect(withFile.project).toBe('env-project');
    const bare = gcpAdapterOptionsFrom({ region: 'us-east1', credentials: undefined, env: {} });
    expect(bare.credentials).toBeUndefined();
    expect(bare.project).toBeUndefined();
  });

  it(`points at ${GCP_ENDPOINT_ENV} (host:port is plain http), else leaves compute.googleapis.com to the SDK`, () => {
    expect(gcpAdapterOptionsFrom({ region: 'us-east1', credentials: undefined, env: { [GCP_ENDPOINT_ENV]: '127.0.0.1:8085' } }).endpoint).toEqual({ host: '127.0.0.1', port: 8085, protocol: 'http' });
    expect(gcpAdapterOptionsFrom({ region: 'us-east1', credentials: undefined, env: { [GCP_ENDPOINT_ENV]: 'https://compute.internal' } }).endpoint).toEqual({ host: 'compute.internal', port: 443, protocol: 'https' });
    expect(gcpAdapterOptionsFrom({ region: 'us-east1', credentials: undefined, env: {} }).endpoint).toBeUndefined();
    expect(providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: 'us-east1', credentials: undefined, env: { [GCP_ENDPOINT_ENV]: 'ftp://x:1' } })).kind).toBe('invalid');
  });

  it(`takes the zone from ${GCP_ZONE_ENV}, derives the region from it when the target has none, and refuses neither`, () => {
    const options = gcpAdapterOptionsFrom({ region: '', credentials: undefined, env: { [GCP_ZONE_ENV]: 'asia-south1-b' } });
    expect(options.region).toBe('asia-south1');
    expect(zoneOf(options)).toBe('asia-south1-b');
    expect(providerErrorThrownBy(() => gcpAdapterOptionsFrom({ region: '', credentials: undefined, env: {} })).kind).toBe('invalid');
  });
});
