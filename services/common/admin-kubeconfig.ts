/**
 * Reads a hosted cluster's admin kubeconfig from the secret store, where ensureHostedPki put it
 * (under the name HostedCluster status.kubeconfig carries, in the cluster's namespace, as the
 * field `kubeconfig`, as HyperShift's <name>-admin-kubeconfig Secret holds it). Server-side only:
 * no workflow or activity sees the text, and no error repeats it.
 */
import type { SecretStore } from '../worker/secrets';

export const ADMIN_KUBECONFIG_FIELD = 'kubeconfig';

export class AdminKubeconfigUnavailable extends Error {
  constructor(
    message: string,
    /** True when it is not there yet (the control plane is still coming up); false when it is there but unreadable. */
    readonly missing: boolean,
  ) {
    super(message);
  }
}

export async function readAdminKubeconfig(secrets: SecretStore, secretName: { readonly namespace: string; readonly name: string }): Promise<string> {
  let data: Readonly<Record<string, string>>;
  try {
    data = await secrets.read(secretName.namespace, secretName.name);
  } catch (error) {
    // The store's own messages name the secret and the file, never the content.
    const type = (error as { type?: unknown }).type;
    throw new AdminKubeconfigUnavailable(error instanceof Error ? error.message : String(error), type === 'CredentialsNotFound');
  }
  const kubeconfig = data[ADMIN_KUBECONFIG_FIELD];
  if (kubeconfig === undefined || kubeconfig.trim() === '') {
    throw new AdminKubeconfigUnavailable(`secret ${secretName.namespace}/${secretName.name} holds no "${ADMIN_KUBECONFIG_FIELD}" field`, false);
  }
  return kubeconfig;
}
