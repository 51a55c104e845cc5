/**
 * Waiting for an object to reach a state (a condition, or being gone), shared by `wait`,
 * `apply --watch` and `delete --wait`. `judge` is the pure decision; `waitForObject`
 * drives it from the watch stream under a deadline.
 */
import type { KindName } from '../../crds/schemas/index';
import type { ApiClient } from './api-client';
import { describeLastState, findCondition, hasFailed, progressSummary, type ObjectLike } from './conditions';
import { CliError } from './errors';
import { displayRef } from './kinds';
import { observeObject } from './observe';
import type { WaitTarget } from './parse';
import type { Progress } from './progress';

export type Judgement =
  | { readonly state: 'met' }
  | { readonly state: 'pending' }
  /** Waiting longer cannot help: the object failed for good, or vanished while we waited for a condition. */
  | { readonly state: 'failed'; readonly reason: string };

export function judge(target: WaitTarget, object: ObjectLike | undefined): Judgement {
  if (target.type === 'delete') return object === undefined ? { state: 'met' } : { state: 'pending' };
  if (object === undefined) return { state: 'failed', reason: 'it was deleted' };
  const condition = findCondition(object, target.condition);
  if (condition?.status === target.status) return { state: 'met' };
  const failure = target.status === 'True' ? hasFailed(object) : undefined;
  if (failure) {
    return { state: 'failed', reason: `${failure.type}=${failure.status} reason ${failure.reason ?? ''}${failure.message ? `: ${failure.message}` : ''}` };
  }
  return { state: 'pending' };
}

export function describeTarget(target: WaitTarget): string {
  return target.type === 'delete' ? 'deletion' : `condition ${target.condition}${target.status === 'True' ? '' : `=${target.status}`}`;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly progress?: Progress;
  /** The label progress lines carry, e.g. clusterdeployment.slipway.dev/demo. */
  readonly label?: string;
  readonly pollIntervalMs?: number;
}

/** Resolves with the last object seen (undefined once deleted) when the target is met; throws a CliError otherwise. */
export async function waitForObject(client: ApiClient, kind: KindName, namespace: string, name: string, target: WaitTarget, options: WaitOptions): Promise<ObjectLike | undefined> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const ref = displayRef(kind, namespace, name);
  const label = options.label ?? ref;
  let last: ObjectLike | undefined;
  let seen = false;
  try {
    for await (const observation of observeObject(client, kind, namespace, name, { signal: deadline, ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}) })) {
      if (!seen && observation.object === undefined && target.type !== 'delete') {
        throw new CliError(`${ref} not found; create it first (slipway apply -f <file>) or check the name and -n namespace`);
      }
      seen = true;
      last = observation.object;
      const verdict = judge(target, observation.object);
      if (verdict.state === 'met') {
        options.progress?.done(label, 'succeeded', target.type === 'delete' ? 'deleted' : `condition met (${target.condition}=${target.status})`);
        return observation.object;
      }
      if (verdict.state === 'failed') {
        options.progress?.done(label, 'failed', verdict.reason);
        throw new CliError(`${ref} will not reach ${describeTarget(target)}: ${verdict.reason}`);
      }
      if (observation.object) options.progress?.update(label, progressSummary(observation.object));
    }
  } catch (error) {
    if (!deadline.aborted || error instanceof CliError) throw error;
  }
  const lastState = target.type === 'delete' ? (last ? describeLastState(last, 'Ready') : 'object not found') : describeLastState(last, target.condition);
  options.progress?.done(label, 'failed', 'timed out');
  throw new CliError(`timed out waiting for ${describeTarget(target)} on ${ref} (last: ${lastState})`);
}
