/**
 * The NodePool autoscaler's rule, over what the hosted API server shows. Pure; the workflow
 * gathers the input (readAutoscalingInput) and applies the decision.
 *
 * - Scale up: Pods that have had no Node for longer than scaleUpAfterSeconds ask for room. The
 *   pool grows by the Nodes their requests fill (CPU and memory, each rounded up to whole Nodes,
 *   the larger of the two), at most to max. A Pod that would not fit on an empty Node is left out:
 *   no number of Nodes of this size can hold it.
 * - Scale down: only when nothing waits for room. Nodes that have run no Pod (DaemonSets and
 *   mirror Pods aside) for longer than scaleDownAfterSeconds are removed, never below min.
 * - The size always stays within [min, max]: a current size outside them is brought inside first.
 */

export interface Resources {
  /** Millicores. */
  readonly cpu: number;
  readonly memoryBytes: number;
}

export interface PendingPod {
  readonly name: string;
  readonly requests: Resources;
  /** When the scheduler first found no Node for it (its PodScheduled=False transition), ms. */
  readonly pendingSince: number;
}

export interface EmptyNode {
  readonly name: string;
  /** The machine behind the Node, removed on scale down. */
  readonly machineName?: string;
  /** When the workflow first saw it empty, ms. */
  readonly emptySince: number;
}

export interface AutoscalingInput {
  readonly min: number;
  readonly max: number;
  readonly current: number;
  /** What one Node of the pool offers to Pods. */
  readonly nodeAllocatable: Resources;
  readonly pendingPods: readonly PendingPod[];
  readonly emptyNodes: readonly EmptyNode[];
  readonly now: number;
  readonly scaleUpAfterSeconds: number;
  readonly scaleDownAfterSeconds: number;
}

export interface AutoscalingDecision {
  readonly replicas: number;
  /** The machines to remove first when replicas went down (their Nodes are empty). */
  readonly removeMachines: readonly string[];
  readonly reason: string;
  /** When a Pod or Node not yet old enough crosses its threshold: look again then. */
  readonly recheckAt?: number;
}

export const DEFAULT_SCALE_UP_AFTER_SECONDS = 10;
export const DEFAULT_SCALE_DOWN_AFTER_SECONDS = 600;

function fits(pod: PendingPod, node: Resources): boolean {
  return pod.requests.cpu <= node.cpu && pod.requests.memoryBytes <= node.memoryBytes;
}

/** Whole Nodes the summed requests fill, by CPU and by memory, whichever needs more; at least one per Pod set. */
export function nodesFor(pods: readonly PendingPod[], node: Resources): number {
  if (pods.length === 0) return 0;
  const cpu = pods.reduce((sum, pod) => sum + pod.requests.cpu, 0);
  const memory = pods.reduce((sum, pod) => sum + pod.requests.memoryBytes, 0);
  const byCpu = node.cpu > 0 ? Math.ceil(cpu / node.cpu) : 0;
  const byMemory = node.memoryBytes > 0 ? Math.ceil(memory / node.memoryBytes) : 0;
  return Math.max(1, byCpu, byMemory);
}

function earliest(times: readonly number[]): number | undefined {
  return times.length === 0 ? undefined : Math.min(...times);
}

export function decideScale(input: AutoscalingInput): AutoscalingDecision {
  const { min, max, now } = input;
  const bounded = Math.min(max, Math.max(min, input.current));
  const upAfterMs = input.scaleUpAfterSeconds * 1000;
  const downAfterMs = input.scaleDownAfterSeconds * 1000;
  const placeable = input.pendingPods.filter((pod) => fits(pod, input.nodeAllocatable));
  const waitedLongEnough = placeable.filter((pod) => now - pod.pendingSince >= upAfterMs);
  const youngPods = placeable.filter((pod) => now - pod.pendingSince < upAfterMs).map((pod) => pod.pendingSince + upAfterMs);
  const tooBig = input.pendingPods.length - placeable.length;
  const tooBigNote = tooBig > 0 ? ` ${tooBig} Pod(s) request more than one Node offers and are left out.` : '';

  if (waitedLongEnough.length > 0) {
    const replicas = Math.min(max, bounded + nodesFor(waitedLongEnough, input.nodeAllocatable));
    const recheckAt = earliest(youngPods);
    return {
      replicas,
      removeMachines: [],
      reason: replicas > bounded ? `${waitedLongEnough.length} Pod(s) waited over ${input.scaleUpAfterSeconds} s for a Node: scaling up to ${replicas}.${tooBigNote}` : `${waitedLongEnough.length} Pod(s) wait for a Node, but the pool is at its maximum (${max}).${tooBigNote}`,
      ...(recheckAt !== undefined ? { recheckAt } : {}),
    };
  }

  const oldEmpty = input.emptyNodes.filter((node) => now - node.emptySince >= downAfterMs);
  const youngEmpty = input.emptyNodes.filter((node) => now - node.emptySince < downAfterMs).map((node) => node.emptySince + downAfterMs);
  const recheckAt = earliest([...youngPods, ...youngEmpty]);
  const removable = Math.max(0, Math.min(oldEmpty.length, bounded - min));
  if (removable > 0 && youngPods.length === 0) {
    const removed = [...oldEmpty].sort((a, b) => a.emptySince - b.emptySince || a.name.localeCompare(b.name)).slice(0, removable);
    return {
      replicas: bounded - removable,
      removeMachines: removed.flatMap((node) => (node.machineName ? [node.machineName] : [])),
      reason: `${removable} Node(s) ran no Pod for over ${input.scaleDownAfterSeconds} s: scaling down to ${bounded - removable}.${tooBigNote}`,
      ...(recheckAt !== undefined ? { recheckAt } : {}),
    };
  }
  return {
    replicas: bounded,
    removeMachines: [],
    reason: bounded !== input.current ? `Brought within autoScaling bounds [${min}, ${max}].${tooBigNote}` : `No change.${tooBigNote}`,
    ...(recheckAt !== undefined ? { recheckAt } : {}),
  };
}
