/**
 * The supervisor process of the dev stack: runs each hosted cluster's local control plane
 * (etcd and kube-apiserver) and keeps it running. State lives under SLIPWAY_HOME/control-planes;
 * a start brings back every control plane recorded there. Prints {"listening": URL} once it serves.
 *
 * Environment: SLIPWAY_HOME, SLIPWAY_SUPERVISOR_TOKEN (required), SLIPWAY_SUPERVISOR_PORT
 * (default: any free port), ETCD_BIN, KUBE_APISERVER_BIN, SLIPWAY_ETCD_UNSAFE_NO_FSYNC=1 (tests).
 */
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../common/config';
import { createSupervisor } from './server';

function required(name: string, hint: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${hint}`);
  return value;
}

const home = loadConfig().home;
const token = required('SLIPWAY_SUPERVISOR_TOKEN', 'the worker authenticates with it; the dev stack sets it.');
const etcd = required('ETCD_BIN', "start the stack with `npm run dev`, which builds etcd 3.6 (infra/tools.sh ensure_etcd) and sets it.");
const kubeAPIServer = required('KUBE_APISERVER_BIN', "start the stack with `npm run dev`, which builds kube-apiserver 1.34 (infra/tools.sh ensure_kube_apiserver) and sets it.");
const kubeAPIServerVersion = /v\d+\.\d+\.\d+\S*/.exec(execFileSync(kubeAPIServer, ['--version'], { encoding: 'utf8' }))?.[0];
if (!kubeAPIServerVersion) throw new Error(`${kubeAPIServer} --version did not print a version`);

const supervisor = createSupervisor({
  home,
  token,
  kubeAPIServerVersion,
  binaries: { etcd, kubeAPIServer },
  etcdUnsafeNoFsync: process.env.SLIPWAY_ETCD_UNSAFE_NO_FSYNC === '1',
});
await supervisor.startRecorded();
supervisor.server.listen(Number(process.env.SLIPWAY_SUPERVISOR_PORT ?? 0), '127.0.0.1', () => {
  const address = supervisor.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${port}` })}\n`);
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  supervisor.server.close();
  supervisor.server.closeAllConnections();
  void supervisor.stopAll().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
