/**
 * The orphan sweep's pure rules: a table per rule with the expected decision in the row, and
 * properties over random resources, inventories and runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAG } from '../../../providers/tags';
import { SWEEP_TAG, decideResource, withStoredMark, type LiveReferences, type SweepDecisionKind, type SweptResource } from '../../../workflows/planners/sweep/decision';
import { MAX_LISTED_DECISIONS, SWEEP_ORDER, cappedDecision, containerDecision, emptyTally, failSafeHold, heldDecision, pinsOf, orderForDeletion, resourceGroupOf, retallyDecision, tallyDecision } from '../../../workflows/planners/sweep/run';

const OURS = 'plane-a';
const NOW = Date.parse('2026-12-06T12:00:00Z');
const HOUR = 3_600_000;
const POLICY = { managementId: OURS, minAgeMs: HOUR, runStartedAtMs: NOW };
const LIVE: LiveReferences = { infraIds: new Map([['live-abc', 'ClusterDeployment default/live']]), owners: new Map([['md-default-web-123', 'MachineDeployment default/web']]) };
const iso = (ms: number) => new Date(ms).toISOString();

function resource(tags: Record<string, string>, createdAt?: string): SweptResource {
  return { kind: 'machine', id: 'i-1', name: 'm', tags, ...(createdAt ? { createdAt } : {}) };
}
const ourTags = (infraId: string, extra: Record<string, string> = {}) => ({ [TAG.management]: OURS, [TAG.cluster]: infraId, [TAG.createdAt]: iso(NOW - 2 * HOUR), ...extra });

describe('decideResource', () => {
  const rows: { name: string; resource: SweptResource; expected: SweepDecisionKind }[] = [
    { name: 'no management tag', resource: resource({ [TAG.cluster]: 'dead-1' }), expected: 'kept-untagged' },
    { name: 'no tags at all', resource: resource({}), expected: 'kept-untagged' },
    { name: 'another management plane', resource: resource({ ...ourTags('dead-1'), [TAG.management]: 'plane-b' }), expected: 'kept-foreign' },
    { name: 'protected orphan, marked long ago', resource: resource(ourTags('dead-1', { [SWEEP_TAG.protect]: 'true', [SWEEP_TAG.marked]: iso(NOW - HOUR) })), expected: 'kept-protected' },
    { name: 'protect tag with an empty value', resource: resource(ourTags('dead-1', { [SWEEP_TAG.protect]: '' })), expected: 'kept-protected' },
    { name: 'ours without a cluster tag', resource: resource({ [TAG.management]: OURS, [TAG.createdAt]: iso(NOW - 2 * HOUR) }), expected: 'kept-untagged' },
    { name: 'cluster is live', resource: resource(ourTags('live-abc', { [SWEEP_TAG.marked]: iso(NOW - HOUR) })), expected: 'kept-referenced' },
    { name: 'owner marker is live though its cluster is not', resource: resource(ourTags('dead-1', { [TAG.owner]: 'md-default-web-123', [SWEEP_TAG.marked]: iso(NOW - HOUR) })), expected: 'kept-referenced' },
    { name: 'younger than the grace period (tag)', resource: resource(ourTags('dead-1', { [TAG.createdAt]: iso(NOW - HOUR + 1000) })), expected: 'kept-young' },
    { name: 'the cloud says young though the tag says old', resource: resource(ourTags('dead-1'), iso(NOW - 1000)), expected: 'kept-young' },
    { name: 'created in the future (clock skew)', resource: resource(ourTags('dead-1', { [TAG.createdAt]: iso(NOW + HOUR) })), expected: 'kept-young' },
    { name: 'age unknown', resource: resource({ [TAG.management]: OURS, [TAG.cluster]: 'dead-1' }), expected: 'kept-young' },
    { name: 'age unreadable', resource: resource(ourTags('dead-1', { [TAG.createdAt]: 'yesterday' })), expected: 'kept-young' },
    { name: 'orphan, not marked', resource: resource(ourTags('dead-1')), expected: 'marked' },
    { name: 'orphan, marked by this run (same instant)', resource: resource(ourTags('dead-1', { [SWEEP_TAG.marked]: iso(NOW) })), expected: 'marked' },
    { name: 'orphan, mark unreadable', resource: resource(ourTags('dead-1', { [SWEEP_TAG.marked]: 'soon' })), expected: 'marked' },
    { name: 'orphan, marked by an earlier run', resource: resource(ourTags('dead-1', { [SWEEP_TAG.marked]: iso(NOW - 1) })), expected: 'deleted' },
    { name: 'exactly the grace period old, marked earlier', resource: resource(ourTags('dead-1', { [TAG.createdAt]: iso(NOW - HOUR), [SWEEP_TAG.marked]: iso(NOW - 10) })), expected: 'deleted' },
  ];
  it.each(rows)('$name: $expected', ({ resource: input, expected }) => {
    const decision = decideResource(input, LIVE, POLICY);
    expect(decision.decision).toBe(expected);
    expect(decision.reason).not.toBe('');
  });

  it('a shorter --min-age makes a young orphan a candidate', () => {
    const young = resource(ourTags('dead-1', { [TAG.createdAt]: iso(NOW - 60_000) }));
    expect(decideResource(young, LIVE, POLICY).decision).toBe('kept-young');
    expect(decideResource(young, LIVE, { ...POLICY, minAgeMs: 30_000 }).decision).toBe('marked');
  });
});

const infraIds = fc.constantFrom('live-abc', 'live-def', 'dead-1', 'dead-2');
const arbitraryResource: fc.Arbitrary<SweptResource> = fc
  .record({
    kind: fc.constantFrom(...SWEEP_ORDER),
    id: fc.string({ minLength: 1, maxLength: 8 }),
    management: fc.option(fc.constantFrom(OURS, 'plane-b'), { nil: undefined }),
    cluster: fc.option(infraIds, { nil: undefined }),
    owner: fc.option(fc.constantFrom('md-default-web-123', 'md-other-1'), { nil: undefined }),
    protect: fc.boolean(),
    createdAgoMs: fc.option(fc.integer({ min: -HOUR, max: 5 * HOUR }), { nil: undefined }),
    cloudCreatedAgoMs: fc.option(fc.integer({ min: -HOUR, max: 5 * HOUR }), { nil: undefined }),
    markedAgoMs: fc.option(fc.integer({ min: -HOUR, max: 5 * HOUR }), { nil: undefined }),
  })
  .map((r) => ({
    kind: r.kind,
    id: r.id,
    name: r.id,
    tags: {
      ...(r.management ? { [TAG.management]: r.management } : {}),
      ...(r.cluster ? { [TAG.cluster]: r.cluster } : {}),
      ...(r.owner ? { [TAG.owner]: r.owner } : {}),
      ...(r.protect ? { [SWEEP_TAG.protect]: 'yes' } : {}),
      ...(r.createdAgoMs !== undefined ? { [TAG.createdAt]: iso(NOW - r.createdAgoMs) } : {}),
      ...(r.markedAgoMs !== undefined ? { [SWEEP_TAG.marked]: iso(NOW - r.markedAgoMs) } : {}),
    },
    ...(r.cloudCreatedAgoMs !== undefined ? { createdAt: iso(NOW - r.cloudCreatedAgoMs) } : {}),
  }));
const arbitraryLive: fc.Arbitrary<LiveReferences> = fc
  .record({ clusters: fc.subarray(['live-abc', 'live-def', 'dead-1']), owners: fc.subarray(['md-default-web-123']) })
  .map(({ clusters, owners }) => ({ infraIds: new Map(clusters.map((id) => [id, `ClusterDeployment default/${id}`])), owners: new Map(owners.map((id) => [id, `MachineDeployment default/${id}`])) }));
const arbitraryPolicy = fc.record({ minAgeMs: fc.integer({ min: 0, max: 3 * HOUR }) }).map(({ minAgeMs }) => ({ managementId: OURS, minAgeMs, runStartedAtMs: NOW }));
const acts = (decision: SweepDecisionKind) => decision === 'deleted' || decision === 'marked';

describe('decision properties', () => {
  it('never marks or deletes a resource a live entity references, by its cluster or its owner marker', () => {
    fc.assert(
      fc.property(arbitraryResource, arbitraryLive, arbitraryPolicy, (input, live, policy) => {
        const referenced = live.infraIds.has(input.tags[TAG.cluster] ?? '') || live.owners.has(input.tags[TAG.owner] ?? '');
        if (referenced) expect(acts(decideResource(input, live, policy).decision)).toBe(false);
      }),
    );
  });

  it('marks or deletes only what carries our management tag, a cluster tag and no protection tag', () => {
    fc.assert(
      fc.property(arbitraryResource, arbitraryLive, arbitraryPolicy, (input, live, policy) => {
        if (!acts(decideResource(input, live, policy).decision)) return;
        expect(input.tags[TAG.management]).toBe(OURS);
        expect(input.tags[TAG.cluster]).toBeDefined();
        expect(input.tags[SWEEP_TAG.protect]).toBeUndefined();
      }),
    );
  });

  it('never marks or deletes anything younger than the grace period, by the cloud\'s time where it has one', () => {
    fc.assert(
      fc.property(arbitraryResource, arbitraryLive, arbitraryPolicy, (input, live, policy) => {
        if (!acts(decideResource(input, live, policy).decision)) return;
        const created = Date.parse(input.createdAt ?? input.tags[TAG.createdAt] ?? '');
        expect(policy.runStartedAtMs - created).toBeGreaterThanOrEqual(policy.minAgeMs);
      }),
    );
  });

  it('deletes only what an earlier run marked', () => {
    fc.assert(
      fc.property(arbitraryResource, arbitraryLive, arbitraryPolicy, (input, live, policy) => {
        if (decideResource(input, live, policy).decision !== 'deleted') return;
        expect(Date.parse(input.tags[SWEEP_TAG.marked] ?? '')).toBeLessThan(policy.runStartedAtMs);
      }),
    );
  });
});

describe('marks from the sweep\'s store (for what the cloud cannot tag)', () => {
  const unmarked = resource(ourTags('dead-1'));
  const rows: { name: string; input: SweptResource; stored: string | undefined; expected: SweepDecisionKind }[] = [
    { name: 'no mark anywhere', input: unmarked, stored: undefined, expected: 'marked' },
    { name: 'stored by an earlier run', input: unmarked, stored: iso(NOW - 1), expected: 'deleted' },
    { name: 'stored by this run', input: unmarked, stored: iso(NOW), expected: 'marked' },
    { name: 'stored, unreadable', input: unmarked, stored: 'soon', expected: 'marked' },
    { name: 'a mark tag of this run wins over an earlier stored one', input: resource(ourTags('dead-1', { [SWEEP_TAG.marked]: iso(NOW) })), stored: iso(NOW - HOUR), expected: 'marked' },
    { name: 'stored, but the cluster is live', input: resource(ourTags('live-abc')), stored: iso(NOW - HOUR), expected: 'kept-referenced' },
    { name: 'stored, but protected', input: resource(ourTags('dead-1', { [SWEEP_TAG.protect]: 'true' })), stored: iso(NOW - HOUR), expected: 'kept-protected' },
  ];
  it.each(rows)('$name: $expected', ({ input, stored, expected }) => {
    expect(decideResource(withStoredMark(input, stored), LIVE, POLICY).decision).toBe(expected);
  });

  const markedAgo = fc.option(fc.oneof(fc.integer({ min: -HOUR, max: 5 * HOUR }).map((ago) => iso(NOW - ago)), fc.constant('soon')), { nil: undefined });

  it('a stored mark decides exactly as the same mark as a tag would', () => {
    fc.assert(
      fc.property(arbitraryResource, markedAgo, arbitraryLive, arbitraryPolicy, (input, stored, live, policy) => {
        const { [SWEEP_TAG.marked]: _tagged, ...untagged } = input.tags;
        const bare = { ...input, tags: untagged };
        const asTag = { ...input, tags: { ...untagged, ...(stored !== undefined ? { [SWEEP_TAG.marked]: stored } : {}) } };
        expect(decideResource(withStoredMark(bare, stored), live, policy)).toEqual(decideResource(asTag, live, policy));
      }),
    );
  });

  it('losing a stored mark only delays a deletion: the run marks instead, and never deletes more', () => {
    fc.assert(
      fc.property(arbitraryResource, markedAgo, arbitraryLive, arbitraryPolicy, (input, stored, live, policy) => {
        const kept = decideResource(withStoredMark(input, stored), live, policy).decision;
        const lost = decideResource(withStoredMark(input, undefined), live, policy).decision;
        expect(lost === kept || (kept === 'deleted' && lost === 'marked')).toBe(true);
      }),
    );
  });
});

describe('failSafeHold', () => {
  const readable = { readable: true, liveEntities: 3, unresolved: 0 };
  it.each([
    { name: 'unreadable, cloud empty', facts: { readable: false, liveEntities: 0, unresolved: 0, problem: 'visibility down' }, ours: 0, expected: 'inventory-unreadable' },
    { name: 'unreadable, cloud holds ours', facts: { readable: false, liveEntities: 0, unresolved: 0 }, ours: 5, expected: 'inventory-unreadable' },
    { name: 'empty while the cloud holds ours', facts: { ...readable, liveEntities: 0 }, ours: 1, expected: 'inventory-empty' },
    { name: 'partial while the cloud holds ours', facts: { ...readable, unresolved: 1 }, ours: 4, expected: 'inventory-partial' },
    { name: 'empty and the cloud holds nothing of ours', facts: { ...readable, liveEntities: 0 }, ours: 0, expected: undefined },
    { name: 'whole', facts: readable, ours: 10, expected: undefined },
  ])('$name: $expected', ({ facts, ours, expected }) => {
    expect(failSafeHold(facts, ours)?.code).toBe(expected);
  });

  it('a held run marks and deletes nothing, whatever the decisions were', () => {
    fc.assert(
      fc.property(fc.array(arbitraryResource, { maxLength: 40 }), arbitraryLive, arbitraryPolicy, fc.integer({ min: 1, max: 50 }), (resources, live, policy, ours) => {
        const hold = failSafeHold({ readable: false, liveEntities: 0, unresolved: 0 }, ours);
        expect(hold).toBeDefined();
        for (const input of resources) {
          const held = hold ? heldDecision(decideResource(input, live, policy), hold) : undefined;
          expect(held && acts(held.decision)).toBe(false);
        }
      }),
    );
  });
});

describe('the deletion cap', () => {
  it('never lets more deletions, or marks, through than the cap, and keeps the rest as kept-capped', () => {
    fc.assert(
      fc.property(fc.array(arbitraryResource, { maxLength: 60 }), arbitraryLive, arbitraryPolicy, fc.integer({ min: 0, max: 10 }), (resources, live, policy, cap) => {
        const acted = { deleted: 0, marked: 0 };
        const wanted = { deleted: 0, marked: 0 };
        let capped = 0;
        for (const input of resources) {
          const decided = decideResource(input, live, policy);
          if (decided.decision !== 'deleted' && decided.decision !== 'marked') continue;
          wanted[decided.decision] += 1;
          const decision = cappedDecision(decided, acted[decided.decision], cap);
          if (decision.decision === 'deleted' || decision.decision === 'marked') acted[decision.decision] += 1;
          else capped += 1;
        }
        expect(acted.deleted).toBe(Math.min(wanted.deleted, cap));
        expect(acted.marked).toBe(Math.min(wanted.marked, cap));
        expect(capped).toBe(wanted.deleted + wanted.marked - acted.deleted - acted.marked);
      }),
    );
  });
});

describe('orderForDeletion', () => {
  it('puts machines first and networks after everything that sits in them, keeping the listing order within a kind', () => {
    fc.assert(
      fc.property(fc.array(arbitraryResource, { maxLength: 30 }), (resources) => {
        const ordered = orderForDeletion(resources);
        expect(ordered.map((r) => `${r.kind}/${r.id}`).sort()).toEqual(resources.map((r) => `${r.kind}/${r.id}`).sort());
        const ranks = ordered.map((r) => SWEEP_ORDER.indexOf(r.kind));
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
        for (const kind of SWEEP_ORDER) expect(ordered.filter((r) => r.kind === kind)).toEqual(resources.filter((r) => r.kind === kind));
      }),
    );
  });
});

describe('the tally', () => {
  it('moves a record to another decision in its place and keeps the counts whole', () => {
    const tally = emptyTally();
    const record = { kind: 'machine', id: 'a', name: 'a', decision: 'deleted' as const, code: 'orphan-marked' as const, reason: 'x' };
    tallyDecision(tally, record);
    tallyDecision(tally, { ...record, id: 'b', decision: 'kept-young', code: 'under-grace-period' });
    retallyDecision(tally, record, { ...record, decision: 'error', code: 'delete-failed', reason: 'cloud said no' });
    expect(tally.counts.deleted).toBe(0);
    expect(tally.counts.error).toBe(1);
    expect(tally.byReason).toEqual({ 'kept-young/under-grace-period': 1, 'error/delete-failed': 1 });
    expect(tally.decisions.map((r) => `${r.id}:${r.decision}`)).toEqual(['a:error', 'b:kept-young']);
  });

  it('lists every action of a run whose kept decisions alone fill the list, and counts everything', () => {
    const kinds: readonly SweepDecisionKind[] = ['kept-untagged', 'kept-foreign', 'kept-young', 'marked', 'deleted', 'error'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...kinds), { minLength: MAX_LISTED_DECISIONS, maxLength: MAX_LISTED_DECISIONS + 300 }), (decisions) => {
        const tally = emptyTally();
        decisions.forEach((decision, index) => tallyDecision(tally, { kind: 'machine', id: `r${index}`, name: `r${index}`, decision, code: 'orphan-marked', reason: '' }));
        const actions = decisions.flatMap((decision, index) => (['marked', 'deleted', 'error'].includes(decision) ? [`r${index}`] : []));
        const listed = new Set(tally.decisions.map((record) => record.id));
        expect(tally.decisions.length).toBe(Math.min(decisions.length, MAX_LISTED_DECISIONS));
        expect(actions.every((id) => listed.has(id))).toBe(true);
        expect(tally.truncated).toBe(decisions.length > MAX_LISTED_DECISIONS);
        expect(Object.values(tally.counts).reduce((sum, count) => sum + count, 0)).toBe(decisions.length);
      }),
      { numRuns: 50 },
    );
  });
});

describe('containers: networks, vSphere folders and Azure resource groups', () => {
  const group = '/subscriptions/s-1/resourceGroups/dead-1-rg';
  const vm = 'azure:///subscriptions/s-1/resourceGroups/dead-1-rg/providers/Microsoft.Compute/virtualMachines/dead-1-w0';
  const deleted = { decision: 'deleted' as const, code: 'orphan-marked' as const, reason: 'orphan' };
  const kept = { decision: 'kept-protected' as const, code: 'protect-tag' as const, reason: 'protected' };
  const of = (cluster: string) => ({ [TAG.cluster]: cluster });

  it.each([
    { id: vm, expected: '/subscriptions/s-1/resourcegroups/dead-1-rg' },
    { id: group, expected: '/subscriptions/s-1/resourcegroups/dead-1-rg' },
    { id: 'aws:///us-east-1a/i-0123', expected: undefined },
    { id: 'vpc-0123', expected: undefined },
  ])('the Azure group of $id is $expected', ({ id, expected }) => {
    expect(resourceGroupOf(id)).toBe(expected);
  });

  it.each([
    { name: 'a network of a cluster with a kept machine is kept', resource: { kind: 'network', id: 'vpc-1', tags: of('dead-1') }, pinned: ['cluster:dead-1'], expected: 'kept-referenced' },
    { name: 'a network of another cluster is deleted', resource: { kind: 'network', id: 'vpc-1', tags: of('dead-1') }, pinned: ['cluster:dead-2'], expected: 'deleted' },
    { name: 'a machine is no container: its own decision stands', resource: { kind: 'machine', id: 'i-1', tags: of('dead-1') }, pinned: ['cluster:dead-1'], expected: 'deleted' },
    { name: 'a load balancer is no container', resource: { kind: 'loadBalancer', id: 'lb-1', tags: of('dead-1') }, pinned: ['cluster:dead-1'], expected: 'deleted' },
    { name: 'an Azure group holding a kept resource of no cluster is kept', resource: { kind: 'network', id: group, tags: of('dead-1') }, pinned: ['group:/subscriptions/s-1/resourcegroups/dead-1-rg'], expected: 'kept-referenced' },
    { name: 'an Azure group holding nothing kept is deleted', resource: { kind: 'network', id: group, tags: of('dead-1') }, pinned: ['group:/subscriptions/s-1/resourcegroups/other'], expected: 'deleted' },
  ])('$name', ({ resource, pinned, expected }) => {
    expect(containerDecision(resource, deleted, new Set(pinned)).decision).toBe(expected);
  });

  it('a kept resource pins its cluster and its Azure group; a deleted or marked one pins nothing', () => {
    expect(pinsOf({ id: vm, tags: of('dead-1') }, kept)).toEqual(['cluster:dead-1', 'group:/subscriptions/s-1/resourcegroups/dead-1-rg']);
    expect(pinsOf({ id: 'i-1', tags: {} }, kept)).toEqual([]);
    expect(pinsOf({ id: vm, tags: of('dead-1') }, deleted)).toEqual([]);
  });

  it('never deletes a network or group while the run keeps anything of its cluster or in its group', () => {
    const clusters = ['dead-1', 'dead-2'];
    const groups = ['a', 'b'].map((name) => `/subscriptions/s-1/resourceGroups/${name}`);
    const member = fc.record({ cluster: fc.constantFrom(...clusters), group: fc.constantFrom(...groups), decision: fc.constantFrom(deleted, kept) });
    fc.assert(
      fc.property(fc.array(member, { maxLength: 20 }), (members) => {
        const pinned = new Set(members.flatMap((entry) => pinsOf({ id: `azure://${entry.group}/providers/Microsoft.Compute/virtualMachines/m`, tags: of(entry.cluster) }, entry.decision)));
        for (const cluster of clusters) {
          for (const id of [...groups, 'vpc-1']) {
            const holdsKept = members.some((entry) => entry.decision === kept && (entry.cluster === cluster || entry.group === id));
            expect(containerDecision({ kind: 'network', id, tags: of(cluster) }, deleted, pinned).decision === 'deleted').toBe(!holdsKept);
          }
        }
      }),
    );
  });
});
