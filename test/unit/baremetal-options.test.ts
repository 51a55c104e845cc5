import { describe, expect, it } from 'vitest';
import { baremetalAdapterOptionsFrom } from '../../providers/baremetal/adapter';
import { providerErrorThrownBy } from '../support/async-checks';

const env = { SLIPWAY_BAREMETAL_INVENTORY: '/etc/slipway/hosts.yaml' };

describe('baremetalAdapterOptionsFrom', () => {
  it('takes the inventory from the environment, the claims file beside it, and the region as the site', () => {
    const options = baremetalAdapterOptionsFrom({ region: 'dc1', credentials: { username: 'root', password: 'pw-1' }, env });
    expect(options.inventoryPath).toBe('/etc/slipway/hosts.yaml');
    expect(options.databasePath).toBe('/etc/slipway/hosts.yaml.claims.sqlite');
    expect(options.site).toBe('dc1');
    expect(options.endpointOverride).toBeUndefined();
    expect(JSON.stringify(options)).not.toContain('pw-1');
  });

  it('honours SLIPWAY_BAREMETAL_DB and SLIPWAY_BAREMETAL_ENDPOINT; an empty region claims from every site', () => {
    const options = baremetalAdapterOptionsFrom({
      region: '',
      credentials: undefined,
      env: { ...env, SLIPWAY_BAREMETAL_DB: '/var/lib/slipway/claims.sqlite', SLIPWAY_BAREMETAL_ENDPOINT: 'http://127.0.0.1:8000', SLIPWAY_BMC_USERNAME: 'u', SLIPWAY_BMC_PASSWORD: 'p' },
    });
    expect(options.databasePath).toBe('/var/lib/slipway/claims.sqlite');
    expect(options.endpointOverride).toBe('http://127.0.0.1:8000');
    expect(options.site).toBeUndefined();
  });

  it('resolves every host to the cluster secret, else to the environment', async () => {
    const fromSecret = baremetalAdapterOptionsFrom({ region: 'dc1', credentials: { username: 'root', password: 'pw-1' }, env: { ...env, SLIPWAY_BMC_USERNAME: 'env-user', SLIPWAY_BMC_PASSWORD: 'env-pw' } });
    expect(await fromSecret.resolveCredentials('any-host-secret')).toEqual({ username: 'root', password: 'pw-1' });
    const fromEnv = baremetalAdapterOptionsFrom({ region: 'dc1', credentials: undefined, env: { ...env, SLIPWAY_BMC_USERNAME: 'env-user', SLIPWAY_BMC_PASSWORD: 'env-pw' } });
    expect(await fromEnv.resolveCredentials('any-host-secret')).toEqual({ username: 'env-user', password: 'env-pw' });
  });

  it("reads each host's own secret when the worker hands over its secret store", async () => {
    const secrets: Record<string, Record<string, string>> = { 'bmc-rack1': { username: 'r1', password: 'pw-r1' }, 'bmc-broken': { username: 'r2' } };
    const options = baremetalAdapterOptionsFrom({
      region: 'dc1',
      credentials: undefined,
      env,
      readSecret: async (name) => secrets[name] ?? {},
    });
    expect(await options.resolveCredentials('bmc-rack1')).toEqual({ username: 'r1', password: 'pw-r1' });
    await expect(options.resolveCredentials('bmc-broken')).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('the BMC credentials secret "bmc-broken" has no password') });
  });

  it('refuses missing settings as invalid, naming what is missing and never a value', () => {
    expect(providerErrorThrownBy(() => baremetalAdapterOptionsFrom({ region: 'dc1', credentials: undefined, env: {} })).message).toContain('SLIPWAY_BAREMETAL_INVENTORY is not set');
    const noPassword = providerErrorThrownBy(() => baremetalAdapterOptionsFrom({ region: 'dc1', credentials: { username: 'root-user-x' }, env }));
    expect(noPassword.kind).toBe('invalid');
    expect(noPassword.message).toContain('has no password');
    expect(noPassword.message).not.toContain('root-user-x');
    const noEnv = providerErrorThrownBy(() => baremetalAdapterOptionsFrom({ region: 'dc1', credentials: undefined, env: { ...env, SLIPWAY_BMC_PASSWORD: 'secret-env-pw' } }));
    expect(noEnv.message).toContain('SLIPWAY_BMC_USERNAME');
    expect(noEnv.message).not.toContain('secret-env-pw');
  });
});
