/**
 * The worker's adapter resolver: one adapter per (platform, region, credentials reference),
 * built from the named secret inside the activity, refused with a message that names the
 * missing field (never a secret's value), and metered by the shared rate limiter.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { PlatformName } from '../../crds/schemas/cluster-deployment';
import type { ApiClass, CloudRateLimiter, RateScope } from '../../providers/rate-limit';
import { ProviderError } from '../../providers/types';
import { createAdapterResolver, type WorkerEnv } from '../../services/worker/adapters';
import type { SecretData, SecretStore } from '../../services/worker/secrets';

const SECRET_VALUE = 'do-not-print-this-secret-7f3a';

const SECRETS: Readonly<Record<string, SecretData>> = {
  'team-a/aws': { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET_VALUE },
  'team-a/aws-incomplete': { accessKeyId: SECRET_VALUE },
  'team-a/azure': { tenantId: 'tenant', clientId: 'client', clientSecret: SECRET_VALUE, subscriptionId: '00000000-0000-0000-0000-000000000001' },
  'team-a/gcp': { accessToken: SECRET_VALUE, projectId: 'demo-project' },
  'team-a/vsphere': { username: 'administrator@vsphere.local', password: SECRET_VALUE, server: 'vcenter.example.test' },
  'team-a/bmc': { username: 'admin', password: SECRET_VALUE },
  'team-a/simulated': { apiKey: SECRET_VALUE },
};

const secretStore: SecretStore = {
  async read(namespace, name) {
    const found = SECRETS[`${namespace}/${name}`];
    if (!found) throw ApplicationFailure.nonRetryable(`secret ${namespace}/${name} was not found`, 'CredentialsNotFound');
    return found;
  },
};

async function workerEnv(): Promise<WorkerEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-resolver-'));
  const inventory = join(dir, 'inventory.yaml');
  await writeFile(inventory, 'hosts: []\n');
  return { SLIPWAY_BAREMETAL_INVENTORY: inventory, SLIPWAY_BAREMETAL_DB: join(dir, 'claims.sqlite') };
}

function countingLimiter(): CloudRateLimiter & { acquired: [RateScope, ApiClass][] } {
  const acquired: [RateScope, ApiClass][] = [];
  return {
    acquired,
    async acquire(scope, apiClass) {
      acquired.push([scope, apiClass]);
    },
    async drain() {},
  };
}

const target = (platform: PlatformName, secret: string | undefined, region = 'us-east-1') => ({
  platform,
  region,
  ...(secret ? { credentialsRef: { namespace: 'team-a', name: secret } } : {}),
});

describe('adapter resolver', () => {
  it.each([
    ['aws', 'aws'],
    ['azure', 'azure'],
    ['gcp', 'gcp'],
    ['vsphere', 'vsphere'],
    ['baremetal', 'bmc'],
    ['simulated', 'simulated'],
  ] as const)('builds a %s adapter from the secret the target names', async (platform, secret) => {
    const resolve = createAdapterResolver({ secrets: secretStore, simCloudUrl: 'http://127.0.0.1:1', env: await workerEnv() });
    const adapter = await resolve(target(platform, secret));
    expect(adapter.platform).toBe(platform);
    expect(JSON.stringify(adapter)).not.toContain(SECRET_VALUE);
  });

  it('caches one adapter per platform, region and credentials reference', async () => {
    const resolve = createAdapterResolver({ secrets: secretStore, simCloudUrl: 'http://127.0.0.1:1', env: await workerEnv() });
    const first = await resolve(target('aws', 'aws'));
    expect(await resolve(target('aws', 'aws'))).toBe(first);
    expect(await resolve(target('aws', 'aws', 'eu-west-1'))).not.toBe(first);
  });

  it('builds a new adapter when the secret changes, so a rotated key is used without a worker restart', async () => {
    const rotating: Record<string, string> = { accessKeyId: 'AKIAOLD', secretAccessKey: SECRET_VALUE };
    const store: SecretStore = { read: async () => ({ ...rotating }) };
    const resolve = createAdapterResolver({ secrets: store, simCloudUrl: 'http://127.0.0.1:1', env: await workerEnv() });
    const before = await resolve(target('aws', 'aws'));
    expect(await resolve(target('aws', 'aws'))).toBe(before);
    rotating.accessKeyId = 'AKIANEW';
    expect(await resolve(target('aws', 'aws'))).not.toBe(before);
  });

  it('refuses an incomplete secret as a non-retryable failure that names the field and not the values', async () => {
    const resolve = createAdapterResolver({ secrets: secretStore, simCloudUrl: 'http://127.0.0.1:1', env: await workerEnv() });
    const failure = await resolve(target('aws', 'aws-incomplete')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    // A waiting state for the entity (CredentialsReady=False), never a failed install.
    expect((failure as ApplicationFailure).type).toBe('CredentialsRefused');
    expect((failure as ApplicationFailure).message).toMatch(/secretAccessKey/);
    expect((failure as ApplicationFailure).message).not.toContain(SECRET_VALUE);
  });

  it('refuses a missing secret without retrying, and tries again on the next call', async () => {
    const resolve = createAdapterResolver({ secrets: secretStore, simCloudUrl: 'http://127.0.0.1:1', env: await workerEnv() });
    await expect(resolve(target('aws', 'absent'))).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(resolve(target('aws', 'absent'))).rejects.toThrow(/was not found/);
  });

  it('meters every call through the shared limiter, scoped by the credentials reference, never the credential', async () => {
    const limiter = countingLimiter();
    const resolve = createAdapterResolver({ secrets: secretStore, simCloudUrl: 'http://127.0.0.1:1', env: await workerEnv(), rateLimiter: limiter, requestTimeoutMs: 1_000 });
    const adapter = await resolve(target('simulated', 'simulated', 'local-1'));
    const error = await adapter.describeMachine('m-0').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('retryable');
    expect(limiter.acquired).toEqual([[{ provider: 'simulated', account: 'team-a/simulated', region: 'local-1' }, 'describe']]);
  });
});
