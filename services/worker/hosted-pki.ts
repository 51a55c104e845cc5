/**
 * A hosted cluster's PKI, as kubeadm lays it out: one CA that signs the API server's serving
 * certificate and every client certificate (admin, nodes), and a service-account key pair.
 * Keys come from Node's crypto; node-forge builds and signs the X.509 certificates.
 */
import { createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** Every field is PEM. */
export interface HostedPki {
  readonly caCertificate: string;
  readonly caKey: string;
  readonly servingCertificate: string;
  readonly servingKey: string;
  readonly adminCertificate: string;
  readonly adminKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
}

export interface ServerNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface CertificateSubject {
  readonly commonName: string;
  /** Kubernetes reads these as the user's groups. */
  readonly organizations?: readonly string[];
}

export interface IssuedCertificate {
  readonly certificate: string;
  readonly key: string;
}

const CA_YEARS = 10;
const LEAF_YEARS = 1;
/** Clocks of the processes that verify a fresh certificate may lag this machine's a little. */
const BACKDATE_MS = 5 * 60_000;
export const ADMIN_USER = 'slipway-admin';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Made on libuv's thread pool, so a PKI's keys are made side by side and the event loop stays free. */
async function rsaKeyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKey, publicKey };
}

interface KeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

function subjectAttributes(subject: CertificateSubject): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: subject.commonName }, ...(subject.organizations ?? []).map((value) => ({ name: 'organizationName', value }))];
}

/** A positive serial of 16 random bytes, as RFC 5280 asks (at most 20 bytes, not negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

interface CertificateRequest {
  readonly subject: CertificateSubject;
  readonly publicKeyPem: string;
  readonly years: number;
  readonly now: Date;
  readonly extensions: readonly object[];
  /** Absent: self-signed with signerKeyPem. */
  readonly issuer?: forge.pki.Certificate;
  readonly signerKeyPem: string;
}

function signCertificate(request: CertificateRequest): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(request.publicKeyPem);
  certificate.serialNumber = serialNumber();
  certificate.validity.notBefore = new Date(request.now.getTime() - BACKDATE_MS);
  const notAfter = new Date(request.now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + request.years);
  certificate.validity.notAfter = notAfter;
  certificate.setSubject(subjectAttributes(request.subject));
  certificate.setIssuer(request.issuer ? request.issuer.subject.attributes : subjectAttributes(request.subject));
  const authority = request.issuer ? { name: 'authorityKeyIdentifier', keyIdentifier: request.issuer.generateSubjectKeyIdentifier().getBytes() } : undefined;
  certificate.setExtensions([...request.extensions, { name: 'subjectKeyIdentifier' }, ...(authority ? [authority] : [])]);
  certificate.sign(forge.pki.privateKeyFromPem(request.signerKeyPem), forge.md.sha256.create());
  return certificate;
}

const leafUsage = { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true };

function issueLeaf(ca: IssuedCertificate, keys: KeyPair, subject: CertificateSubject, now: Date, extensions: readonly object[]): IssuedCertificate {
  const issuer = forge.pki.certificateFromPem(ca.certificate);
  const certificate = signCertificate({ subject, publicKeyPem: keys.publicKey, years: LEAF_YEARS, now, extensions: [{ name: 'basicConstraints', cA: false, critical: true }, leafUsage, ...extensions], issuer, signerKeyPem: ca.key });
  return { certificate: forge.pki.certificateToPem(certificate), key: keys.privateKey };
}

/** A client certificate for a user (CN) in groups (O), signed by the cluster's CA. */
export async function issueClientCertificate(ca: IssuedCertificate, subject: CertificateSubject, now = new Date(), keys?: KeyPair): Promise<IssuedCertificate> {
  return issueLeaf(ca, keys ?? (await rsaKeyPair()), subject, now, [{ name: 'extKeyUsage', clientAuth: true }]);
}

export async function generateHostedPki(input: { readonly clusterName: string; readonly serverNames: ServerNames; readonly now?: Date }): Promise<HostedPki> {
  const now = input.now ?? new Date();
  const [caKeys, servingKeys, adminKeys, serviceAccount] = await Promise.all([rsaKeyPair(), rsaKeyPair(), rsaKeyPair(), rsaKeyPair()]);
  const ca = signCertificate({
    subject: { commonName: `${input.clusterName}-ca` },
    publicKeyPem: caKeys.publicKey,
    years: CA_YEARS,
    now,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true },
    ],
    signerKeyPem: caKeys.privateKey,
  });
  const caIssued = { certificate: forge.pki.certificateToPem(ca), key: caKeys.privateKey };
  const altNames = [...input.serverNames.dnsNames.map((value) => ({ type: 2, value })), ...input.serverNames.ipAddresses.map((ip) => ({ type: 7, ip }))];
  const serving = issueLeaf(caIssued, servingKeys, { commonName: 'kube-apiserver' }, now, [
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  const admin = await issueClientCertificate(caIssued, { commonName: ADMIN_USER, organizations: ['system:masters'] }, now, adminKeys);
  return {
    caCertificate: caIssued.certificate,
    caKey: caIssued.key,
    servingCertificate: serving.certificate,
    servingKey: serving.key,
    adminCertificate: admin.certificate,
    adminKey: admin.key,
    serviceAccountKey: serviceAccount.privateKey,
    serviceAccountPublicKey: createPublicKey(serviceAccount.privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
}
