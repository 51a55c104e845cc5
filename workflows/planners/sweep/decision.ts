/**
 * The orphan sweep's decision for one cloud resource: pure, so the rules are tested as a table
 * and as properties (test/unit/sweep). A resource is a candidate only if all hold: it carries our
 * management tag with our management ID, no protection tag, a cluster tag that no live entity
 * references (nor an owner marker one does), and an age past the grace period. A candidate is
 * first marked (SWEEP_TAG.marked, holding the time); only a later run deletes it, and only if it
 * is still an orphan and still marked by an earlier run.
 */
import { TAG } from '../../../providers/tags';

export const SWEEP_TAG = { protect: TAG.sweepProtect, marked: TAG.sweepMarked } as const;

export const SWEEP_DECISIONS = ['deleted', 'marked', 'kept-young', 'kept-referenced', 'kept-protected', 'kept-foreign', 'kept-untagged', 'kept-capped', 'error'] as const;
export type SweepDecisionKind = (typeof SWEEP_DECISIONS)[number];

/** What the sweep reads of a cloud resource. */
export interface SweptResource {
  readonly kind: string;
  readonly id: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The cloud's own creation time where it has one, else the created-at tag (CloudResource.createdAt). */
  readonly createdAt?: string;
}

/**
 * What live entities (running ClusterDeployment and MachineDeployment workflows, deleting ones
 * included) reference, each mapped to who references it, for the reason text.
 */
export interface LiveReferences {
  readonly infraIds: ReadonlyMap<string, string>;
  readonly owners: ReadonlyMap<string, string>;
}

export interface SweepPolicy {
  readonly managementId: string;
  /** The grace period: younger resources are kept. */
  readonly minAgeMs: number;
  /** When this run started (ms since the epoch): ages are measured to it, and only marks from before it count. */
  readonly runStartedAtMs: number;
}

/** A short, fixed code per rule: the reason label of the metrics (the reason text names IDs). */
export type SweepReasonCode =
  | 'no-management-tag'
  | 'other-management-plane'
  | 'protect-tag'
  | 'no-cluster-tag'
  | 'cluster-live'
  | 'owner-live'
  | 'age-unknown'
  | 'under-grace-period'
  | 'orphan-unmarked'
  | 'orphan-marked'
  | 'deletion-cap'
  | 'holds-kept'
  | 'inventory-unreadable'
  | 'inventory-empty'
  | 'inventory-partial'
  | 'mark-failed'
  | 'delete-failed';

export interface ResourceDecision {
  readonly decision: SweepDecisionKind;
  readonly code: SweepReasonCode;
  readonly reason: string;
}

export const DEFAULT_MIN_AGE_MS = 60 * 60 * 1000;

/**
 * A resource as the decision sees it once the sweep's mark store was read: a mark kept in the store
 * (for a resource the cloud cannot tag) counts exactly as the mark tag would. A mark tag on the
 * resource itself wins.
 */
export function withStoredMark<R extends SweptResource>(resource: R, storedMarkedAt: string | undefined): R {
  if (storedMarkedAt === undefined || resource.tags[SWEEP_TAG.marked] !== undefined) return resource;
  return { ...resource, tags: { ...resource.tags, [SWEEP_TAG.marked]: storedMarkedAt } };
}

function timeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export function decideResource(resource: SweptResource, live: LiveReferences, policy: SweepPolicy): ResourceDecision {
  const management = resource.tags[TAG.management];
  if (management === undefined) return { decision: 'kept-untagged', code: 'no-management-tag', reason: `carries no ${TAG.management} tag, so it is not ours` };
  if (management !== policy.managementId) return { decision: 'kept-foreign', code: 'other-management-plane', reason: `belongs to management plane ${management}` };
  if (resource.tags[SWEEP_TAG.protect] !== undefined) return { decision: 'kept-protected', code: 'protect-tag', reason: `carries ${SWEEP_TAG.protect}` };
  const infraId = resource.tags[TAG.cluster];
  if (infraId === undefined || infraId === '') return { decision: 'kept-untagged', code: 'no-cluster-tag', reason: `ours, but carries no ${TAG.cluster} tag, so no cluster can be said to own it` };
  const clusterHolder = live.infraIds.get(infraId);
  if (clusterHolder !== undefined) return { decision: 'kept-referenced', code: 'cluster-live', reason: `cluster ${infraId} is live (${clusterHolder})` };
  const owner = resource.tags[TAG.owner];
  const ownerHolder = owner === undefined ? undefined : live.owners.get(owner);
  if (ownerHolder !== undefined) return { decision: 'kept-referenced', code: 'owner-live', reason: `its owner ${owner} is live (${ownerHolder})` };
  const createdAtMs = timeOf(resource.createdAt ?? resource.tags[TAG.createdAt]);
  if (createdAtMs === undefined) return { decision: 'kept-young', code: 'age-unknown', reason: 'its creation time is unknown, so it may still be being created' };
  const ageMs = policy.runStartedAtMs - createdAtMs;
  if (ageMs < policy.minAgeMs) return { decision: 'kept-young', code: 'under-grace-period', reason: `${Math.max(0, Math.floor(ageMs / 1000))} s old, under the grace period of ${Math.floor(policy.minAgeMs / 1000)} s` };
  const markedAtMs = timeOf(resource.tags[SWEEP_TAG.marked]);
  if (markedAtMs === undefined || markedAtMs >= policy.runStartedAtMs) {
    return { decision: 'marked', code: 'orphan-unmarked', reason: `cluster ${infraId} is not live; marked now, a later run deletes it if it is still an orphan` };
  }
  return { decision: 'deleted', code: 'orphan-marked', reason: `cluster ${infraId} is not live, and the resource was marked orphaned at ${new Date(markedAtMs).toISOString()}` };
}
