/**
 * Secret references resolved to Kubernetes Secrets on a real kube-apiserver 1.34
 * (services/worker/kubernetes-secrets.ts): values decoded from the Secret's data, a missing
 * Secret a waiting state that names it and never a value, and the dev stack's file store
 * consulted for a Secret the cluster does not hold.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kubernetesSecretStore } from '../../services/worker/kubernetes-secrets';
import { fileSecretStore } from '../../services/worker/secrets';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';

const NAMESPACE = 'team-a';
const PLANTED = 'planted-secret-value-0f3c9a';

let server: KubeApiServer;
let home: string;

beforeAll(async () => {
  server = await startKubeApiServer();
  home = await mkdtemp(join(tmpdir(), 'slipway-kube-secrets-'));
  const core = server.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: { metadata: { name: 'aws-creds' }, stringData: { accessKeyId: 'AKIATEST', secretAccessKey: PLANTED } },
  });
});

afterAll(async () => {
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

it('reads a Secret of the object\'s namespace, decoded', async () => {
  const store = kubernetesSecretStore(server.kubeConfig);
  expect(await store.read(NAMESPACE, 'aws-creds')).toEqual({ accessKeyId: 'AKIATEST', secretAccessKey: PLANTED });
});

it('makes a missing Secret a waiting state that names it, in another namespace too, and never shows a value', async () => {
  const store = kubernetesSecretStore(server.kubeConfig);
  const missing = await store.read(NAMESPACE, 'no-such-secret').then(
    () => undefined,
    (error: unknown) => error as { type?: string; message: string },
  );
  expect(missing?.type).toBe('CredentialsNotFound');
  expect(missing?.message).toContain(`${NAMESPACE}/no-such-secret`);
  expect(missing?.message).toContain('kubectl -n team-a create secret generic no-such-secret');
  // A Secret of that name in another namespace is not this object's.
  const elsewhere = await store.read('default', 'aws-creds').then(
    () => undefined,
    (error: unknown) => error as { type?: string; message: string },
  );
  expect(elsewhere?.type).toBe('CredentialsNotFound');
  expect(JSON.stringify(elsewhere)).not.toContain(PLANTED);
});

it('looks a Secret the cluster does not hold up in the file store next, when given one', async () => {
  await mkdir(join(home, NAMESPACE), { recursive: true });
  await writeFile(join(home, NAMESPACE, 'file-only.json'), JSON.stringify({ apiKey: 'from-the-file' }), { mode: 0o600 });
  const store = kubernetesSecretStore(server.kubeConfig, fileSecretStore(home));
  expect(await store.read(NAMESPACE, 'file-only')).toEqual({ apiKey: 'from-the-file' });
  // The cluster's Secret wins over a file of the same name.
  await writeFile(join(home, NAMESPACE, 'aws-creds.json'), JSON.stringify({ accessKeyId: 'from-the-file' }), { mode: 0o600 });
  expect((await store.read(NAMESPACE, 'aws-creds')).accessKeyId).toBe('AKIATEST');
});
