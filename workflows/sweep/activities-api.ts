/** What the sweep workflow asks of the worker. Inputs carry a credentials reference, never a credential. */
import type { ProviderTarget } from '../entity/activities-api';
import type { CloudResource } from '../../providers/types';
import type { DecisionTally, InventoryFacts } from '../planners/sweep/run';

export interface SweepInventory {
  readonly facts: InventoryFacts;
  /** [infra ID, who references it]. */
  readonly infraIds: readonly (readonly [string, string])[];
  /** [owner marker, who references it]. */
  readonly owners: readonly (readonly [string, string])[];
}

export interface SweepScanInput {
  readonly target: ProviderTarget;
  readonly managementId: string;
  readonly infraIds: SweepInventory['infraIds'];
  readonly owners: SweepInventory['owners'];
  readonly minAgeMs: number;
  readonly runStartedAtMs: number;
  readonly maxDeletions: number;
}

export interface SweepScanResult {
  readonly scanned: number;
  /** Resources carrying our management tag: with an empty or partial inventory, any makes the run hold. */
  readonly ourResources: number;
  readonly tally: DecisionTally;
  /** At most maxDeletions each. */
  readonly toMark: readonly CloudResource[];
  readonly toDelete: readonly CloudResource[];
}

export interface SweepFailure {
  readonly kind: string;
  readonly id: string;
  readonly message: string;
}

export interface SweepActivities {
  readSweepInventory(): Promise<SweepInventory>;
  scanCloudForSweep(input: SweepScanInput): Promise<SweepScanResult>;
  /** Tags each resource SWEEP_TAG.marked = markedAt; the failures come back, nothing throws for one resource. */
  markSweepCandidates(input: { readonly target: ProviderTarget; readonly resources: readonly CloudResource[]; readonly markedAt: string }): Promise<SweepFailure[]>;
  /** Deletes in the order given; a resource already gone counts as deleted. */
  deleteSweepCandidates(input: { readonly target: ProviderTarget; readonly resources: readonly CloudResource[] }): Promise<SweepFailure[]>;
  /** Removes a schedule's Sweep objects from the projection but the newest `keep`; how many it removed. */
  pruneSweepReports(input: { readonly namespace: string; readonly schedule: string; readonly keep: number }): Promise<number>;
  /** Counts the run's decisions in the worker's Prometheus counters. */
  recordSweepMetrics(input: { readonly platform: string; readonly reasons: Record<string, number>; readonly alert?: string }): Promise<void>;
}
