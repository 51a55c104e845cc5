/**
 * A local control plane's state under SLIPWAY_HOME/control-planes/<key>/: the record of its
 * ports (chosen once, kept across restarts), its PKI files (mode 0600; never the CA key), and
 * beside them etcd's data and the logs. What the next supervisor starts again from.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { replaceFile } from '../common/replace-file';
import { join } from 'node:path';
import { freePort } from '../../infra/processes';

/** What the worker hands over for a control plane to run: its serving and service-account keys, never the CA's key. */
export interface ControlPlaneFiles {
  readonly caCertificate: string;
  readonly servingCertificate: string;
  readonly servingKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
}

export interface ControlPlanePorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiServer: number;
}

export interface ControlPlaneRecord {
  readonly key: string;
  readonly kubernetesVersion: string;
  readonly ports: ControlPlanePorts;
}

export const PKI_FILES: Record<keyof ControlPlaneFiles, string> = {
  caCertificate: 'ca.crt',
  servingCertificate: 'apiserver.crt',
  servingKey: 'apiserver.key',
  serviceAccountKey: 'sa.key',
  serviceAccountPublicKey: 'sa.pub',
};
export const controlPlaneFolders = {
  root: (home: string) => join(home, 'control-planes'),
  of: (home: string, key: string) => join(home, 'control-planes', key),
};

export async function readRecords(home: string): Promise<ControlPlaneRecord[]> {
  const root = controlPlaneFolders.root(home);
  if (!existsSync(root)) return [];
  const records: ControlPlaneRecord[] = [];
  for (const key of await readdir(root)) {
    const text = await readFile(join(root, key, 'record.json'), 'utf8').catch(() => undefined);
    if (text) records.push(JSON.parse(text) as ControlPlaneRecord);
  }
  return records;
}

/** The record of `key`, made (with fresh ports) the first time. */
export async function ensureRecord(home: string, key: string, kubernetesVersion: string): Promise<ControlPlaneRecord> {
  const dir = controlPlaneFolders.of(home, key);
  const path = join(dir, 'record.json');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text) return JSON.parse(text) as ControlPlaneRecord;
  await mkdir(join(dir, 'pki'), { recursive: true, mode: 0o700 });
  const record: ControlPlaneRecord = { key, kubernetesVersion, ports: { etcdClient: await freePort(), etcdPeer: await freePort(), apiServer: await freePort() } };
  await replaceFile(path, `${JSON.stringify(record, null, 2)}\n`, 0o644);
  return record;
}

export async function writeControlPlaneFiles(home: string, key: string, files: ControlPlaneFiles): Promise<void> {
  const pki = join(controlPlaneFolders.of(home, key), 'pki');
  await mkdir(pki, { recursive: true, mode: 0o700 });
  for (const [field, file] of Object.entries(PKI_FILES) as [keyof ControlPlaneFiles, string][]) {
    const path = join(pki, file);
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === files[field]) continue;
    await replaceFile(path, files[field], 0o600);
  }
}

export function hasControlPlaneFiles(home: string, key: string): boolean {
  const pki = join(controlPlaneFolders.of(home, key), 'pki');
  return Object.values(PKI_FILES).every((file) => existsSync(join(pki, file)));
}

/** Deletes the control plane's folder: etcd data, PKI files, logs and record. */
export async function removeControlPlaneState(home: string, key: string): Promise<void> {
  await rm(controlPlaneFolders.of(home, key), { recursive: true, force: true });
}
