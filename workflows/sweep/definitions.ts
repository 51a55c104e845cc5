/**
 * The sweep workflow's public surface: its input, its report (the workflow result, the answer
 * to its Query, and the status of the Sweep object the API lists and watches), and names.
 * Imported by the workflow, the worker's activities, the API and the CLI.
 */
import { defineQuery } from '@temporalio/workflow';
import type { PlatformName } from '../../crds/schemas/cluster-deployment';
import type { ProviderTarget } from '../entity/activities-api';
import type { DecisionCounts, DecisionRecord, SweepMode } from '../planners/sweep/run';

export const SWEEP_KIND = 'Sweep';
export const SWEEP_SCHEDULE_KIND = 'SweepSchedule';
export const SWEEP_WORKFLOW_TYPE = 'sweepWorkflow';
/** The label a scheduled run's Sweep object carries: its schedule's name. */
export const SCHEDULE_LABEL = 'slipway.dev/sweep-schedule';

export interface SweepSettings {
  readonly target: ProviderTarget;
  readonly mode: SweepMode;
  /** The grace period; DEFAULT_MIN_AGE_MS when absent. */
  readonly minAgeMs?: number;
  /** DEFAULT_MAX_DELETIONS when absent; marks are capped by the same number. */
  readonly maxDeletions?: number;
}

export interface SweepInput extends SweepSettings {
  /** The API namespace the sweep (and its credentials secret) lives in. */
  readonly namespace: string;
  readonly managementId: string;
  /** The schedule that started it, if any. */
  readonly schedule?: string;
  /** A scheduled run removes its schedule's older Sweep objects beyond this many (DEFAULT_KEPT_REPORTS). */
  readonly keepReports?: number;
}

export const DEFAULT_KEPT_REPORTS = 20;

export type SweepPhase = 'Running' | 'Completed' | 'Held' | 'CapReached' | 'Failed';

export interface SweepCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface SweepStatus {
  readonly phase: SweepPhase;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly scanned: number;
  readonly counts: DecisionCounts;
  /** Counts by `<decision>/<reason code>`. */
  readonly reasons: Record<string, number>;
  readonly decisions: readonly DecisionRecord[];
  /** More decisions were made than are listed (all are counted). */
  readonly decisionsTruncated: boolean;
  readonly conditions: readonly SweepCondition[];
}

/** The Sweep object: one per run, `Sweep/<namespace>/<name>`. */
export interface SweepObject {
  readonly apiVersion: string;
  readonly kind: typeof SWEEP_KIND;
  readonly metadata: { readonly name: string; readonly namespace: string; readonly creationTimestamp: string; readonly labels?: Record<string, string> };
  readonly spec: {
    readonly platform: string;
    readonly region: string;
    readonly credentialsSecret?: string;
    readonly mode: SweepMode;
    readonly minAgeSeconds: number;
    readonly maxDeletions: number;
    readonly schedule?: string;
  };
  readonly status: SweepStatus;
}

export const getSweep = defineQuery<SweepObject>('getSweep');

/** Sweep names are DNS labels: a schedule's runs get Temporal's start time appended to their ID. */
export function sweepNameOf(workflowId: string, namespace: string): string {
  const prefix = `${SWEEP_KIND}/${namespace}/`;
  const raw = workflowId.startsWith(prefix) ? workflowId.slice(prefix.length) : workflowId;
  return raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 253);
}

/** Platforms whose adapter does not use the target's region: vSphere's placement comes from its secret or the worker, and the simulated cloud has one region. */
const REGIONLESS_PLATFORMS: readonly PlatformName[] = ['simulated', 'vsphere'];

/** The account a target's credentials name: its secret, else the worker's own profile, which every namespace shares. */
function accountOf(target: ProviderTarget): string {
  return target.credentialsRef ? `secret ${target.credentialsRef.namespace}/${target.credentialsRef.name}` : "the worker's own credentials";
}

/**
 * Which cloud a sweep looks at, as a key: the provider, the account and the region (where the
 * adapter uses one). Two schedules of one target would sweep the same resources, so the API keeps
 * one schedule per target.
 */
export function sweepTargetKey(target: ProviderTarget): string {
  const region = REGIONLESS_PLATFORMS.includes(target.platform) ? '' : target.region;
  return JSON.stringify([target.platform, accountOf(target), region]);
}

/** The target as a person reads it: "aws us-east-1 with secret default/aws-prod". */
export function describeSweepTarget(target: ProviderTarget): string {
  const region = REGIONLESS_PLATFORMS.includes(target.platform) || target.region === '' ? '' : ` ${target.region}`;
  return `${target.platform}${region} with ${accountOf(target)}`;
}
