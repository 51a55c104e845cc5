import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURE_AUTHORITY_HOST_ENV, AZURE_ENDPOINT_ENV, azureAdapterOptionsFrom } from '../../providers/azure/adapter';
import { startAzureTestCloud, type AzureTestCloud } from '../emulators/azure-arm/test-cloud';
import { providerErrorThrownBy } from '../support/async-checks';

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';

let cloud: AzureTestCloud;

beforeAll(async () => {
  cloud = await startAzureTestCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

describe('azureAdapterOptionsFrom', () => {
  it('builds a credential from the secret fields that gets tokens from the configured authority, and printing the options shows no secret', async () => {
    const { principal } = cloud.emulator;
    const options = azureAdapterOptionsFrom({
      region: 'westeurope',
      credentials: { ...principal, subscriptionId: SUBSCRIPTION },
      env: { [AZURE_ENDPOINT_ENV]: 'https://127.0.0.1:1/', [AZURE_AUTHORITY_HOST_ENV]: cloud.emulator.authorityHost },
    });
    expect(options).toMatchObject({ subscriptionId: SUBSCRIPTION, location: 'westeurope', endpoint: 'https://127.0.0.1:1' });
    const issued = cloud.emulator.aad.issued;
    expect((await options.credential.getToken('https://management.azure.com/.default'))?.token).toBeTruthy();
    expect(cloud.emulator.aad.issued).toBe(issued + 1);
    for (const printed of [JSON.stringify(options), inspect(options, { depth: 20, showHidden: true })]) expect(printed).not.toContain(principal.clientSecret);
  });

  it('without a secret, reads AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_SUBSCRIPTION_ID', async () => {
    const { tenantId, clientId, clientSecret } = cloud.emulator.principal;
    const options = azureAdapterOptionsFrom({
      region: 'eastus',
      credentials: undefined,
      env: { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: clientSecret, AZURE_SUBSCRIPTION_ID: SUBSCRIPTION, [AZURE_AUTHORITY_HOST_ENV]: cloud.emulator.authorityHost },
    });
    expect(options.subscriptionId).toBe(SUBSCRIPTION);
    expect(options.endpoint).toBeUndefined();
    expect((await options.credential.getToken('https://management.azure.com/.default'))?.token).toBeTruthy();
  });

  it('a secret with a wrong client secret gives a credential the identity platform refuses', async () => {
    const { tenantId, clientId } = cloud.emulator.principal;
    const options = azureAdapterOptionsFrom({ region: 'eastus', credentials: { tenantId, clientId, clientSecret: 'wrong', subscriptionId: SUBSCRIPTION }, env: { [AZURE_AUTHORITY_HOST_ENV]: cloud.emulator.authorityHost } });
    await expect(options.credential.getToken('https://management.azure.com/.default')).rejects.toThrow(/invalid_client/);
  });

  it('refuses a secret without clientSecret, naming the field and not echoing the others', () => {
    const error = providerErrorThrownBy(() => azureAdapterOptionsFrom({ region: 'eastus', credentials: { tenantId: 't', clientId: 'c-not-echoed', subscriptionId: SUBSCRIPTION }, env: {} }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/clientSecret/);
    expect(error.message).not.toContain('c-not-echoed');
  });

  it('refuses options without a subscription or a region', () => {
    const { principal } = cloud.emulator;
    expect(providerErrorThrownBy(() => azureAdapterOptionsFrom({ region: 'eastus', credentials: { ...principal }, env: {} })).message).toMatch(/subscriptionId|AZURE_SUBSCRIPTION_ID/);
    expect(providerErrorThrownBy(() => azureAdapterOptionsFrom({ region: ' ', credentials: { ...principal, subscriptionId: SUBSCRIPTION }, env: {} })).message).toMatch(/region/);
  });

  it('without a service principal anywhere, leaves the credential to DefaultAzureCredential', () => {
    const options = azureAdapterOptionsFrom({ region: 'eastus', credentials: undefined, env: { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION } });
    expect(typeof options.credential.getToken).toBe('function');
  });
});
