/** What the orphan-sweep end-to-end tests check of every provider's dry run. */
import { expect } from 'vitest';
import type { CloudResource } from '../../providers/types';
import type { SweepDecisionKind } from '../../workflows/planners/sweep/decision';
import type { SweepObject } from '../../workflows/sweep/definitions';

export function decisionsById(sweep: SweepObject): Map<string, SweepDecisionKind> {
  return new Map(sweep.status.decisions.map((record) => [record.id, record.decision]));
}

export interface LeakedResources {
  readonly deadIds: readonly string[];
  readonly protectedId: string;
  readonly youngId: string;
  readonly untaggedId: string;
  readonly foreignIds: readonly string[];
  readonly liveIds: readonly string[];
}

/** A dry run reports each leak with its decision, deletes nothing, and leaves the cloud exactly as it was. */
export function expectDryRunReport(dry: SweepObject, leaks: LeakedResources, before: ReadonlyMap<string, CloudResource>, after: ReadonlyMap<string, CloudResource>): void {
  expect(dry.status.phase).toBe('Completed');
  const decisions = decisionsById(dry);
  for (const id of leaks.deadIds) expect(decisions.get(id), id).toBe('marked');
  expect(decisions.get(leaks.protectedId)).toBe('kept-protected');
  expect(decisions.get(leaks.youngId)).toBe('kept-young');
  expect(decisions.get(leaks.untaggedId)).toBe('kept-untagged');
  for (const id of leaks.foreignIds) expect(decisions.get(id), id).toBe('kept-foreign');
  for (const id of leaks.liveIds) expect(decisions.get(id), id).toBe('kept-referenced');
  expect(dry.status.counts.deleted).toBe(0);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [id, resource] of before) expect(after.get(id)?.tags, id).toEqual(resource.tags);
}
