import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideScale, nodesFor, type AutoscalingInput, type EmptyNode, type PendingPod } from '../../../workflows/planners/hosted/autoscaling';

const GiB = 1024 ** 3;
const NODE = { cpu: 4000, memoryBytes: 16 * GiB };
const NOW = 1_000_000_000;
const pod = (name: string, cpu: number, memoryGiB: number, waitedSeconds: number): PendingPod => ({ name, requests: { cpu, memoryBytes: memoryGiB * GiB }, pendingSince: NOW - waitedSeconds * 1000 });
const empty = (name: string, idleSeconds: number): EmptyNode => ({ name, machineName: `m-${name}`, emptySince: NOW - idleSeconds * 1000 });
const input = (overrides: Partial<AutoscalingInput>): AutoscalingInput => ({
  min: 1,
  max: 10,
  current: 3,
  nodeAllocatable: NODE,
  pendingPods: [],
  emptyNodes: [],
  now: NOW,
  scaleUpAfterSeconds: 10,
  scaleDownAfterSeconds: 600,
  ...overrides,
});

describe('decideScale', () => {
  it.each([
    ['nothing pending, nothing empty: no change', input({}), { replicas: 3, removeMachines: [] }],
    ['one small Pod waited long enough: one Node more', input({ pendingPods: [pod('a', 500, 1, 30)] }), { replicas: 4, removeMachines: [] }],
    ['CPU asks for three Nodes: three more', input({ pendingPods: [pod('a', 3000, 1, 30), pod('b', 3000, 1, 30), pod('c', 3000, 1, 30)] }), { replicas: 6 }],
    ['memory asks for more than CPU: memory decides', input({ pendingPods: [pod('a', 100, 12, 30), pod('b', 100, 12, 30)] }), { replicas: 5 }],
    ['growth stops at max', input({ current: 9, pendingPods: [pod('a', 4000, 1, 30), pod('b', 4000, 1, 30), pod('c', 4000, 1, 30)] }), { replicas: 10 }],
    ['a Pod still young waits, and a look is due when it ages', input({ pendingPods: [pod('a', 500, 1, 4)] }), { replicas: 3, recheckAt: NOW + 6_000 }],
    ['a Pod bigger than a Node is left out', input({ pendingPods: [pod('huge', 8000, 1, 30)] }), { replicas: 3, reason: expect.stringMatching(/more than one Node offers/) }],
    ['an old empty Node goes, its machine first', input({ emptyNodes: [empty('n1', 700)] }), { replicas: 2, removeMachines: ['m-n1'] }],
    ['never below min', input({ min: 2, emptyNodes: [empty('n1', 700), empty('n2', 800)] }), { replicas: 2, removeMachines: ['m-n2'] }],
    ['a young empty Node stays, with a look when it is old enough', input({ emptyNodes: [empty('n1', 100)] }), { replicas: 3, removeMachines: [], recheckAt: NOW + 500_000 }],
    ['no scale down while a Pod waits', input({ pendingPods: [pod('a', 500, 1, 30)], emptyNodes: [empty('n1', 700)] }), { replicas: 4, removeMachines: [] }],
    ['no scale down while a young Pod may soon need the room', input({ pendingPods: [pod('a', 500, 1, 2)], emptyNodes: [empty('n1', 700)] }), { replicas: 3, removeMachines: [] }],
    ['a size below min is raised to min', input({ min: 4, current: 1 }), { replicas: 4 }],
    ['a size above max is lowered to max', input({ max: 2, current: 5 }), { replicas: 2 }],
  ])('%s', (_name, given, expected) => {
    expect(decideScale(given)).toMatchObject(expected);
  });

  it('nodesFor rounds each resource up to whole Nodes and takes the larger', () => {
    expect(nodesFor([], NODE)).toBe(0);
    expect(nodesFor([pod('a', 1, 0, 0)], NODE)).toBe(1);
    expect(nodesFor([pod('a', 4001, 1, 0)], NODE)).toBe(2);
    expect(nodesFor([pod('a', 10, 33, 0)], NODE)).toBe(3);
  });
});

const arbitraryInput = fc
  .record({
    min: fc.integer({ min: 0, max: 5 }),
    span: fc.integer({ min: 1, max: 10 }),
    current: fc.integer({ min: 0, max: 20 }),
    pods: fc.array(fc.record({ cpu: fc.integer({ min: 1, max: 6000 }), memoryGiB: fc.integer({ min: 0, max: 20 }), waited: fc.integer({ min: 0, max: 60 }) }), { maxLength: 12 }),
    empties: fc.array(fc.integer({ min: 0, max: 1200 }), { maxLength: 8 }),
  })
  .map(({ min, span, current, pods, empties }) =>
    input({
      min,
      max: min + span,
      current,
      pendingPods: pods.map((entry, index) => pod(`p${index}`, entry.cpu, entry.memoryGiB, entry.waited)),
      emptyNodes: empties.map((idle, index) => empty(`n${index}`, idle)),
    }),
  );

describe('decideScale properties', () => {
  it('stays within [min, max], never shrinks while an aged Pod that fits waits, and removes only Nodes idle long enough', () => {
    fc.assert(
      fc.property(arbitraryInput, (given) => {
        const decision = decideScale(given);
        expect(decision.replicas).toBeGreaterThanOrEqual(given.min);
        expect(decision.replicas).toBeLessThanOrEqual(given.max);
        const bounded = Math.min(given.max, Math.max(given.min, given.current));
        const agedFitting = given.pendingPods.some((candidate) => candidate.requests.cpu <= NODE.cpu && candidate.requests.memoryBytes <= NODE.memoryBytes && NOW - candidate.pendingSince >= 10_000);
        if (agedFitting) expect(decision.replicas).toBeGreaterThanOrEqual(bounded);
        if (decision.replicas < bounded) {
          expect(decision.removeMachines.length).toBe(bounded - decision.replicas);
          for (const machine of decision.removeMachines) {
            const node = given.emptyNodes.find((candidate) => candidate.machineName === machine);
            expect(node && NOW - node.emptySince >= 600_000).toBe(true);
          }
        } else {
          expect(decision.removeMachines).toEqual([]);
        }
        if (decision.recheckAt !== undefined) expect(decision.recheckAt).toBeGreaterThan(NOW);
      }),
    );
  });

  it('more waiting Pods never mean fewer Nodes', () => {
    fc.assert(
      fc.property(arbitraryInput, fc.integer({ min: 1, max: 4000 }), (given, cpu) => {
        const more = { ...given, pendingPods: [...given.pendingPods, pod('extra', cpu, 1, 30)] };
        expect(decideScale(more).replicas).toBeGreaterThanOrEqual(decideScale(given).replicas);
      }),
    );
  });
});
