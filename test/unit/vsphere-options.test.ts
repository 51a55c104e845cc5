import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VCSIM_PLACEMENT, VSPHERE_ENDPOINT_ENV, vsphereAdapterOptionsFrom } from '../../providers/vsphere/adapter';
import { providerErrorThrownBy } from '../support/async-checks';

const PASSWORD = 'Tr0ub4dor&3-vsphere-secret';

describe('vsphereAdapterOptionsFrom', () => {
  it('takes user, password and server from the secret, and printing the options shows no password', () => {
    const options = vsphereAdapterOptionsFrom({ region: 'dc-east', credentials: { username: 'administrator@vsphere.local', password: PASSWORD, server: 'vcenter.example.com' }, env: {} });
    expect(options.endpoint).toBe('https://vcenter.example.com');
    expect(options.credentials()).toEqual({ username: 'administrator@vsphere.local', password: PASSWORD });
    for (const printed of [JSON.stringify(options), inspect(options, { depth: 10 })]) expect(printed).not.toContain(PASSWORD);
  });

  it('falls back to VSPHERE_USERNAME, VSPHERE_PASSWORD and VSPHERE_SERVER without a secret', () => {
    const options = vsphereAdapterOptionsFrom({ region: 'dc-east', credentials: undefined, env: { VSPHERE_USERNAME: 'env-user', VSPHERE_PASSWORD: PASSWORD, VSPHERE_SERVER: 'https://vc.lab:8443/' } });
    expect(options.credentials()).toEqual({ username: 'env-user', password: PASSWORD });
    expect(options.endpoint).toBe('https://vc.lab:8443');
  });

  it('the secret wins over the environment, and SLIPWAY_VSPHERE_ENDPOINT over both servers', () => {
    const options = vsphereAdapterOptionsFrom({
      region: 'dc-east',
      credentials: { username: 'secret-user', password: PASSWORD, server: 'vc.from-secret' },
      env: { VSPHERE_USERNAME: 'env-user', VSPHERE_PASSWORD: 'env-password', VSPHERE_SERVER: 'vc.from-env', [VSPHERE_ENDPOINT_ENV]: 'https://127.0.0.1:8989/' },
    });
    expect(options.credentials().username).toBe('secret-user');
    expect(options.endpoint).toBe('https://127.0.0.1:8989');
  });

  it('places on vcsim\'s default inventory unless the secret or SLIPWAY_VSPHERE_* say otherwise', () => {
    const base = { region: 'dc-east', credentials: { username: 'u', password: PASSWORD, server: 'vc' } };
    expect(vsphereAdapterOptionsFrom({ ...base, env: {} }).placement).toEqual(VCSIM_PLACEMENT);
    const placed = vsphereAdapterOptionsFrom({
      ...base,
      credentials: { ...base.credentials, datacenter: 'Site-A' },
      env: { SLIPWAY_VSPHERE_DATACENTER: 'ignored', SLIPWAY_VSPHERE_RESOURCE_POOL: 'Cluster-1/Resources/ocp', SLIPWAY_VSPHERE_DATASTORE: 'vsanDatastore', SLIPWAY_VSPHERE_TEMPLATE: 'rhcos-4.16' },
    });
    expect(placed.placement).toEqual({ datacenter: 'Site-A', resourcePool: 'Cluster-1/Resources/ocp', datastore: 'vsanDatastore', template: 'rhcos-4.16' });
  });

  it('refuses a secret without a password, naming the field and echoing nothing else', () => {
    const error = providerErrorThrownBy(() => vsphereAdapterOptionsFrom({ region: 'dc-east', credentials: { username: 'u', server: 'vc', caCertificate: 'PEM' }, env: { VSPHERE_PASSWORD: PASSWORD } }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/password/);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('refuses an environment profile without credentials or a vCenter, saying which variables to set', () => {
    expect(providerErrorThrownBy(() => vsphereAdapterOptionsFrom({ region: 'dc-east', credentials: undefined, env: { VSPHERE_SERVER: 'vc' } })).message).toMatch(/VSPHERE_USERNAME and VSPHERE_PASSWORD/);
    const noServer = providerErrorThrownBy(() => vsphereAdapterOptionsFrom({ region: 'dc-east', credentials: { username: 'u', password: PASSWORD }, env: {} }));
    expect(noServer.message).toMatch(/server/);
    expect(noServer.message).not.toContain(PASSWORD);
  });
});
