/**
 * govmomi's vcsim as a local vCenter for tests: `startVcsim()` starts the binary from VCSIM on a
 * free loopback port, serving HTTPS with the test CA's server certificate and checking a user
 * name and password made up for the run, and resolves once it answers. Its inventory is vcsim's
 * default (DC0, cluster DC0_C0 with hosts and VMs DC0_H0_VM0 ..., datastore LocalDS_0).
 * `addTemplate` clones one of those VMs into a template, as an imported RHCOS OVA would be.
 * vcsimFaultDialect() renders injected faults the way vCenter and its reverse proxy answer.
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { createHttpTransport } from '../../../providers/vsphere/http';
import { createSoapClient } from '../../../providers/vsphere/soap';
import { createVim } from '../../../providers/vsphere/vim';
import type { CannedResponse, FaultDialect } from '../fault-proxy';
import { startPeerOnFreePort } from '../peer-process';
import type { TestCa } from '../test-ca';

export interface RunningVcsim {
  /** Base URL: SOAP at <url>/sdk, REST at <url>/rest. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  output(): string;
  stop(): Promise<void>;
}


function answers(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(`${url}/about`, { ca, signal: AbortSignal.timeout(2_000) }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
  });
}

export async function startVcsim(ca: TestCa, extraArgs: readonly string[] = []): Promise<RunningVcsim> {
  const username = `slipway-${randomBytes(4).toString('hex')}`;
  const password = `Pw-${randomBytes(18).toString('base64url')}`;
  const { peer, port } = await startPeerOnFreePort((port) => ({
    name: 'vcsim',
    binaryEnv: 'VCSIM',
    args: ['-l', `127.0.0.1:${port}`, '-tlscert', ca.serverCertPath, '-tlskey', ca.serverKeyPath, '-username', username, '-password', password, ...extraArgs],
    startupTimeoutMs: 60_000,
    ready: () => answers(`https://127.0.0.1:${port}`, ca.caCert),
  }));
  return { url: `https://127.0.0.1:${port}`, username, password, output: () => peer.output(), stop: () => peer.stop() };
}

/** Clones `source` (a VM in DC0's VM folder) into a template named `name` in the same folder. */
export async function addTemplate(vcsim: RunningVcsim, ca: TestCa, source: string, name: string): Promise<void> {
  const transport = createHttpTransport(vcsim.url, 10_000, ca.caCert);
  try {
    const soap = createSoapClient(transport, () => ({ username: vcsim.username, password: vcsim.password }), (text) => text, () => undefined);
    const vim = createVim(soap, { taskTimeoutMs: 30_000, redact: (text) => text });
    const find = async (path: string) => {
      const found = await vim.findByInventoryPath('prepare template', path);
      if (!found) throw new Error(`vcsim has no ${path}`);
      return found;
    };
    const [vm, folder, pool] = await Promise.all([find(`/DC0/vm/${source}`), find('/DC0/vm'), find('/DC0/host/DC0_C0/Resources')]);
    await vim.waitForTask('prepare template', await vim.cloneVm('prepare template', vm, folder, name, { pool, template: true }));
  } finally {
    transport.close();
  }
}

function soapFault(faultType: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${message}</faultstring>` +
    `<detail><${faultType}Fault xmlns="urn:vim25" xsi:type="${faultType}"><reason>${message}</reason></${faultType}Fault></detail>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}

/**
 * vCenter's own failures are SOAP faults on HTTP 500 (SystemError: "A general system error
 * occurred"); its reverse proxy answers 503 when the service behind it is down. Throttling takes
 * turns between the proxy's 503 and the API gateway's 429, each with the Retry-After the test asks
 * for (429 alone when it asks for none: a bare 503 is an outage, not throttling). The proxy sits in
 * front of /sdk and /rest alike, and the adapter reads these answers on either.
 */
export function vcsimFaultDialect(): FaultDialect {
  let throttles = 0;
  let serverErrors = 0;
  const plain = (status: number, text: string, headers: Readonly<Record<string, string>> = {}): CannedResponse => ({
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    body: `${text} (injected by the fault proxy)`,
  });
  return {
    throttle: (retryAfterSeconds) => {
      throttles += 1;
      if (retryAfterSeconds === undefined) return plain(429, 'Too Many Requests');
      const header = { 'retry-after': String(retryAfterSeconds) };
      return throttles % 2 === 1 ? plain(503, 'Service Unavailable', header) : plain(429, 'Too Many Requests', header);
    },
    serverError: () => {
      serverErrors += 1;
      return serverErrors % 2 === 1
        ? { status: 500, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: soapFault('SystemError', 'A general system error occurred: injected by the fault proxy') }
        : plain(503, 'Service Unavailable');
    },
  };
}
