/**
 * The Redfish client sends a host's credentials only to that host's BMC: a reset target the BMC
 * advertises on another origin ('//elsewhere/...', an absolute URL) is refused before any request,
 * and an answer larger than the limit is cut off. The BMC here is a hostile one, written for the test;
 * the real BMC behaviour is covered against sushy-tools in test/contract/baremetal.test.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedfishClient, type BmcTarget } from '../../providers/baremetal/redfish';
import { sameOriginUrl } from '../../providers/endpoints';
import { ProviderError } from '../../providers/types';
import { errorOf } from '../support/async-checks';

const PASSWORD = 'bmc-password-planted-7f3a';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Redfish: credentials only to the BMC they were configured for', () => {
  const elsewhereSaw: IncomingHttpHeaders[] = [];
  let advertised = '';
  let oversized = false;
  let bmc: Server;
  let elsewhere: Server;
  let bmcUrl = '';
  let elsewhereUrl = '';

  beforeAll(async () => {
    elsewhere = createServer((request, response) => {
      elsewhereSaw.push(request.headers);
      response.end('{}');
    });
    elsewhereUrl = await listen(elsewhere);
    bmc = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      if (oversized) {
        response.end(JSON.stringify({ PowerState: 'On', Padding: 'x'.repeat(4096) }));
        return;
      }
      response.end(JSON.stringify({ PowerState: 'Off', Actions: { '#ComputerSystem.Reset': { target: advertised } } }));
    });
    bmcUrl = await listen(bmc);
  });
  afterAll(() => {
    bmc?.close();
    elsewhere?.close();
  });

  const target = (): BmcTarget => ({ host: 'rack1-u07', baseUrl: bmcUrl, systemPath: '/redfish/v1/Systems/1', credentialsRef: 'bmc-rack1', credentials: { username: 'root', password: PASSWORD } });

  it.each([
    ['a scheme-relative path', () => `//${new URL(elsewhereUrl).host}/steal`],
    ['an absolute URL', () => `${elsewhereUrl}/steal`],
  ])('refuses a reset target on another origin given as %s, and sends it nothing', async (_label, link) => {
    advertised = link();
    const client = createRedfishClient({ requestTimeoutMs: 2_000, allowInsecureEndpoints: true });
    const system = await client.getSystem(target());
    const error = await errorOf(client.reset(target(), system.resetTarget, 'On'));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/handed back an address on http:\/\/127\.0\.0\.1:\d+, not on http:\/\/127\.0\.0\.1:\d+ where it was configured/);
    expect(elsewhereSaw).toEqual([]);
    expect(`${error.message} ${error.stack ?? ''}`).not.toContain(PASSWORD);
  });

  it('cuts off an answer larger than the limit', async () => {
    oversized = true;
    try {
      const client = createRedfishClient({ requestTimeoutMs: 2_000, allowInsecureEndpoints: true, maxResponseBytes: 1024 });
      const error = await errorOf(client.getSystem(target()));
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(/larger than 1024 bytes/);
    } finally {
      oversized = false;
    }
  });

  it('resolves same-origin paths and refuses every other origin (pure)', () => {
    const base = 'https://bmc.example:8443/redfish/v1/';
    expect(sameOriginUrl('baremetal', 'reset', '/redfish/v1/Systems/1/Actions/ComputerSystem.Reset', base).href).toBe('https://bmc.example:8443/redfish/v1/Systems/1/Actions/ComputerSystem.Reset');
    for (const link of ['//evil/x', 'https://evil/x', 'http://bmc.example:8443/x', 'https://bmc.example/x', 'https://bmc.example:8443@evil/x']) {
      expect(() => sameOriginUrl('baremetal', 'reset', link, base)).toThrow(ProviderError);
    }
  });
});
