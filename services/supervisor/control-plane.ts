/**
 * One hosted cluster's local control plane running: an etcd and a kube-apiserver on the ports
 * its record holds (control-plane-state.ts), and what each of them answers right now.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { startComponent, type Component, type ComponentState } from './component';
import { PKI_FILES, controlPlaneFolders, type ControlPlanePorts, type ControlPlaneRecord } from './control-plane-state';
import type { BackoffPolicy } from './restart-backoff';

export interface ComponentReport extends ComponentState {
  readonly available: boolean;
  readonly message?: string;
}

export interface ControlPlaneReport {
  readonly key: string;
  readonly etcd: ComponentReport;
  readonly kubeAPIServer: ComponentReport;
  readonly apiServerURL: string;
  readonly ports: ControlPlanePorts;
  /** The gitVersion /version answers, once it answers. */
  readonly version?: string;
}

export interface Binaries {
  readonly etcd: string;
  readonly kubeAPIServer: string;
}

export interface ControlPlaneSettings {
  readonly binaries: Binaries;
  /** Skip etcd's fsync: for tests, whose data need not outlive a power cut. */
  readonly etcdUnsafeNoFsync?: boolean;
  readonly backoff?: BackoffPolicy;
}

const PROBE_TIMEOUT_MS = 3_000;

function etcdArgs(dir: string, ports: ControlPlanePorts, unsafeNoFsync: boolean): string[] {
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  return [
    '--name', 'control-plane',
    '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `control-plane=${peer}`,
    ...(unsafeNoFsync ? ['--unsafe-no-fsync'] : []),
  ];
}

function apiServerArgs(dir: string, ports: ControlPlanePorts): string[] {
  const pki = join(dir, 'pki');
  return [
    '--etcd-servers', `http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address', '127.0.0.1',
    '--advertise-address', '127.0.0.1',
    '--secure-port', String(ports.apiServer),
    '--tls-cert-file', join(pki, PKI_FILES.servingCertificate),
    '--tls-private-key-file', join(pki, PKI_FILES.servingKey),
    '--client-ca-file', join(pki, PKI_FILES.caCertificate),
    '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
    '--service-account-key-file', join(pki, PKI_FILES.serviceAccountPublicKey),
    '--service-account-signing-key-file', join(pki, PKI_FILES.serviceAccountKey),
    // Node and NodeRestriction: a machine's client certificate (system:node:NAME) may register its own Node and Lease, and no other.
    '--authorization-mode', 'Node,RBAC',
    '--enable-admission-plugins', 'NodeRestriction',
    '--service-cluster-ip-range', '10.96.0.0/24',
    // No controller manager runs, so no service-account tokens are ever made for pods to mount.
    '--disable-admission-plugins', 'ServiceAccount',
  ];
}

function httpsGet(port: number, path: string, ca: string): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve, reject) => {
    const probe = request({ host: '127.0.0.1', port, path, method: 'GET', ca, timeout: PROBE_TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    probe.once('error', reject);
    probe.once('timeout', () => probe.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    probe.end();
  });
}

function notRunning(name: string, state: ComponentState): string {
  if (state.nextStartAt) return `${name} ${state.lastExit ?? 'stopped'}; the supervisor starts it again at ${state.nextStartAt} (restart ${state.restarts + 1})`;
  return `${name} is not running${state.lastExit ? ` (${state.lastExit})` : ''}`;
}

export interface RunningControlPlane {
  readonly record: ControlPlaneRecord;
  report(): Promise<ControlPlaneReport>;
  stop(): Promise<void>;
}

export async function runControlPlane(home: string, record: ControlPlaneRecord, settings: ControlPlaneSettings): Promise<RunningControlPlane> {
  const dir = controlPlaneFolders.of(home, record.key);
  const component = (name: string, binary: string, args: string[]): Promise<Component> =>
    startComponent({ name, binary, args, logFile: join(dir, `${name}.log`), pidFile: join(dir, `${name}.pid`), marker: dir, ...(settings.backoff ? { backoff: settings.backoff } : {}) });
  const etcd = await component('etcd', settings.binaries.etcd, etcdArgs(dir, record.ports, settings.etcdUnsafeNoFsync ?? false));
  const apiServer = await component('kube-apiserver', settings.binaries.kubeAPIServer, apiServerArgs(dir, record.ports));
  const ca = () => readFile(join(dir, 'pki', PKI_FILES.caCertificate), 'utf8');

  const etcdReport = async (): Promise<ComponentReport> => {
    const state = etcd.state();
    if (!state.running) return { ...state, available: false, message: notRunning('etcd', state) };
    const healthy = await fetch(`http://127.0.0.1:${record.ports.etcdClient}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      .then(async (response) => response.ok && ((await response.json()) as { health?: string }).health === 'true')
      .catch(() => false);
    return healthy ? { ...state, available: true } : { ...state, available: false, message: `etcd runs (pid ${state.pid}) but does not answer /health yet; see ${join(dir, 'etcd.log')}` };
  };

  const apiServerReport = async (): Promise<{ readonly report: ComponentReport; readonly version?: string }> => {
    const state = apiServer.state();
    if (!state.running) return { report: { ...state, available: false, message: notRunning('kube-apiserver', state) } };
    try {
      const authority = await ca();
      const ready = await httpsGet(record.ports.apiServer, '/readyz', authority);
      if (ready.status !== 200) return { report: { ...state, available: false, message: `kube-apiserver is not ready yet (/readyz answered ${ready.status})` } };
      const version = JSON.parse((await httpsGet(record.ports.apiServer, '/version', authority)).body) as { gitVersion?: string };
      return { report: { ...state, available: true }, ...(version.gitVersion ? { version: version.gitVersion } : {}) };
    } catch (error) {
      return { report: { ...state, available: false, message: `kube-apiserver runs (pid ${state.pid}) but does not answer yet: ${error instanceof Error ? error.message : String(error)}` } };
    }
  };

  return {
    record,
    async report() {
      const [etcdState, apiServerState] = await Promise.all([etcdReport(), apiServerReport()]);
      return {
        key: record.key,
        etcd: etcdState,
        kubeAPIServer: apiServerState.report,
        apiServerURL: `https://127.0.0.1:${record.ports.apiServer}`,
        ports: record.ports,
        ...(apiServerState.version ? { version: apiServerState.version } : {}),
      };
    },
    async stop() {
      await apiServer.stop();
      await etcd.stop();
    },
  };
}
