/**
 * Secret references resolved to Kubernetes Secrets in the object's namespace, on the management
 * cluster the worker is given (SLIPWAY_KUBECONFIG), as Hive and Cluster API read them. Read
 * inside activities only, like the file store; a value never leaves the worker. With
 * `fallback`, a Secret the cluster does not hold is looked up there next (the dev stack keeps
 * its file store beside the cluster's Secrets).
 */
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import type { SecretData, SecretStore } from './secrets';

export function kubeConfigFrom(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

export function kubernetesSecretStore(kubeConfig: KubeConfig, fallback?: SecretStore): SecretStore {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async read(namespace, name) {
      let data: Record<string, string> | undefined;
      try {
        data = (await core.readNamespacedSecret({ name, namespace })).data ?? {};
      } catch (error) {
        const status = error instanceof ApiException ? error.code : undefined;
        if (status === 404) {
          if (fallback) return fallback.read(namespace, name);
          throw ApplicationFailure.nonRetryable(
            `Secret ${namespace}/${name} was not found on the management cluster. Create it (kubectl -n ${namespace} create secret generic ${name} --from-literal=...) with the credential's fields; Slipway waits and goes on by itself once it exists.`,
            'CredentialsNotFound',
          );
        }
        if (status === 401 || status === 403) {
          throw ApplicationFailure.nonRetryable(
            `the worker may not read Secret ${namespace}/${name} on the management cluster (HTTP ${status}); grant its identity "get" on secrets in ${namespace}, and Slipway goes on by itself.`,
            'CredentialsNotFound',
          );
        }
        // The cluster is unreachable or failing: a plain error, retried as the activity's policy says.
        throw new Error(`reading Secret ${namespace}/${name} from the management cluster failed${status ? ` (HTTP ${status})` : ''}; Slipway tries again`);
      }
      const decoded: SecretData = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
      return decoded;
    },
  };
}
