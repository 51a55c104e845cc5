/**
 * A hosted cluster's PKI: what each certificate is for and who signed it (read back with Node's
 * own X.509 parser, not the library that made them), and its life in the secret store: made
 * once, never replaced, gone on delete. The kubeconfig's use against a real kube-apiserver is in
 * test/e2e/supervisor.test.ts.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { machineBootstrap } from '../../services/worker/hosted-bootstrap';
import { apiServerNames, hostedSecretNames } from '../../services/worker/hosted-names';
import { generateHostedPki, issueClientCertificate, type HostedPki } from '../../services/worker/hosted-pki';
import { ensureHostedPkiSecrets, readHostedAdminKubeconfig, readHostedPki, recordApiServerURL, removeHostedSecrets } from '../../services/worker/hosted-secrets';
import { fileSecretStore } from '../../services/worker/secrets';

const ref = { namespace: 'team-a', name: 'demo', uid: '3f0c1a2e-0000-4000-8000-000000000001' };

/** The subject's attributes, one per line as Node prints them. */
const subjectOf = (certificate: X509Certificate) => certificate.subject.split('\n');

describe('generateHostedPki', () => {
  let pki: HostedPki;
  let ca: X509Certificate;
  beforeAll(async () => {
    pki = await generateHostedPki({ clusterName: 'demo', serverNames: apiServerNames(ref) });
    ca = new X509Certificate(pki.caCertificate);
  });

  it('makes a self-signed CA that may sign certificates', () => {
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.equals(createPublicKey(pki.caKey))).toBe(true);
  });

  it.each([
    ['servingCertificate', 'servingKey', ['CN=kube-apiserver']],
    ['adminCertificate', 'adminKey', ['CN=slipway-admin', 'O=system:masters']],
  ] as const)('signs %s by the CA, for its own key, with its subject', (certificateField, keyField, subject) => {
    const certificate = new X509Certificate(pki[certificateField]);
    expect(certificate.ca).toBe(false);
    expect(certificate.checkIssued(ca)).toBe(true);
    expect(certificate.verify(ca.publicKey)).toBe(true);
    expect(certificate.publicKey.equals(createPublicKey(createPrivateKey(pki[keyField])))).toBe(true);
    expect(subjectOf(certificate)).toEqual(subject);
  });

  it('serves every name a client may reach the API server by, in either placement', () => {
    const serving = new X509Certificate(pki.servingCertificate);
    const names = apiServerNames(ref);
    for (const dnsName of names.dnsNames) expect(serving.checkHost(dnsName), dnsName).toBe(dnsName);
    for (const ip of names.ipAddresses) expect(serving.checkIP(ip), ip).toBe(ip);
    expect(serving.checkHost('api.example.com')).toBeUndefined();
    expect(serving.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
  });

  it('issues client certificates whose organizations are the groups Kubernetes reads', async () => {
    const node = new X509Certificate((await issueClientCertificate({ certificate: pki.caCertificate, key: pki.caKey }, { commonName: 'system:node:m-0', organizations: ['system:nodes'] })).certificate);
    expect(subjectOf(node)).toEqual(['CN=system:node:m-0', 'O=system:nodes']);
    expect(node.verify(ca.publicKey)).toBe(true);
    expect(node.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('gives every cluster its own CA', async () => {
    const other = new X509Certificate((await generateHostedPki({ clusterName: 'demo', serverNames: apiServerNames(ref) })).caCertificate);
    expect(new X509Certificate(pki.servingCertificate).verify(other.publicKey)).toBe(false);
  });
});

describe('the PKI in the secret store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-hosted-pki-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is made once: a second call, and one racing it, keep the same keys', async () => {
    const store = fileSecretStore(dir);
    const names = await ensureHostedPkiSecrets(store, ref);
    expect(names).toEqual(hostedSecretNames(ref));
    const first = await readHostedPki(store, ref);
    const again = await Promise.all([ensureHostedPkiSecrets(store, ref), ensureHostedPkiSecrets(store, ref)]);
    expect(again).toEqual([names, names]);
    expect(await readHostedPki(store, ref)).toEqual(first);
  });

  it('gives a recreated cluster of the same name (a new uid) a PKI of its own', async () => {
    const store = fileSecretStore(dir);
    const recreated = { ...ref, uid: '3f0c1a2e-0000-4000-8000-000000000002' };
    const names = await ensureHostedPkiSecrets(store, recreated);
    expect(names.pkiSecretName).not.toBe(hostedSecretNames(ref).pkiSecretName);
    expect((await readHostedPki(store, recreated)).caKey).not.toBe((await readHostedPki(store, ref)).caKey);
  });

  it('has no kubeconfig until the API server address is known, then one that trusts the CA and carries the admin certificate', async () => {
    const store = fileSecretStore(dir);
    await ensureHostedPkiSecrets(store, ref);
    const notYet = await readHostedAdminKubeconfig(store, ref).catch((error: unknown) => error);
    expect((notYet as ApplicationFailure).type).toBe('ControlPlaneNotReady');
    // Nor can a machine join yet: a failure to retry, not to give up on.
    const joinTooEarly = await machineBootstrap(store, ref, { nodeName: 'm-0', machineName: 'm-0', nodePool: 'p' }).catch((error: unknown) => error);
    expect((joinTooEarly as ApplicationFailure).type).toBe('ControlPlaneNotReady');
    expect((joinTooEarly as ApplicationFailure).nonRetryable).toBe(false);
    await recordApiServerURL(store, ref, 'https://127.0.0.1:40443');
    const kubeconfig = parse(await readHostedAdminKubeconfig(store, ref)) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string } }[];
    };
    const pki = await readHostedPki(store, ref);
    expect(kubeconfig.clusters[0]?.cluster.server).toBe('https://127.0.0.1:40443');
    expect(Buffer.from(kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(pki.caCertificate);
    expect(Buffer.from(kubeconfig.users[0]?.user['client-certificate-data'] ?? '', 'base64').toString()).toBe(pki.adminCertificate);
  });

  it('refuses a damaged PKI secret instead of making a new CA over it', async () => {
    const store = fileSecretStore(dir);
    const damaged = { ...ref, uid: 'damaged' };
    const names = hostedSecretNames(damaged);
    await store.write(damaged.namespace, names.pkiSecretName, { caCertificate: 'x' });
    const failure = await ensureHostedPkiSecrets(store, damaged).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('PkiDamaged');
    expect((failure as ApplicationFailure).message).not.toContain('BEGIN');
    expect((await store.read(damaged.namespace, names.pkiSecretName)).caCertificate).toBe('x');
  });

  it('removes both secrets on delete, and a second delete is fine', async () => {
    const store = fileSecretStore(dir);
    await removeHostedSecrets(store, ref);
    await removeHostedSecrets(store, ref);
    const names = hostedSecretNames(ref);
    const left = await readdir(join(dir, ref.namespace));
    expect(left).not.toContain(`${names.pkiSecretName}.json`);
    expect(left).not.toContain(`${names.adminKubeconfigSecretName}.json`);
  });
});
