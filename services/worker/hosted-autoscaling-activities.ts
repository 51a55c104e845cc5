/**
 * What a NodePool's autoscaler reads from its hosted API server: what one Node offers, the
 * Pods that wait for room, and which of the pool's Nodes run nothing. The admin kubeconfig is
 * read from the secret store here and never leaves this activity.
 *
 * The hosted control planes run no scheduler, so a Pod without a Node counts as waiting from
 * the time the scheduler said so (PodScheduled=False) or, with no such condition, from its
 * creation.
 */
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import type { AutoscalingActivities, AutoscalingObservation } from '../../workflows/node-pool/activities-api';
import type { Resources } from '../../workflows/planners/hosted/autoscaling';
import { NODE_LABEL } from '../../providers/hosted-node';
import { readHostedAdminKubeconfig } from './hosted-secrets';
import type { SecretStore } from './secrets';

const toNumber = (quantity: string | undefined, scale: number): number => {
  if (!quantity) return 0;
  return Number(quantityToScalar(quantity)) * scale;
};

/** CPU in millicores and memory in bytes, from Kubernetes quantities ("2", "500m", "8Gi"). */
export function resourcesOf(quantities: Readonly<Record<string, string>> | undefined): Resources {
  const cpu = quantities?.cpu;
  const millicores = cpu?.endsWith('m') ? Number(cpu.slice(0, -1)) : toNumber(cpu, 1000);
  return { cpu: Math.ceil(millicores), memoryBytes: Math.ceil(toNumber(quantities?.memory, 1)) };
}

function podRequests(pod: V1Pod): Resources {
  return (pod.spec?.containers ?? []).reduce<Resources>(
    (total, container) => {
      const requests = resourcesOf(container.resources?.requests);
      return { cpu: total.cpu + requests.cpu, memoryBytes: total.memoryBytes + requests.memoryBytes };
    },
    { cpu: 0, memoryBytes: 0 },
  );
}

/** DaemonSet and mirror Pods run on every Node: they do not make a Node busy. */
function countsAsWork(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror']) return false;
  if (pod.metadata?.ownerReferences?.some((owner) => owner.kind === 'DaemonSet')) return false;
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/** The observation the autoscaling rule takes, from the Nodes of one pool and every Pod. Pure. */
export function autoscalingObservationOf(nodes: readonly { name: string; machineName?: string; allocatable?: Record<string, string> }[], pods: readonly V1Pod[]): AutoscalingObservation {
  const busy = new Set(pods.filter((pod) => pod.spec?.nodeName && countsAsWork(pod)).map((pod) => pod.spec?.nodeName));
  const pendingPods = pods
    .filter((pod) => !pod.spec?.nodeName && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
    .filter((pod) => !pod.status?.conditions?.some((condition) => condition.type === 'PodScheduled' && condition.status === 'True'))
    .map((pod) => {
      const unschedulable = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled' && condition.status === 'False');
      const since = unschedulable?.lastTransitionTime ?? pod.metadata?.creationTimestamp ?? new Date();
      return { name: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`, requests: podRequests(pod), pendingSince: new Date(since).toISOString() };
    });
  return {
    nodeAllocatable: resourcesOf(nodes[0]?.allocatable),
    pendingPods,
    nodes: nodes.map((node) => ({ name: node.name, ...(node.machineName ? { machineName: node.machineName } : {}), empty: !busy.has(node.name) })),
  };
}

export function createAutoscalingActivities(deps: { readonly secrets: SecretStore }): AutoscalingActivities {
  return {
    async readAutoscalingInput({ ref, nodePool }) {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(await readHostedAdminKubeconfig(deps.secrets, ref));
      const core = kubeConfig.makeApiClient(CoreV1Api);
      const [nodes, pods] = await Promise.all([core.listNode({ labelSelector: `${NODE_LABEL.nodePool}=${nodePool}` }), core.listPodForAllNamespaces()]);
      return autoscalingObservationOf(
        nodes.items.map((node) => ({
          name: node.metadata?.name ?? '',
          ...(node.metadata?.labels?.[NODE_LABEL.machine] ? { machineName: node.metadata.labels[NODE_LABEL.machine] } : {}),
          ...(node.status?.allocatable ? { allocatable: node.status.allocatable } : {}),
        })),
        pods.items,
      );
    },
  };
}
