/**
 * What `slipway rollout status` says about a MachineDeployment, after kubectl's rollout
 * status for a Deployment: the spec change not yet observed, new replicas still being
 * made, old ones still being removed, updated ones not yet available, or done. Pure.
 */
import { isPlainObject } from '../../crds/json';
import type { ObjectLike } from './conditions';

export interface RolloutStatus {
  /** Every replica is of the current revision and available: the rollout is complete. */
  readonly done: boolean;
  readonly line: string;
}

function count(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** `ref` names the object in hints, e.g. md/web. */
export function rolloutStatus(object: ObjectLike, ref: string): RolloutStatus {
  const name = object.metadata?.name ?? '';
  const subject = `machinedeployment "${name}"`;
  const spec = isPlainObject(object.spec) ? object.spec : {};
  const status = isPlainObject(object.status) ? object.status : {};
  const generation = count(object.metadata?.generation);
  if (object.metadata?.deletionTimestamp !== undefined) return { done: false, line: `${subject} is being deleted` };
  if (typeof status.observedGeneration !== 'number' || status.observedGeneration < generation) {
    return { done: false, line: 'Waiting for machinedeployment spec update to be observed...' };
  }
  const desired = count(spec.replicas);
  const replicas = count(status.replicas);
  const updated = count(status.updatedReplicas);
  const available = count(status.availableReplicas);
  const waiting = (what: string): RolloutStatus =>
    spec.paused === true
      ? { done: false, line: `${subject} is paused with its rollout unfinished (${what}); resume it with: slipway rollout resume ${ref}` }
      : { done: false, line: `Waiting for ${subject} rollout to finish: ${what}...` };
  if (updated < desired) return waiting(`${updated} out of ${desired} new replicas have been updated`);
  if (replicas > updated) return waiting(`${replicas - updated} old replicas are pending termination`);
  if (available < updated) return waiting(`${available} of ${updated} updated replicas are available`);
  return { done: true, line: `${subject} successfully rolled out` };
}
