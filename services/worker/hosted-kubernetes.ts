/**
 * Kubernetes placement: the rendered control plane (hosted-control-plane-manifests.ts) applied
 * to the management cluster with server-side apply, its readiness read from the StatefulSet and
 * Deployment, and every object deleted with the namespace on delete.
 */
import { ApiException, AppsV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { ControlPlaneComponentStatus, ControlPlaneStatus, HostedClusterRef } from '../../workflows/hosted-cluster/control-plane-api';
import { controlPlaneNamespace } from './hosted-names';
import type { HostedPki } from './hosted-pki';
import { RENDERED_NAMES, apiServerServiceURL, renderHostedControlPlane, renderedObjectHeaders, type ControlPlaneImages } from './hosted-control-plane-manifests';

export const FIELD_MANAGER = 'slipway';

export interface KubernetesPlacement {
  apply(ref: HostedClusterRef, pki: HostedPki, kubernetesVersion: string): Promise<ControlPlaneStatus>;
  describe(ref: HostedClusterRef): Promise<ControlPlaneStatus>;
  /** Deletes every rendered object and the namespace; what is gone already is fine. */
  remove(ref: HostedClusterRef): Promise<void>;
}

const isNotFound = (error: unknown) => error instanceof ApiException && error.code === 404;

function readiness(what: string, ready: number | undefined, wanted: number | undefined): ControlPlaneComponentStatus {
  const want = wanted ?? 1;
  return (ready ?? 0) >= want ? { available: true } : { available: false, message: `${what} has ${ready ?? 0} of ${want} replicas ready` };
}

export function kubernetesPlacement(kubeConfig: KubeConfig, images?: ControlPlaneImages): KubernetesPlacement {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const apps = kubeConfig.makeApiClient(AppsV1Api);

  const describe = async (ref: HostedClusterRef): Promise<ControlPlaneStatus> => {
    const namespace = controlPlaneNamespace(ref);
    const etcd = await apps.readNamespacedStatefulSet({ name: RENDERED_NAMES.etcd, namespace }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
    const apiServer = await apps.readNamespacedDeployment({ name: RENDERED_NAMES.kubeAPIServer, namespace }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
    const missing = (what: string): ControlPlaneComponentStatus => ({ available: false, message: `the ${what} in namespace ${namespace} of the management cluster does not exist` });
    return {
      etcd: etcd ? readiness(`etcd StatefulSet ${namespace}/${RENDERED_NAMES.etcd}`, etcd.status?.readyReplicas, etcd.spec?.replicas) : missing('etcd StatefulSet'),
      kubeAPIServer: apiServer ? readiness(`kube-apiserver Deployment ${namespace}/${RENDERED_NAMES.kubeAPIServer}`, apiServer.status?.availableReplicas, apiServer.spec?.replicas) : missing('kube-apiserver Deployment'),
      apiServerURL: apiServerServiceURL(ref),
    };
  };

  return {
    async apply(ref, pki, kubernetesVersion) {
      // In order: the namespace before what lives in it, the Secrets before the pods that mount them.
      for (const object of renderHostedControlPlane({ ref, pki, kubernetesVersion, ...(images ? { images } : {}) })) {
        await objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      }
      return describe(ref);
    },

    describe,

    async remove(ref) {
      for (const header of renderedObjectHeaders(ref).reverse()) {
        await objects.delete(header, undefined, undefined, undefined, undefined, 'Background').catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
      }
    },
  };
}
