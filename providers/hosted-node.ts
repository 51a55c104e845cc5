/**
 * A machine that joins a hosted cluster as a Node, as a kubelet's does: what the machine is
 * given at creation (like ignition user data) and the labels its Node carries, which is how
 * the NodePool's health is read back (services/worker/control-plane-activities.ts listHostedNodes).
 */

export const NODE_LABEL = {
  machine: 'slipway.dev/machine',
  nodePool: 'slipway.dev/node-pool',
  hostname: 'kubernetes.io/hostname',
} as const;

/** Where a kubelet keeps its heartbeat: a Lease named after its Node. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/**
 * Resolved inside the createMachine activity from the secret store, never carried by a workflow.
 * The kubeconfig holds the machine's own client certificate (user system:node:NODE, group
 * system:nodes), which the hosted API server's Node authorizer lets register that Node only.
 */
export interface MachineBootstrap {
  readonly apiServerURL: string;
  readonly kubeconfig: string;
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
}
