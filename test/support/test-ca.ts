/**
 * A throwaway certificate authority for emulators that must speak HTTPS (the Azure SDK will
 * not send a bearer token over plain http; vcsim serves TLS). Made with the openssl CLI: a CA,
 * and a server certificate for 127.0.0.1 and localhost that it signed. Tests trust the CA
 * in-process with tls.setDefaultCACertificates, never by turning verification off.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  readonly dir: string;
  readonly caCertPath: string;
  readonly caCert: string;
  readonly serverKeyPath: string;
  readonly serverCertPath: string;
  readonly serverKey: string;
  readonly serverCert: string;
}

export async function createTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-test-ca-'));
  const path = (name: string): string => join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Slipway test CA', '-keyout', path('ca.key'), '-out', path('ca.crt')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', path('server.key'), '-out', path('server.csr')]);
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', path('server.ext'), '-out', path('server.crt')]);
  return {
    dir,
    caCertPath: path('ca.crt'),
    caCert: await readFile(path('ca.crt'), 'utf8'),
    serverKeyPath: path('server.key'),
    serverCertPath: path('server.crt'),
    serverKey: await readFile(path('server.key'), 'utf8'),
    serverCert: await readFile(path('server.crt'), 'utf8'),
  };
}

/** Adds the CA to this process's default trust store (the system roots stay trusted). */
export function trustTestCa(ca: TestCa): void {
  const current = tls.getCACertificates('default');
  if (!current.includes(ca.caCert)) tls.setDefaultCACertificates([...current, ca.caCert]);
}

export interface ClientCertificate {
  readonly certPath: string;
  readonly keyPath: string;
}

/** A client certificate (extendedKeyUsage clientAuth) the CA signed, for mTLS; its files sit in the CA's directory. */
export async function createClientCertificate(ca: TestCa, name: string): Promise<ClientCertificate> {
  const path = (file: string): string => join(ca.dir, `${name}.${file}`);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', path('key'), '-out', path('csr')]);
  await writeFile(path('ext'), 'extendedKeyUsage=clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', path('csr'), '-CA', ca.caCertPath, '-CAkey', join(ca.dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', path('ext'), '-out', path('crt')]);
  return { certPath: path('crt'), keyPath: path('key') };
}
