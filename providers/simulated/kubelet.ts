/**
 * The simulated cloud acting as the kubelet of each machine created with a bootstrap (a hosted
 * cluster's NodePool machine): once the machine has booted it registers its Node in the hosted
 * API server with the machine's own credential, keeps the Node's Ready condition following the
 * machine, and renews the Node's Lease in kube-node-lease, as a kubelet heartbeats. It stops
 * when the machine is deleted. These Nodes run no pods: they are tainted, allow none, and no
 * container runtime stands behind them.
 */
import { ApiException, CoordinationV1Api, CoreV1Api, KubeConfig, PatchStrategy, V1MicroTime, setHeaderOptions } from '@kubernetes/client-node';
import { NODE_LEASE_NAMESPACE, type MachineBootstrap } from '../hosted-node';
import type { MachinePhase, NodeCondition } from '../types';

/** The Ready condition the Node should carry; undefined while no Node should be there (yet, or any more). */
export interface DesiredReady {
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * What the kubelet reports for a machine in `phase` whose node view (the cloud's admin API may
 * override it) is `node`: null means the node has not joined.
 */
export function desiredReady(phase: MachinePhase, node: { readonly conditions: readonly NodeCondition[] } | null): DesiredReady | undefined {
  if (phase === 'pending' || phase === 'terminated') return undefined;
  if (phase === 'failed') return { status: 'False', reason: 'MachineFailed', message: 'the machine failed to boot' };
  if (phase === 'stopping') return { status: 'False', reason: 'MachineStopping', message: 'the machine is shutting down' };
  if (node === null) return undefined;
  const ready = node.conditions.find((condition) => condition.type === 'Ready');
  if (!ready || ready.status === 'True') return { status: 'True', reason: 'KubeletReady', message: 'the simulated kubelet is posting ready status (this node runs no pods)' };
  return { status: ready.status, reason: 'KubeletNotReady', message: 'the machine reports its node not ready' };
}

export interface KubeletMachine {
  readonly id: string;
  readonly phase: MachinePhase;
  readonly privateIp?: string;
  readonly node: { readonly conditions: readonly NodeCondition[] } | null;
  readonly bootstrap: MachineBootstrap;
}

interface Clients {
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
}

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const isNotFound = (error: unknown) => error instanceof ApiException && error.code === 404;
const isConflict = (error: unknown) => error instanceof ApiException && error.code === 409;
export const LEASE_DURATION_SECONDS = 40;

/** One kubelet per machine; `sync` is called on every heartbeat tick. */
export class SimulatedKubelets {
  private readonly clients = new Map<string, Clients>();
  /** The Ready condition last written per machine, so status is patched on change only, as a kubelet with leases does. */
  private readonly reported = new Map<string, string>();

  private clientsOf(machine: KubeletMachine): Clients {
    let clients = this.clients.get(machine.id);
    if (!clients) {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(machine.bootstrap.kubeconfig);
      clients = { core: kubeConfig.makeApiClient(CoreV1Api), coordination: kubeConfig.makeApiClient(CoordinationV1Api) };
      this.clients.set(machine.id, clients);
    }
    return clients;
  }

  /** Forgets a machine that is gone: its Node stays until the NodePool deletes it, as a cloud's would. */
  forget(machineId: string): void {
    this.clients.delete(machineId);
    this.reported.delete(machineId);
  }

  /** Returns whether the machine's Node is registered, with the status it should have. */
  async sync(machine: KubeletMachine, now: Date): Promise<boolean> {
    const ready = desiredReady(machine.phase, machine.node);
    if (!ready) return false;
    const { core, coordination } = this.clientsOf(machine);
    const name = machine.bootstrap.nodeName;
    await core
      .createNode({
        body: {
          metadata: { name, labels: { ...machine.bootstrap.labels } },
          spec: { taints: [{ key: 'slipway.dev/simulated', value: 'true', effect: 'NoSchedule' }] },
        },
      })
      .catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
    const stamp = `${ready.status}/${ready.reason}`;
    if (this.reported.get(machine.id) !== stamp) {
      const conditions = [{ type: 'Ready', ...ready, lastHeartbeatTime: now.toISOString(), lastTransitionTime: now.toISOString() }];
      const addresses = [...(machine.privateIp ? [{ type: 'InternalIP', address: machine.privateIp }] : []), { type: 'Hostname', address: name }];
      const capacity = { cpu: '2', memory: '8Gi', pods: '0' };
      await core.patchNodeStatus({ name, body: { status: { conditions, addresses, capacity, allocatable: capacity } } }, mergePatch());
      this.reported.set(machine.id, stamp);
    }
    if (ready.reason === 'MachineStopping' || ready.reason === 'MachineFailed') return true;
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: new V1MicroTime(now.getTime()) };
    try {
      await coordination.patchNamespacedLease({ name, namespace: NODE_LEASE_NAMESPACE, body: { spec } }, mergePatch());
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await coordination.createNamespacedLease({ namespace: NODE_LEASE_NAMESPACE, body: { metadata: { name }, spec } });
    }
    return true;
  }
}
