/**
 * One orphan sweep of one provider account and region: read the inventory of live entities,
 * stream the cloud's resources through the pure decision, then (unless the run must hold, or is
 * a dry run) mark the new orphans and delete the ones an earlier run marked, machines first.
 * The report is the workflow's result, the answer to getSweep, and the status of the Sweep
 * object in the projection (listed and watched through the API).
 */
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ProjectionActivities } from '../entity/activities-api';
import { PROJECTION_ACTIVITY } from '../entity/defaults';
import { failSafeHold, orderForDeletion } from '../planners/sweep/run';
import type { SweepActivities, SweepInventory, SweepScanResult } from './activities-api';
import { DEFAULT_KEPT_REPORTS, SWEEP_KIND, getSweep, sweepNameOf, type SweepInput, type SweepObject } from './definitions';
import { SweepRunState } from './run-state';

const inventory = proxyActivities<Pick<SweepActivities, 'readSweepInventory'>>({ startToCloseTimeout: '2m', retry: { maximumAttempts: 3, initialInterval: '1s' } });
const cloud = proxyActivities<Pick<SweepActivities, 'scanCloudForSweep' | 'markSweepCandidates' | 'deleteSweepCandidates'>>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '1m',
  retry: { maximumAttempts: 5, initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['InvalidRequest'] },
});
const reporting = proxyActivities<Pick<SweepActivities, 'recordSweepMetrics' | 'pruneSweepReports'> & ProjectionActivities>(PROJECTION_ACTIVITY);

const messageOf = (error: unknown): string => (error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error));

async function readInventory(): Promise<SweepInventory> {
  try {
    return await inventory.readSweepInventory();
  } catch (error) {
    return { facts: { readable: false, liveEntities: 0, unresolved: 0, problem: messageOf(error) }, infraIds: [], owners: [] };
  }
}

export async function sweepWorkflow(input: SweepInput): Promise<SweepObject> {
  const info = workflowInfo();
  const run = new SweepRunState(input, sweepNameOf(info.workflowId, input.namespace), Date.now());
  setHandler(getSweep, () => run.object());
  const publish = () => reporting.projectObject({ kind: SWEEP_KIND, object: run.object(), deleted: false });
  await publish();

  const live = await readInventory();
  const scan = live.facts.readable ? await scanCloud(input, run, live) : undefined;
  if (scan) run.recordScan(scan);
  if (live.facts.readable && !scan) return finish(run, undefined, publish);

  const hold = failSafeHold(live.facts, scan?.ourResources ?? 0);
  const capped = scan?.tally.counts['kept-capped'] ?? 0;
  if (capped > 0) run.capReached(capped, new Date().toISOString());
  if (hold) {
    run.hold(hold, scan?.toMark ?? [], scan?.toDelete ?? [], new Date().toISOString());
  } else if (scan && input.mode === 'delete') {
    if (scan.toMark.length > 0) run.failed(scan.toMark, await cloud.markSweepCandidates({ target: input.target, resources: scan.toMark, markedAt: new Date(run.startedAtMs).toISOString() }), 'mark');
    const toDelete = orderForDeletion(scan.toDelete);
    if (toDelete.length > 0) run.failed(toDelete, await cloud.deleteSweepCandidates({ target: input.target, resources: toDelete }), 'delete');
  }

  return finish(run, hold?.code ?? (capped > 0 ? 'deletion-cap' : undefined), publish);
}

async function scanCloud(input: SweepInput, run: SweepRunState, live: SweepInventory): Promise<SweepScanResult | undefined> {
  try {
    return await cloud.scanCloudForSweep({
      target: input.target,
      managementId: input.managementId,
      infraIds: live.infraIds,
      owners: live.owners,
      minAgeMs: run.minAgeMs,
      runStartedAtMs: run.startedAtMs,
      maxDeletions: run.maxDeletions,
    });
  } catch (error) {
    run.scanFailed(messageOf(error), new Date().toISOString());
    return undefined;
  }
}

async function finish(run: SweepRunState, alert: string | undefined, publish: () => Promise<void>): Promise<SweepObject> {
  run.finish(new Date().toISOString());
  await reporting.recordSweepMetrics({ platform: run.input.target.platform, reasons: run.reasons(), ...(alert ? { alert } : {}) });
  await publish();
  const { schedule, namespace, keepReports } = run.input;
  if (schedule) await reporting.pruneSweepReports({ namespace, schedule, keep: keepReports ?? DEFAULT_KEPT_REPORTS });
  return run.object();
}
