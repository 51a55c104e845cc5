/**
 * The orphan sweep's activities: thin and idempotent. The inventory comes from the entity
 * workflows themselves (Temporal visibility and, where a memo is missing, the workflow's own
 * answer), never from the Redis projection, which is a cache. The scan streams the cloud page by
 * page through the pure decision (workflows/planners/sweep) and keeps only the candidates, at
 * most the run's cap of each kind, so memory stays flat whatever the cloud holds. The cloud is seen
 * through withSweepMarks: a resource the cloud cannot tag has its mark in the sweep's mark store.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { CLUSTER_DEPLOYMENT_KIND, CLUSTER_DEPLOYMENT_WORKFLOW_TYPE, getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityLabel } from '../../workflows/entity/ids';
import { MACHINE_DEPLOYMENT_KIND, MACHINE_DEPLOYMENT_WORKFLOW_TYPE } from '../../workflows/machine-deployment/definitions';
import { infraIdFor, infraIdForV1, ownerMarker } from '../../workflows/planners/names';
import { SWEEP_TAG, decideResource } from '../../workflows/planners/sweep/decision';
import { cappedDecision, containerDecision, emptyTally, pinsOf, retallyDecision, tallyDecision, type DecisionRecord } from '../../workflows/planners/sweep/run';
import type { SweepActivities, SweepFailure, SweepInventory, SweepScanInput } from '../../workflows/sweep/activities-api';
import { TAG } from '../../providers/tags';
import type { CloudResource } from '../../providers/types';
import { sweepAlerts, sweepDecisions } from '../common/metrics';
import type { Projection } from '../common/projection';
import { SCHEDULE_LABEL, SWEEP_KIND } from '../../workflows/sweep/definitions';
import type { AdapterResolver } from './cluster-activities';
import { withRetryClassification } from './errors';
import { withSweepMarks, type SweepMarkStore } from './sweep-marks';

export interface SweepActivityDeps {
  readonly adapters: AdapterResolver;
  readonly temporal: Client;
  /** The task queue whose entity workflows make up this management plane's inventory. */
  readonly taskQueue: string;
  /** Where Sweep objects are listed; pruneSweepReports removes old ones. */
  readonly projection: Projection;
  /** Where marks go that the cloud cannot hold as a tag. */
  readonly marks: SweepMarkStore;
  readonly queryTimeoutMs?: number;
}

interface ClusterObjectView {
  readonly metadata?: { readonly name?: string; readonly uid?: string };
  readonly spec?: { readonly clusterName?: string };
  readonly status?: { readonly infraID?: string };
}

/** Every infra ID a live cluster may have tagged: its recorded one, else both forms derived from its name and uid. */
function clusterInfraIds(object: ClusterObjectView | undefined, workflowId: string): string[] | undefined {
  if (object?.status?.infraID) return [object.status.infraID];
  const clusterName = object?.spec?.clusterName;
  if (!clusterName) return undefined;
  const uid = object.metadata?.uid ?? workflowId;
  return [infraIdFor(clusterName, uid), infraIdForV1(clusterName, uid)];
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function createSweepActivities(deps: SweepActivityDeps): SweepActivities {
  const queryTimeoutMs = deps.queryTimeoutMs ?? 5_000;
  const sweptCloud = async (target: SweepScanInput['target']) => withSweepMarks(await deps.adapters(target), deps.marks);
  const running = (workflowType: string) =>
    deps.temporal.workflow.list({ query: `WorkflowType = '${workflowType}' AND TaskQueue = '${deps.taskQueue}' AND ExecutionStatus = 'Running'` });

  return {
    async readSweepInventory(): Promise<SweepInventory> {
      const infraIds: [string, string][] = [];
      const owners: [string, string][] = [];
      let liveEntities = 0;
      let unresolved = 0;
      for await (const execution of running(CLUSTER_DEPLOYMENT_WORKFLOW_TYPE)) {
        liveEntities += 1;
        const [namespace = '', name = ''] = execution.workflowId.slice(CLUSTER_DEPLOYMENT_KIND.length + 1).split('/');
        const holder = entityLabel(CLUSTER_DEPLOYMENT_KIND, namespace, name);
        let ids = clusterInfraIds(execution.memo?.object as ClusterObjectView | undefined, execution.workflowId);
        if (!ids) {
          // Visibility may not hold the memo yet: ask the workflow itself.
          try {
            const snapshot = await deps.temporal.withDeadline(Date.now() + queryTimeoutMs, () => deps.temporal.workflow.getHandle(execution.workflowId).query(getClusterDeployment));
            ids = clusterInfraIds(snapshot.object, execution.workflowId);
          } catch {
            ids = undefined;
          }
        }
        if (ids) for (const id of ids) infraIds.push([id, holder]);
        else unresolved += 1;
        Context.current().heartbeat();
      }
      for await (const execution of running(MACHINE_DEPLOYMENT_WORKFLOW_TYPE)) {
        liveEntities += 1;
        const [namespace = '', name = ''] = execution.workflowId.slice(MACHINE_DEPLOYMENT_KIND.length + 1).split('/');
        owners.push([ownerMarker(namespace, name), entityLabel(MACHINE_DEPLOYMENT_KIND, namespace, name)]);
      }
      return { facts: { readable: true, liveEntities, unresolved }, infraIds, owners };
    },

    async scanCloudForSweep(input) {
      const adapter = await sweptCloud(input.target);
      const live = { infraIds: new Map(input.infraIds), owners: new Map(input.owners) };
      const policy = { managementId: input.managementId, minAgeMs: input.minAgeMs, runStartedAtMs: input.runStartedAtMs };
      const tally = emptyTally();
      const toMark: CloudResource[] = [];
      const toDelete: CloudResource[] = [];
      const pinned = new Set<string>();
      let scanned = 0;
      let ourResources = 0;
      await withRetryClassification('list resources', async () => {
        for await (const found of adapter.listResources({})) {
          const resource: CloudResource = { kind: found.kind, id: found.id, name: found.name, tags: found.tags, ...(found.createdAt ? { createdAt: found.createdAt } : {}) };
          scanned += 1;
          if (resource.tags[TAG.management] === input.managementId) ourResources += 1;
          const decided = decideResource(resource, live, policy);
          const capped = cappedDecision(decided, decided.decision === 'marked' ? toMark.length : toDelete.length, input.maxDeletions);
          for (const pin of pinsOf(resource, capped)) pinned.add(pin);
          if (capped.decision === 'marked') toMark.push(resource);
          if (capped.decision === 'deleted') toDelete.push(resource);
          const cluster = resource.tags[TAG.cluster];
          tallyDecision(tally, { kind: resource.kind, id: resource.id, name: resource.name, ...(cluster !== undefined ? { cluster } : {}), ...capped });
          if (scanned % 100 === 0) Context.current().heartbeat(scanned);
        }
      });
      // A container may be listed before what it holds: its veto is decided once everything was seen.
      const deletable = toDelete.filter((resource) => {
        const cluster = resource.tags[TAG.cluster];
        const before: DecisionRecord = { kind: resource.kind, id: resource.id, name: resource.name, ...(cluster !== undefined ? { cluster } : {}), decision: 'deleted', code: 'orphan-marked', reason: '' };
        const after = containerDecision(resource, before, pinned);
        if (after === before) return true;
        retallyDecision(tally, before, { ...before, ...after });
        return false;
      });
      return { scanned, ourResources, tally, toMark, toDelete: deletable };
    },

    async markSweepCandidates(input) {
      const adapter = await sweptCloud(input.target);
      const failures: SweepFailure[] = [];
      for (const resource of input.resources) {
        Context.current().heartbeat();
        try {
          await adapter.tagResource(resource, { [SWEEP_TAG.marked]: input.markedAt });
        } catch (error) {
          failures.push({ kind: resource.kind, id: resource.id, message: `marking failed: ${messageOf(error)}` });
        }
      }
      return failures;
    },

    async deleteSweepCandidates(input) {
      const adapter = await sweptCloud(input.target);
      const failures: SweepFailure[] = [];
      for (const resource of input.resources) {
        Context.current().heartbeat();
        try {
          await adapter.deleteResource(resource);
        } catch (error) {
          failures.push({ kind: resource.kind, id: resource.id, message: `deleting failed: ${messageOf(error)}` });
        }
      }
      return failures;
    },

    async pruneSweepReports(input) {
      const scheduled = await deps.projection.list(SWEEP_KIND, { namespace: input.namespace, filter: (object) => object.metadata.labels?.[SCHEDULE_LABEL] === input.schedule });
      const newestFirst = [...scheduled.items].sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')));
      const old = newestFirst.slice(input.keep);
      for (const object of old) await deps.projection.remove(SWEEP_KIND, input.namespace, object.metadata.name, object);
      return old.length;
    },

    async recordSweepMetrics(input) {
      for (const [key, count] of Object.entries(input.reasons)) {
        const [decision = '', reason = ''] = key.split('/');
        if (count > 0) sweepDecisions.inc({ provider: input.platform, decision, reason }, count);
      }
      if (input.alert) sweepAlerts.inc({ provider: input.platform, alert: input.alert });
    },
  };
}
