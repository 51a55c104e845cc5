/**
 * The sweep's rules over a whole run, pure like the per-resource decision: when the run must
 * delete nothing at all (fail safe), the cap on deletions, the order deletions go in, and the
 * report that counts every decision.
 */
import { TAG } from '../../../providers/tags';
import { SWEEP_DECISIONS, type ResourceDecision, type SweepDecisionKind, type SweepReasonCode, type SweptResource } from './decision';

export type SweepMode = 'dry-run' | 'delete';

/** What the inventory read of live entities gave. */
export interface InventoryFacts {
  readonly readable: boolean;
  /** Live ClusterDeployments and MachineDeployments found. */
  readonly liveEntities: number;
  /** Live entities whose references could not be read (no memo, no infra ID): the inventory is partial. */
  readonly unresolved: number;
  /** Why it could not be read, when it could not. */
  readonly problem?: string;
}

export interface SweepHold {
  readonly code: Extract<SweepReasonCode, 'inventory-unreadable' | 'inventory-empty' | 'inventory-partial'>;
  readonly message: string;
}

/**
 * Whether the run must change nothing. An unreadable inventory always holds it; an empty or partial
 * one holds it when the cloud holds resources of ours (as after a restore, or with the wrong
 * Temporal namespace), since every one of them would otherwise look orphaned.
 */
export function failSafeHold(inventory: InventoryFacts, ourResources: number): SweepHold | undefined {
  if (!inventory.readable) return { code: 'inventory-unreadable', message: `the inventory of live clusters could not be read (${inventory.problem ?? 'no reason given'}); nothing was marked or deleted` };
  if (ourResources === 0) return undefined;
  if (inventory.liveEntities === 0) {
    return { code: 'inventory-empty', message: `no live cluster or MachineDeployment was found while the cloud holds ${ourResources} resources of ours; nothing was marked or deleted (check the Temporal namespace and task queue)` };
  }
  if (inventory.unresolved > 0) {
    return { code: 'inventory-partial', message: `${inventory.unresolved} of ${inventory.liveEntities} live entities could not say which infrastructure they own; nothing was marked or deleted` };
  }
  return undefined;
}

/** What a held run records for a resource it would have marked or deleted. */
export function heldDecision(decision: ResourceDecision, hold: SweepHold): ResourceDecision {
  if (decision.decision !== 'deleted' && decision.decision !== 'marked') return decision;
  return { decision: 'error', code: hold.code, reason: `would be ${decision.decision}, but ${hold.message}` };
}

export const DEFAULT_MAX_DELETIONS = 100;

/**
 * A deletion (or mark) past the run's cap is kept, and the run raises its alert condition. `soFar`
 * counts the run's decisions of the same kind: deletions and marks are capped separately.
 */
export function cappedDecision(decision: ResourceDecision, soFar: number, maxDeletions: number): ResourceDecision {
  if ((decision.decision !== 'deleted' && decision.decision !== 'marked') || soFar < maxDeletions) return decision;
  const what = decision.decision === 'deleted' ? 'deletions' : 'marks';
  return { decision: 'kept-capped', code: 'deletion-cap', reason: `the run reached its cap of ${maxDeletions} ${what}; a later run takes it` };
}

const RESOURCE_GROUP_ID = /^(?:azure:\/\/)?(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+)(\/.*)?$/i;

/** The Azure resource group an ARM resource ID sits in (for a group, its own ID), lowercased; undefined for any other ID. */
export function resourceGroupOf(id: string): string | undefined {
  return RESOURCE_GROUP_ID.exec(id)?.[1]?.toLowerCase();
}

function isResourceGroup(id: string): boolean {
  const match = RESOURCE_GROUP_ID.exec(id);
  return match !== null && (match[2] ?? '').replace(/\/+$/, '') === '';
}

/** Kinds that hold other resources: deleting one deletes what is in it (an Azure resource group, a vSphere folder) or fails. */
const CONTAINER_KINDS: readonly string[] = ['network', 'resourceGroup'];

/**
 * What a resource the run keeps pins: its cluster's containers, and (on Azure) its resource group.
 * Marked and deleted resources pin nothing.
 */
export function pinsOf(resource: Pick<SweptResource, 'id' | 'tags'>, decision: ResourceDecision): string[] {
  if (decision.decision === 'deleted' || decision.decision === 'marked') return [];
  const cluster = resource.tags[TAG.cluster];
  const group = isResourceGroup(resource.id) ? undefined : resourceGroupOf(resource.id);
  return [...(cluster !== undefined ? [`cluster:${cluster}`] : []), ...(group !== undefined ? [`group:${group}`] : [])];
}

/**
 * Deleting a container deletes what it holds (an Azure resource group, a vSphere folder), so a
 * network or resource group is deleted only if the run keeps nothing of its cluster, nor (on Azure)
 * anything in its group.
 */
export function containerDecision(resource: Pick<SweptResource, 'kind' | 'id' | 'tags'>, decision: ResourceDecision, pinned: ReadonlySet<string>): ResourceDecision {
  if (decision.decision !== 'deleted') return decision;
  const cluster = resource.tags[TAG.cluster];
  const group = isResourceGroup(resource.id) ? resourceGroupOf(resource.id) : undefined;
  const byCluster = CONTAINER_KINDS.includes(resource.kind) && cluster !== undefined && pinned.has(`cluster:${cluster}`);
  const byGroup = group !== undefined && pinned.has(`group:${group}`);
  if (!byCluster && !byGroup) return decision;
  return { decision: 'kept-referenced', code: 'holds-kept', reason: `it may hold resources this sweep keeps${cluster ? ` of cluster ${cluster}` : ''}, and deleting it would delete them` };
}

/** Machines first, then what they sit behind or in; an Azure resource group holds everything, so it goes last. */
export const SWEEP_ORDER: readonly string[] = ['machine', 'loadBalancer', 'dnsRecord', 'securityGroup', 'network', 'resourceGroup'];

/** Stable: within a kind the cloud's own listing order (e.g. subnets before their VPC) is kept. */
export function orderForDeletion<R extends Pick<SweptResource, 'kind'>>(resources: readonly R[]): R[] {
  const rank = (kind: string) => {
    const index = SWEEP_ORDER.indexOf(kind);
    return index === -1 ? SWEEP_ORDER.length : index;
  };
  return [...resources].sort((a, b) => rank(a.kind) - rank(b.kind));
}

export interface DecisionRecord extends ResourceDecision {
  readonly kind: string;
  readonly id: string;
  readonly name: string;
  readonly cluster?: string;
}

export type DecisionCounts = Record<SweepDecisionKind, number>;

export function emptyCounts(): DecisionCounts {
  return Object.fromEntries(SWEEP_DECISIONS.map((decision) => [decision, 0])) as DecisionCounts;
}

/** At most this many decisions are listed one by one in a report, actions first (tallyDecision); all are counted. */
export const MAX_LISTED_DECISIONS = 1000;

export interface DecisionTally {
  readonly counts: DecisionCounts;
  /** Counts by decision and reason code, for metrics and the report. */
  readonly byReason: Record<string, number>;
  readonly decisions: DecisionRecord[];
  truncated: boolean;
}

export function emptyTally(): DecisionTally {
  return { counts: emptyCounts(), byReason: {}, decisions: [], truncated: false };
}

/** Decisions that change the cloud, or failed to: a report lists them ahead of what it keeps. */
const ACTIONS: readonly SweepDecisionKind[] = ['deleted', 'marked', 'error'];
const isAction = (record: DecisionRecord): boolean => ACTIONS.includes(record.decision);

/**
 * Counts the decision, and lists it while the list has room. A full list makes room for an action
 * by dropping its last kept decision, so an account full of resources that are not ours (reported
 * as kept-untagged or kept-foreign) never hides what a run marked or deleted.
 */
export function tallyDecision(tally: DecisionTally, record: DecisionRecord): void {
  tally.counts[record.decision] += 1;
  const key = `${record.decision}/${record.code}`;
  tally.byReason[key] = (tally.byReason[key] ?? 0) + 1;
  if (tally.decisions.length < MAX_LISTED_DECISIONS) {
    tally.decisions.push(record);
    return;
  }
  tally.truncated = true;
  if (!isAction(record)) return;
  const kept = tally.decisions.findLastIndex((listed) => !isAction(listed));
  if (kept === -1) return;
  tally.decisions.splice(kept, 1);
  tally.decisions.push(record);
}

/** Moves a record from one decision to another (a mark or delete that failed, or a held run), in its place in the list. */
export function retallyDecision(tally: DecisionTally, before: DecisionRecord, after: DecisionRecord): void {
  tally.counts[before.decision] -= 1;
  const key = `${before.decision}/${before.code}`;
  tally.byReason[key] = (tally.byReason[key] ?? 1) - 1;
  if (tally.byReason[key] === 0) delete tally.byReason[key];
  const index = tally.decisions.findIndex((record) => record.id === before.id && record.kind === before.kind);
  if (index === -1) return tallyDecision(tally, after);
  tally.decisions[index] = after;
  tally.counts[after.decision] += 1;
  const afterKey = `${after.decision}/${after.code}`;
  tally.byReason[afterKey] = (tally.byReason[afterKey] ?? 0) + 1;
}
