/**
 * A hosted cluster's PKI and admin kubeconfig in the secret store: made once, read by
 * activities (and by the API for `slipway kubeconfig hc/NAME`), never handed to a workflow.
 */
import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'yaml';
import type { ControlPlaneSecrets, HostedClusterRef } from '../../workflows/hosted-cluster/control-plane-api';
import { apiServerNames, hostedSecretNames } from './hosted-names';
import { ADMIN_USER, generateHostedPki, type HostedPki } from './hosted-pki';
import type { SecretData, SecretStore, WritableSecretStore } from './secrets';

const PKI_FIELDS = ['caCertificate', 'caKey', 'servingCertificate', 'servingKey', 'adminCertificate', 'adminKey', 'serviceAccountKey', 'serviceAccountPublicKey'] as const;

async function readIfPresent(store: SecretStore, namespace: string, name: string): Promise<SecretData | undefined> {
  try {
    return await store.read(namespace, name);
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type === 'CredentialsNotFound') return undefined;
    throw error;
  }
}

function pkiFrom(data: SecretData, where: string): HostedPki {
  const missing = PKI_FIELDS.filter((field) => !data[field]);
  if (missing.length > 0) {
    // Never made again silently: a new CA would lock out every node and kubeconfig already issued.
    throw ApplicationFailure.nonRetryable(`the hosted cluster's PKI secret ${where} lacks ${missing.join(', ')}; restore it from a backup, or delete the secret to have a new PKI made (every issued kubeconfig then stops working).`, 'PkiDamaged');
  }
  return Object.fromEntries(PKI_FIELDS.map((field) => [field, data[field]])) as unknown as HostedPki;
}

/**
 * Makes the PKI, admin credential included, if it is not there yet; an existing PKI is never
 * replaced. The admin kubeconfig secret follows once the API server's address is known
 * (recordApiServerURL): until then it is absent, which readers take as "not yet".
 */
export async function ensureHostedPkiSecrets(store: WritableSecretStore, ref: HostedClusterRef): Promise<ControlPlaneSecrets> {
  const names = hostedSecretNames(ref);
  const existing = await readIfPresent(store, ref.namespace, names.pkiSecretName);
  if (existing) pkiFrom(existing, `${ref.namespace}/${names.pkiSecretName}`);
  else {
    const pki = await generateHostedPki({ clusterName: ref.name, serverNames: apiServerNames(ref) });
    await store.write(ref.namespace, names.pkiSecretName, { ...pki, uid: ref.uid }, { ifAbsent: true });
  }
  return names;
}

export async function readHostedPki(store: SecretStore, ref: HostedClusterRef): Promise<HostedPki> {
  const name = hostedSecretNames(ref).pkiSecretName;
  return pkiFrom(await store.read(ref.namespace, name), `${ref.namespace}/${name}`);
}

/** Writes the admin kubeconfig for the address the API server answers at, from the PKI's admin credential; again only if the address moved. */
export async function recordApiServerURL(store: WritableSecretStore, ref: HostedClusterRef, server: string): Promise<void> {
  const name = hostedSecretNames(ref).adminKubeconfigSecretName;
  if ((await readHostedApiServerURL(store, ref)) === server) return;
  const pki = await readHostedPki(store, ref);
  const kubeconfig = renderKubeconfig({ clusterName: ref.name, server, caCertificate: pki.caCertificate, user: ADMIN_USER, clientCertificate: pki.adminCertificate, clientKey: pki.adminKey });
  await store.write(ref.namespace, name, { uid: ref.uid, server, kubeconfig });
}

/** Where the API server answers, once its control plane has started; undefined before. */
export async function readHostedApiServerURL(store: SecretStore, ref: HostedClusterRef): Promise<string | undefined> {
  const admin = await readIfPresent(store, ref.namespace, hostedSecretNames(ref).adminKubeconfigSecretName);
  return admin?.kubeconfig ? admin.server : undefined;
}

/**
 * The admin kubeconfig of a hosted cluster (what `slipway kubeconfig hc/NAME` prints). It
 * verifies the server by the cluster's CA. Fails with type ControlPlaneNotReady until the
 * control plane has answered once and its address is known.
 */
export async function readHostedAdminKubeconfig(store: SecretStore, ref: HostedClusterRef): Promise<string> {
  const name = hostedSecretNames(ref).adminKubeconfigSecretName;
  const admin = await readIfPresent(store, ref.namespace, name);
  if (!admin?.kubeconfig) {
    throw ApplicationFailure.nonRetryable(`hosted cluster ${ref.namespace}/${ref.name} has no kubeconfig yet: its control plane has not started; wait for its ControlPlaneAvailable condition.`, 'ControlPlaneNotReady');
  }
  return admin.kubeconfig;
}

export interface KubeconfigInput {
  readonly clusterName: string;
  readonly server: string;
  readonly caCertificate: string;
  readonly user: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

/** A kubeconfig with one cluster, one user and one context, credentials embedded. */
export function renderKubeconfig(input: KubeconfigInput): string {
  const base64 = (pem: string) => Buffer.from(pem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.clusterName, cluster: { server: input.server, 'certificate-authority-data': base64(input.caCertificate) } }],
    users: [{ name: input.user, user: { 'client-certificate-data': base64(input.clientCertificate), 'client-key-data': base64(input.clientKey) } }],
    contexts: [{ name: `${input.user}@${input.clusterName}`, context: { cluster: input.clusterName, user: input.user } }],
    'current-context': `${input.user}@${input.clusterName}`,
  });
}

/** Removes both secrets; missing ones are fine. */
export async function removeHostedSecrets(store: WritableSecretStore, ref: HostedClusterRef): Promise<void> {
  const names = hostedSecretNames(ref);
  await store.remove(ref.namespace, names.adminKubeconfigSecretName);
  await store.remove(ref.namespace, names.pkiSecretName);
}
