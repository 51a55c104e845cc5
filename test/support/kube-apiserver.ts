/**
 * Starts a real kube-apiserver (1.34, built by infra/tools.sh) on its own etcd (3.6), both on
 * free loopback ports, for a test file that needs a management cluster. It has no nodes and no
 * controllers: enough for CRDs and custom objects. Callers authenticate with a static token of
 * a system:masters user and trust the self-signed serving certificate the server writes.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../../infra/processes';
import { startPeerOnFreePort, type PeerProcess } from './peer-process';

export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** The bearer token of a cluster admin (group system:masters). */
  readonly token: string;
  /** The PEM of the self-signed certificate the server serves, to verify it by. */
  readonly caCertificate: string;
  readonly kubeConfig: KubeConfig;
  /** The etcd and kube-apiserver processes, for benchmarks that measure what they cost. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const ADMIN_USER = 'slipway-test-admin';
/** The first start builds its self-signed certificates and bootstrap RBAC; a busy two-core machine is slow. */
const APISERVER_STARTUP_MS = 120_000;

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-kube-'));
  const started: PeerProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const peer of started.reverse()) await peer.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const etcd = await startEtcd(dir);
    started.push(etcd.peer);
    const apiserver = await startApiServer(dir, etcd.clientUrl);
    started.push(apiserver.peer);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'test', server: apiserver.url, caData: Buffer.from(apiserver.caCertificate).toString('base64'), skipTLSVerify: false }],
      users: [{ name: ADMIN_USER, token: apiserver.token }],
      contexts: [{ name: 'test', cluster: 'test', user: ADMIN_USER }],
      currentContext: 'test',
    });
    const pids = started.map((peer) => peer.pid).filter((pid): pid is number => pid !== undefined);
    return { url: apiserver.url, token: apiserver.token, caCertificate: apiserver.caCertificate, kubeConfig, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startEtcd(dir: string): Promise<{ readonly peer: PeerProcess; readonly clientUrl: string }> {
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const { peer, port } = await startPeerOnFreePort((clientPort) => ({
    name: 'etcd',
    binaryEnv: 'ETCD_BIN',
    args: [
      '--name', 'slipway-test',
      '--data-dir', join(dir, `etcd-${clientPort}`),
      '--listen-client-urls', `http://127.0.0.1:${clientPort}`,
      '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `slipway-test=${peerUrl}`,
      // A test's data does not need to survive a power cut; fsync on a shared disk is the slowest part.
      '--unsafe-no-fsync',
    ],
    ready: async () => (await fetch(`http://127.0.0.1:${clientPort}/health`)).ok,
  }));
  return { peer, clientUrl: `http://127.0.0.1:${port}` };
}

async function startApiServer(dir: string, etcdUrl: string): Promise<{ readonly peer: PeerProcess; readonly url: string; readonly token: string; readonly caCertificate: string }> {
  const token = randomBytes(24).toString('hex');
  const tokenFile = join(dir, 'tokens.csv');
  await writeFile(tokenFile, `${token},${ADMIN_USER},${ADMIN_USER},system:masters\n`, { mode: 0o600 });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const serviceAccountPublicKey = join(dir, 'sa.pub');
  const serviceAccountPrivateKey = join(dir, 'sa.key');
  await writeFile(serviceAccountPublicKey, publicKey);
  await writeFile(serviceAccountPrivateKey, privateKey, { mode: 0o600 });

  const { peer, port } = await startPeerOnFreePort((securePort) => {
    const certDir = join(dir, `certs-${securePort}`);
    return {
      name: 'kube-apiserver',
      binaryEnv: 'KUBE_APISERVER_BIN',
      args: [
        '--etcd-servers', etcdUrl,
        '--bind-address', '127.0.0.1',
        '--advertise-address', '127.0.0.1',
        '--secure-port', String(securePort),
        '--cert-dir', certDir,
        '--token-auth-file', tokenFile,
        '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
        '--service-account-key-file', serviceAccountPublicKey,
        '--service-account-signing-key-file', serviceAccountPrivateKey,
        '--authorization-mode', 'RBAC',
        '--service-cluster-ip-range', '10.96.0.0/24',
        // With no controller manager, no service-account tokens are ever made for pods to mount.
        '--disable-admission-plugins', 'ServiceAccount',
      ],
      startupTimeoutMs: APISERVER_STARTUP_MS,
      ready: () => answersReadyz(securePort, join(certDir, 'apiserver.crt'), token),
    };
  });
  const caCertificate = await readFile(join(dir, `certs-${port}`, 'apiserver.crt'), 'utf8');
  return { peer, url: `https://127.0.0.1:${port}`, token, caCertificate };
}

async function answersReadyz(port: number, certificateFile: string, token: string): Promise<boolean> {
  if (!existsSync(certificateFile)) return false;
  const ca = await readFile(certificateFile, 'utf8');
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, path: '/readyz', method: 'GET', ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    probe.once('error', () => resolve(false));
    probe.once('timeout', () => probe.destroy());
    probe.end();
  });
}
