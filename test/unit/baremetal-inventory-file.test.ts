import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseInventory, readInventoryFile } from '../../providers/baremetal/inventory-file';
import { ProviderError } from '../../providers/types';

const host = (overrides: Record<string, unknown> = {}, bmc: Record<string, unknown> = {}) => ({
  name: 'rack1-u01',
  class: 'small',
  bmc: { url: 'https://10.0.1.21', system: '/redfish/v1/Systems/1', credentials: 'bmc-rack1', ...bmc },
  ...overrides,
});

describe('the host inventory file', () => {
  it('reads hosts from YAML', () => {
    const document = parse(`
hosts:
  - name: rack1-u01
    class: small
    site: dc1
    ip: 10.0.0.21
    bmc:
      url: https://10.0.1.21:8443/
      system: /redfish/v1/Systems/1
      credentials: bmc-rack1
`);
    expect(parseInventory(document)).toEqual({
      hosts: [{ name: 'rack1-u01', hostClass: 'small', site: 'dc1', ip: '10.0.0.21', bmcUrl: 'https://10.0.1.21:8443', systemPath: '/redfish/v1/Systems/1', credentialsRef: 'bmc-rack1' }],
      problems: [],
    });
  });

  it('refuses a BMC URL carrying credentials, without repeating them', () => {
    const { problems } = parseInventory({ hosts: [host({}, { url: 'https://admin:hunter2@10.0.1.21' })] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('hosts[0].bmc.url must not carry a user or password');
    expect(problems.join(' ')).not.toContain('hunter2');
  });

  it('names every problem: missing fields, bad paths, duplicate names', () => {
    const { problems } = parseInventory({
      hosts: [host({ class: undefined }), host({ name: 'Rack_2' }), host({}, { system: '/redfish/v1/Managers/1' }), host({}, { url: 'https://10.0.1.21/redfish/v1' }), host(), host()],
    });
    expect(problems).toEqual([
      'hosts[0].class is missing',
      'hosts[1].name "Rack_2" must be 1-63 lowercase letters, digits, \'-\' and \'.\'',
      'hosts[2].bmc.system "/redfish/v1/Managers/1" must be a ComputerSystem path such as /redfish/v1/Systems/1',
      'hosts[3].bmc.url must be the Redfish service root only (scheme, host and port), e.g. https://10.0.1.21',
      'host name "rack1-u01" appears more than once',
    ]);
    expect(parseInventory({ machines: [] }).problems).toEqual(['the file must hold a mapping with a "hosts" list']);
  });

  it('refuses a file with problems as invalid, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-inventory-'));
    try {
      const path = join(dir, 'inventory.json');
      await writeFile(path, JSON.stringify({ hosts: [host({}, { credentials: '' })] }));
      const error = await readInventoryFile(path).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('invalid');
      expect((error as ProviderError).message).toContain(path);
      expect((error as ProviderError).message).toContain('hosts[0].bmc.credentials must be a non-empty string');
      await expect(readInventoryFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({ kind: 'invalid' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
