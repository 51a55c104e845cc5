/**
 * What a HostedCluster's workflow asks of the management side that hosts its control plane,
 * and what a NodePool's workflow reads back from the hosted API server. Implemented by the
 * worker's control-plane activities (services/worker/control-plane-activities.ts).
 *
 * Nothing here carries a key or a kubeconfig: the PKI and the admin kubeconfig live in the
 * secret store under the names these calls return, and only activities read them.
 */

/** Which hosted cluster: the uid guards against a recreated object of the same name. */
export interface HostedClusterRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** local: etcd and kube-apiserver processes run by the stack's supervisor; kubernetes: rendered into a management cluster. */
export type ControlPlanePlacement = 'local' | 'kubernetes';

export interface ControlPlaneSecrets {
  /** Secret-store name holding the cluster's CA, serving, client and service-account keys. */
  readonly pkiSecretName: string;
  /** Secret-store name holding an admin kubeconfig that verifies the server's certificate. */
  readonly adminKubeconfigSecretName: string;
}

export interface EnsureControlPlaneInput {
  readonly ref: HostedClusterRef;
  readonly placement: ControlPlanePlacement;
  /** The Kubernetes version the release maps to, e.g. "1.34.2". */
  readonly kubernetesVersion: string;
  readonly secrets: ControlPlaneSecrets;
}

export interface ControlPlaneComponentStatus {
  readonly available: boolean;
  /** Why not, in words a user can act on; absent when available. */
  readonly message?: string;
}

export interface ControlPlaneStatus {
  readonly etcd: ControlPlaneComponentStatus;
  readonly kubeAPIServer: ControlPlaneComponentStatus;
  /** https://127.0.0.1:PORT for local placement; the Service address for kubernetes placement. */
  readonly apiServerURL?: string;
  /** The version the running kube-apiserver reports (/version gitVersion), once it answers. */
  readonly version?: string;
}

export interface HostedNode {
  readonly name: string;
  /** The Node's Ready condition. */
  readonly ready: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  /** The renewTime of the Node's Lease in kube-node-lease, ISO 8601. */
  readonly lastHeartbeat?: string;
  /** The machine the Node belongs to (its label slipway.dev/machine), when set. */
  readonly machineName?: string;
}

export interface ControlPlaneActivities {
  /** Creates the PKI and admin kubeconfig once; later calls return the same names and rotate nothing. */
  ensureHostedPki(input: { readonly ref: HostedClusterRef }): Promise<ControlPlaneSecrets>;
  /** Idempotent: starts (or renders) what is missing and reports what is running. */
  ensureControlPlane(input: EnsureControlPlaneInput): Promise<ControlPlaneStatus>;
  describeControlPlane(input: { readonly ref: HostedClusterRef; readonly placement: ControlPlanePlacement }): Promise<ControlPlaneStatus>;
  /** Idempotent: stops every process (or deletes every rendered object), frees its ports, removes its state and secrets. */
  deleteControlPlane(input: { readonly ref: HostedClusterRef; readonly placement: ControlPlanePlacement }): Promise<void>;
  /** The Nodes of the hosted API server whose label slipway.dev/node-pool equals nodePool. */
  listHostedNodes(input: { readonly ref: HostedClusterRef; readonly nodePool: string }): Promise<HostedNode[]>;
  /** Idempotent: removes a machine's Node (and its Lease) once the machine is deleted. */
  deleteHostedNode(input: { readonly ref: HostedClusterRef; readonly nodeName: string }): Promise<void>;
}
