/**
 * Keeps the Redis projection from drifting for long: every interval it compares what the
 * projection lists with the entity workflows that run on our task queue, removes ghosts
 * (listed, but the workflow has finished or never existed; a DELETED event goes out) and
 * fills gaps (the workflow runs, but the object is not listed). Each repair is counted in
 * slipway_projection_repairs_total. A deleted object never comes back: a gap is filled only
 * when the workflow's own answer (or, failing that, its memo) says it is not deleted, and
 * the projection refuses an object it removed before (projection.ts, tombstones). Each entity
 * whose gap was filled is then asked to publish its own copy (the republish signal).
 *
 * Its cost on a quiet fleet: one API process of several takes each interval; it counts the
 * running workflows and the listed objects of each kind and stops there when they agree, and
 * compares every name only every fullPassEvery intervals.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { Logger } from 'pino';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { type EntitySnapshot } from '../../workflows/entity/definitions';
import { projectionRepairs } from '../common/metrics';
import { liveMemoObject, republishAll, type ProjectedObject, type Projection } from '../common/projection';

export interface ReconciledKind {
  readonly kind: string;
  readonly workflowType: string;
  readonly getObject: QueryDefinition<EntitySnapshot<object>>;
}

export interface ReconcilerOptions {
  readonly temporal: Client;
  readonly projection: Projection;
  readonly taskQueue: string;
  readonly kinds: readonly ReconciledKind[];
  readonly logger: Logger;
  readonly intervalMs: number;
  /** How long to wait for a workflow's Query before falling back to its memo. */
  readonly queryTimeoutMs?: number;
  /** Every how many intervals a pass compares every name, even when the counts agree (default 10). */
  readonly fullPassEvery?: number;
}

export interface Repairs {
  readonly ghosts: number;
  readonly gaps: number;
}

export function createProjectionReconciler(options: ReconcilerOptions) {
  const { temporal, projection, logger } = options;
  const queryTimeoutMs = options.queryTimeoutMs ?? 5_000;

  const isRunning = async (workflowId: string): Promise<boolean> => {
    try {
      return (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  };

  /** The object as its workflow holds it now; the memo's when the workflow does not answer. Undefined when deleted. */
  const currentObject = async (target: ReconciledKind, workflowId: string, memo: Record<string, unknown> | undefined): Promise<ProjectedObject | undefined> => {
    try {
      const snapshot = await temporal.withDeadline(Date.now() + queryTimeoutMs, () => temporal.workflow.getHandle(workflowId).query(target.getObject));
      return snapshot.deleted ? undefined : (snapshot.object as ProjectedObject);
    } catch {
      return liveMemoObject(memo);
    }
  };

  const reconcileKind = async (target: ReconciledKind, full: boolean): Promise<Repairs> => {
    const running = new Map<string, Record<string, unknown> | undefined>();
    const query = `WorkflowType = '${target.workflowType}' AND TaskQueue = '${options.taskQueue}' AND ExecutionStatus = 'Running'`;
    // Listing every workflow with its memo costs the server and this process in proportion to
    // the fleet; a count costs neither. Equal counts can still hide a ghost beside a gap, which
    // the periodic full pass finds.
    if (!full && (await temporal.workflow.count(query)).count === (await projection.memberCount(target.kind))) return { ghosts: 0, gaps: 0 };
    for await (const execution of temporal.workflow.list({ query })) {
      const prefix = `${target.kind}/`;
      if (execution.workflowId.startsWith(prefix)) running.set(execution.workflowId.slice(prefix.length), execution.memo);
    }
    let ghosts = 0;
    const listed = new Set(await projection.members(target.kind));
    for (const member of listed) {
      const [namespace = '', name = ''] = member.split('/');
      // Visibility lags behind a start: ask the workflow itself before calling it a ghost.
      if (running.has(member) || (await isRunning(entityWorkflowId(target.kind, namespace, name)))) continue;
      await projection.remove(target.kind, namespace, name);
      ghosts += 1;
    }
    const filled: string[] = [];
    for (const [member, memo] of running) {
      if (listed.has(member)) continue;
      const [namespace = '', name = ''] = member.split('/');
      const workflowId = entityWorkflowId(target.kind, namespace, name);
      const object = await currentObject(target, workflowId, memo);
      if (object && (await projection.putIfAbsent(target.kind, object))) filled.push(workflowId);
    }
    const gaps = filled.length;
    // A repaired copy carries no publication number, so GET reads such an object by Query
    // until its entity publishes again: ask each to publish its own copy now.
    await republishAll(temporal, filled);
    if (ghosts > 0) projectionRepairs.inc({ kind: target.kind, repair: 'ghost' }, ghosts);
    if (gaps > 0) projectionRepairs.inc({ kind: target.kind, repair: 'gap' }, gaps);
    if (ghosts + gaps > 0) logger.warn({ kind: target.kind, ghosts, gaps }, 'repaired the list projection');
    return { ghosts, gaps };
  };

  let timer: NodeJS.Timeout | undefined;
  /** One pass over every kind; `full` compares every name even when the counts agree. */
  const runOnce = async (pass: { readonly full?: boolean } = {}): Promise<Repairs> => {
    const results = await Promise.all(options.kinds.map((target) => reconcileKind(target, pass.full ?? true)));
    return results.reduce((total, result) => ({ ghosts: total.ghosts + result.ghosts, gaps: total.gaps + result.gaps }), { ghosts: 0, gaps: 0 });
  };
  const fullPassEvery = options.fullPassEvery ?? 10;
  let passes = 0;
  /** One API process of several reconciles per interval: the others find the claim taken. */
  const scheduledPass = async (): Promise<void> => {
    if (!(await projection.claim('projection-reconciler', options.intervalMs * 0.9))) return;
    passes += 1;
    await runOnce({ full: passes % fullPassEvery === 1 || fullPassEvery <= 1 });
  };
  const schedule = () => {
    timer = setTimeout(() => {
      scheduledPass()
        .catch((error: unknown) => logger.warn({ err: error }, 'projection reconcile failed; trying again next interval'))
        .finally(() => {
          if (timer) schedule();
        });
    }, options.intervalMs);
    timer.unref();
  };

  return {
    runOnce,
    start: schedule,
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
