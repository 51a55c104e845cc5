/** Builders for HostedCluster and NodePool objects as the API accepts them, and a fake hosted control plane for stubbed-activity workflow tests. */
import { randomUUID } from 'node:crypto';
import type { HostedCluster } from '../../crds/schemas/hosted-cluster';
import type { NodePool } from '../../crds/schemas/node-pool';
import { validateObject } from '../../crds/validate';
import type { ControlPlaneActivities, ControlPlaneStatus, HostedNode } from '../../workflows/hosted-cluster/control-plane-api';
import type { AutoscalingActivities, AutoscalingObservation } from '../../workflows/node-pool/activities-api';

export const RELEASE_4_20 = 'quay.io/openshift-release-dev/ocp-release:4.20.1-x86_64';
export const RELEASE_4_21 = 'quay.io/openshift-release-dev/ocp-release:4.21.0-x86_64';
/** The spec part that gives a HostedCluster a release the local stack runs: OpenShift 4.21 is Kubernetes 1.34, its kube-apiserver's version. */
export const LOCAL_RELEASE = { release: { image: RELEASE_4_21 } } as const;

export function hostedClusterManifest(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'HostedCluster',
    metadata: { name },
    spec: { release: { image: RELEASE_4_20 }, platform: { type: 'Simulated', simulated: { region: 'local-1' } }, dns: { baseDomain: 'example.test' }, ...spec },
  };
}

export function nodePoolManifest(name: string, clusterName: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'NodePool',
    metadata: { name },
    spec: { clusterName, release: { image: RELEASE_4_20 }, platform: { type: 'Simulated', simulated: { instanceType: 'm6i.large' } }, replicas: 2, ...spec },
  };
}

function accepted<T>(kind: 'HostedCluster' | 'NodePool', manifest: { metadata: Record<string, unknown> }): T {
  const result = validateObject(kind, { ...manifest, metadata: { ...manifest.metadata, namespace: 'default', uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString() } });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.object as T;
}

export function hostedClusterObject(name: string, spec: Record<string, unknown> = {}): HostedCluster {
  return accepted<HostedCluster>('HostedCluster', hostedClusterManifest(name, spec));
}

export function nodePoolObject(name: string, clusterName: string, spec: Record<string, unknown> = {}): NodePool {
  return accepted<NodePool>('NodePool', nodePoolManifest(name, clusterName, spec));
}

/**
 * A stand-in for the hosted control plane: components come up after a number of
 * ensureControlPlane calls, every call is logged in order, and Nodes are the machines a fake
 * cloud holds (one Ready Node per machine unless a test marks it otherwise).
 */
export function fakeControlPlane(machines: () => Iterable<string>, options: { readonly startsAfterCalls?: number } = {}) {
  const calls: string[] = [];
  const notReady = new Set<string>();
  const deletedNodes: string[] = [];
  const registered: string[] = [];
  let ensureCalls = 0;
  let running: ControlPlaneStatus | undefined;
  const state = { autoscaling: undefined as AutoscalingObservation | undefined, describeFailure: undefined as ControlPlaneStatus | undefined };
  const up = (kubernetesVersion: string): ControlPlaneStatus => ({
    etcd: { available: true },
    kubeAPIServer: { available: true },
    apiServerURL: 'https://127.0.0.1:16443',
    // A minor-only version ("1.33") runs as its .2 patch release.
    version: `v${kubernetesVersion}${kubernetesVersion.split('.').length === 2 ? '.2' : ''}`,
  });
  const activities: ControlPlaneActivities & AutoscalingActivities = {
    ensureHostedPki: async ({ ref }) => {
      calls.push('ensureHostedPki');
      return { pkiSecretName: `${ref.name}-pki`, adminKubeconfigSecretName: `${ref.name}-admin-kubeconfig` };
    },
    ensureControlPlane: async (input) => {
      calls.push(`ensureControlPlane ${input.kubernetesVersion}`);
      ensureCalls += 1;
      running = ensureCalls > (options.startsAfterCalls ?? 0) ? up(input.kubernetesVersion) : { etcd: { available: true }, kubeAPIServer: { available: false, message: 'kube-apiserver is starting' } };
      return running;
    },
    describeControlPlane: async () => {
      calls.push('describeControlPlane');
      const failure = state.describeFailure;
      state.describeFailure = undefined;
      return failure ?? running ?? { etcd: { available: false }, kubeAPIServer: { available: false } };
    },
    deleteControlPlane: async () => {
      calls.push('deleteControlPlane');
      running = undefined;
    },
    // A machine's Node registers once it runs and stays, as a kubelet's does, until it is deleted.
    listHostedNodes: async ({ nodePool }) => {
      for (const machine of machines()) if (!registered.includes(machine) && !deletedNodes.includes(machine)) registered.push(machine);
      const nodes: HostedNode[] = registered
        .filter((machine) => machine.includes(`-${nodePool}-`))
        .map((machine) => ({ name: machine, machineName: machine, ready: notReady.has(machine) ? 'False' : 'True', ...(notReady.has(machine) ? { reason: 'KubeletStopped' } : {}) }));
      return nodes;
    },
    deleteHostedNode: async ({ nodeName }) => {
      if (!registered.includes(nodeName)) return;
      registered.splice(registered.indexOf(nodeName), 1);
      deletedNodes.push(nodeName);
    },
    readAutoscalingInput: async () => state.autoscaling ?? { nodeAllocatable: { cpu: 4000, memoryBytes: 16 * 1024 ** 3 }, pendingPods: [], nodes: [] },
  };
  return { activities, calls, notReady, deletedNodes, registered, state };
}

