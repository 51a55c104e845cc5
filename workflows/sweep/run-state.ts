/**
 * The state of one sweep run and its transitions, kept apart from the workflow function so that
 * reads as the recipe: inventory, scan, hold or act, report.
 */
import { GROUP_VERSION } from '../../crds/schemas/common';
import { TAG } from '../../providers/tags';
import type { CloudResource } from '../../providers/types';
import { DEFAULT_MAX_DELETIONS, emptyTally, heldDecision, retallyDecision, type DecisionRecord, type DecisionTally, type SweepHold } from '../planners/sweep/run';
import { DEFAULT_MIN_AGE_MS } from '../planners/sweep/decision';
import type { SweepFailure, SweepScanResult } from './activities-api';
import { SCHEDULE_LABEL, SWEEP_KIND, type SweepCondition, type SweepInput, type SweepObject, type SweepPhase } from './definitions';

export class SweepRunState {
  readonly minAgeMs: number;
  readonly maxDeletions: number;
  private tally: DecisionTally = emptyTally();
  private scanned = 0;
  private phase: SweepPhase = 'Running';
  private finishedAt: string | undefined;
  private readonly conditions: SweepCondition[] = [];

  constructor(
    readonly input: SweepInput,
    readonly name: string,
    readonly startedAtMs: number,
  ) {
    this.minAgeMs = input.minAgeMs ?? DEFAULT_MIN_AGE_MS;
    this.maxDeletions = input.maxDeletions ?? DEFAULT_MAX_DELETIONS;
  }

  recordScan(result: SweepScanResult): void {
    this.scanned = result.scanned;
    this.tally = result.tally;
  }

  /** Every candidate the run would mark or delete becomes an error naming the hold. */
  hold(hold: SweepHold, toMark: readonly CloudResource[], toDelete: readonly CloudResource[], nowIso: string): void {
    for (const record of [...candidateRecords(toMark, 'mark'), ...candidateRecords(toDelete, 'delete')]) retallyDecision(this.tally, record, { ...record, ...heldDecision(record, hold) });
    this.phase = 'Held';
    this.conditions.push({ type: 'FailSafe', status: 'True', reason: hold.code, message: hold.message, lastTransitionTime: nowIso });
  }

  /** The cloud could not be listed (or its adapter not built): nothing was decided, nothing changed. */
  scanFailed(message: string, nowIso: string): void {
    this.phase = 'Failed';
    this.conditions.push({ type: 'ScanFailed', status: 'True', reason: 'ScanFailed', message: `the cloud could not be listed: ${message}; nothing was marked or deleted`, lastTransitionTime: nowIso });
  }

  capReached(count: number, nowIso: string): void {
    this.phase = 'CapReached';
    this.conditions.push({
      type: 'DeletionCapReached',
      status: 'True',
      reason: 'DeletionCapReached',
      message: `${count} more resources were orphaned than the cap of ${this.maxDeletions} per run allows; they were kept. Look at why so much is orphaned before raising the cap.`,
      lastTransitionTime: nowIso,
    });
  }

  /** A mark or delete that failed: its decision becomes an error with the cloud's message. */
  failed(resources: readonly CloudResource[], failures: readonly SweepFailure[], step: 'mark' | 'delete'): void {
    const failed = new Map(failures.map((failure) => [`${failure.kind}/${failure.id}`, failure.message]));
    for (const record of candidateRecords(resources, step)) {
      const message = failed.get(`${record.kind}/${record.id}`);
      if (message !== undefined) retallyDecision(this.tally, record, { ...record, decision: 'error', code: step === 'mark' ? 'mark-failed' : 'delete-failed', reason: message });
    }
  }

  finish(nowIso: string): void {
    if (this.phase === 'Running') this.phase = 'Completed';
    this.finishedAt = nowIso;
  }

  reasons(): Record<string, number> {
    return { ...this.tally.byReason };
  }

  object(): SweepObject {
    const { target } = this.input;
    return {
      apiVersion: GROUP_VERSION,
      kind: SWEEP_KIND,
      metadata: {
        name: this.name,
        namespace: this.input.namespace,
        creationTimestamp: new Date(this.startedAtMs).toISOString(),
        labels: { 'slipway.dev/platform': target.platform, ...(this.input.schedule ? { [SCHEDULE_LABEL]: this.input.schedule } : {}) },
      },
      spec: {
        platform: target.platform,
        region: target.region,
        ...(target.credentialsRef ? { credentialsSecret: target.credentialsRef.name } : {}),
        mode: this.input.mode,
        minAgeSeconds: Math.floor(this.minAgeMs / 1000),
        maxDeletions: this.maxDeletions,
        ...(this.input.schedule ? { schedule: this.input.schedule } : {}),
      },
      status: {
        phase: this.phase,
        startedAt: new Date(this.startedAtMs).toISOString(),
        ...(this.finishedAt ? { finishedAt: this.finishedAt } : {}),
        scanned: this.scanned,
        counts: { ...this.tally.counts },
        reasons: { ...this.tally.byReason },
        decisions: [...this.tally.decisions],
        decisionsTruncated: this.tally.truncated,
        conditions: [...this.conditions],
      },
    };
  }
}

/** The records the scan made for its candidates (retallyDecision finds them by kind and ID). */
function candidateRecords(resources: readonly CloudResource[], step: 'mark' | 'delete'): DecisionRecord[] {
  return resources.map((resource) => ({
    kind: resource.kind,
    id: resource.id,
    name: resource.name,
    ...(resource.tags[TAG.cluster] !== undefined ? { cluster: resource.tags[TAG.cluster] } : {}),
    decision: step === 'mark' ? 'marked' : 'deleted',
    code: step === 'mark' ? 'orphan-unmarked' : 'orphan-marked',
    reason: '',
  }));
}
