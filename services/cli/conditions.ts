/**
 * Reading Kubernetes-style conditions off any Slipway object: lookups, the severity
 * column of `describe`, the one-line progress summary, and the "last seen" text of a
 * timed-out wait.
 */
import { isPlainObject } from '../../crds/json';

export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface ObjectLike {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly status?: unknown;
  readonly [key: string]: unknown;
}

function asCondition(value: unknown): ConditionView | undefined {
  if (!isPlainObject(value) || typeof value.type !== 'string' || typeof value.status !== 'string') return undefined;
  return {
    type: value.type,
    status: value.status,
    ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
    ...(typeof value.message === 'string' ? { message: value.message } : {}),
    ...(typeof value.lastTransitionTime === 'string' ? { lastTransitionTime: value.lastTransitionTime } : {}),
  };
}

export function conditionsOf(conditions: unknown): ConditionView[] {
  return Array.isArray(conditions) ? conditions.map(asCondition).filter((condition) => condition !== undefined) : [];
}

export function objectConditions(object: ObjectLike | undefined): ConditionView[] {
  return isPlainObject(object?.status) ? conditionsOf(object.status.conditions) : [];
}

export function findCondition(object: ObjectLike | undefined, type: string): ConditionView | undefined {
  return objectConditions(object).find((condition) => condition.type === type);
}

export type Severity = '' | 'Info' | 'Warning' | 'Error';

/**
 * Our conditions carry no severity field, so derive one as clusterctl shows it: nothing
 * when True, Error when the reason names a failure, Info while work is under way.
 */
export function severityOf(condition: ConditionView | undefined): Severity {
  if (condition === undefined || condition.status === 'True') return '';
  if (/fail|error|invalid|quota/i.test(condition.reason ?? '')) return 'Error';
  if (condition.status === 'Unknown') return 'Warning';
  return 'Info';
}

/** A terminal failure: waiting longer will not make the object Ready. */
export function hasFailed(object: ObjectLike | undefined): ConditionView | undefined {
  return objectConditions(object).find((condition) => condition.status !== 'True' && /Failed$/.test(condition.reason ?? ''));
}

/**
 * What a timed-out wait reports: the condition waited on when present, and otherwise
 * (or when it says little) the Provisioned condition, e.g. `Provisioned=False reason Provisioning: Creating ...`.
 */
export function describeLastState(object: ObjectLike | undefined, waitedOn: string): string {
  if (object === undefined) return 'object not found';
  const conditions = objectConditions(object);
  const primary = conditions.find((condition) => condition.type === waitedOn);
  const informative = primary !== undefined && primary.status !== 'True' ? conditions.find((condition) => condition.type === 'Provisioned' && condition.status !== 'True') : undefined;
  const shown = informative ?? primary ?? conditions[0];
  if (shown === undefined) return `no conditions yet (${waitedOn} not reported)`;
  const reason = shown.reason ? ` reason ${shown.reason}` : '';
  const message = shown.message ? `: ${shown.message}` : '';
  return `${shown.type}=${shown.status}${reason}${message}`;
}

/** One line of live progress: `Provisioned=False (Provisioning) Creating worker machines. machines 3/6`. */
export function progressSummary(object: ObjectLike): string {
  const conditions = objectConditions(object);
  const ready = conditions.find((condition) => condition.type === (object.kind === 'HostedCluster' ? 'Available' : 'Ready'));
  const provisioned = conditions.find((condition) => condition.type === 'Provisioned');
  const headline = ready?.status === 'True' ? ready : (provisioned ?? ready);
  const counts = machineCounts(object);
  const parts = [
    headline ? `${headline.type}=${headline.status}${headline.reason ? ` (${headline.reason})` : ''}` : 'waiting for status',
    headline?.message ?? '',
    counts ? `machines ${counts.ready}/${counts.total}` : '',
  ];
  return parts.filter((part) => part !== '').join(' ');
}

/** Ready/total machines from a ClusterDeployment's pool counts, when it has them. */
export function machineCounts(object: ObjectLike): { ready: number; total: number } | undefined {
  if (!isPlainObject(object.status)) return undefined;
  const pools = [object.status.controlPlane, ...(Array.isArray(object.status.workerPools) ? object.status.workerPools : [])].filter(isPlainObject);
  if (pools.length === 0) return undefined;
  let ready = 0;
  let total = 0;
  for (const pool of pools) {
    ready += typeof pool.readyReplicas === 'number' ? pool.readyReplicas : 0;
    total += typeof pool.replicas === 'number' ? pool.replicas : 0;
  }
  return { ready, total };
}
