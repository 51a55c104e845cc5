import { describe, expect, it } from 'vitest';
import { planRollout } from '../../../workflows/planners/rollout/planner';
import { proportionalShares } from '../../../workflows/planners/rollout/sizing';
import { NOW, machineSet, machines, spec, summary } from './builders';

describe('planRollout: plain scaling', () => {
  it('starts the first MachineSet at full size and creates its machines', () => {
    const plan = planRollout({ spec: spec({ replicas: 3 }), machineSets: [], machines: [], now: NOW });
    expect(summary(plan.actions)).toEqual(['createMachineSet new=3', 'create new', 'create new', 'create new']);
    expect(plan.complete).toBe(false);
  });

  it('scales up within the surge budget only', () => {
    const plan = planRollout({ spec: spec({ replicas: 6, maxSurge: 1 }), machineSets: [machineSet('new', 3, 1)], machines: machines('new', 3), now: NOW });
    expect(summary(plan.actions)).toEqual(['scale new=6', 'create new', 'create new', 'create new']);
  });

  it('scales down by the delete policy, broken machines first', () => {
    const current = [...machines('new', 4), ...machines('new', 1, { state: 'Failed' }, 4)];
    const plan = planRollout({ spec: spec({ replicas: 2 }), machineSets: [machineSet('new', 5, 1)], machines: current, now: NOW });
    expect(summary(plan.actions)).toEqual(['scale new=2', 'delete new-4', 'delete new-0', 'delete new-1']);
  });

  it('is complete, with nothing to do, when every machine is new and available', () => {
    const plan = planRollout({ spec: spec({ replicas: 3 }), machineSets: [machineSet('new', 3, 1)], machines: machines('new', 3), now: NOW });
    expect(plan.actions).toEqual([]);
    expect(plan.complete).toBe(true);
    expect(plan.counts).toEqual({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, unavailableReplicas: 0 });
    expect(plan.waitingFor).toBeUndefined();
  });

  it('waits for minReadySeconds and says when to look again', () => {
    const fresh = machines('new', 3, { readySince: NOW - 10_000 });
    const plan = planRollout({ spec: spec({ replicas: 3, minReadySeconds: 30 }), machineSets: [machineSet('new', 3, 1)], machines: fresh, now: NOW });
    expect(plan.actions).toEqual([]);
    expect(plan.complete).toBe(false);
    expect(plan.recheckAt).toBe(NOW + 20_000);
    expect(plan.counts.availableReplicas).toBe(0);
    expect(plan.waitingFor).toMatch(/minReadySeconds 30 \(the first in 20s\)/);
  });

  it('replaces a machine someone deleted once it is gone from the surge budget', () => {
    const current = [...machines('new', 2), ...machines('new', 1, { state: 'Deleting' }, 2)];
    const noSurge = planRollout({ spec: spec({ replicas: 3, maxSurge: 0, maxUnavailable: 1 }), machineSets: [machineSet('new', 3, 1)], machines: current, now: NOW });
    expect(noSurge.actions).toEqual([]);
    expect(noSurge.waitingFor).toMatch(/1 machine being deleted/);
    const withSurge = planRollout({ spec: spec({ replicas: 3, maxSurge: 1 }), machineSets: [machineSet('new', 3, 1)], machines: current, now: NOW });
    expect(summary(withSurge.actions)).toEqual(['create new']);
  });
});

describe('planRollout: rolling update', () => {
  const tenOld = { machineSets: [machineSet('old', 10, 1)], machines: machines('old', 10), now: NOW };

  it('uses the whole wave budget in one plan: old machines go within maxUnavailable, and the new MachineSet grows into the room', () => {
    const plan = planRollout({ spec: spec({ replicas: 10, maxSurge: 2, maxUnavailable: 1 }), ...tenOld });
    expect(summary(plan.actions)).toEqual(['createMachineSet new=3', 'scale old=9', 'delete old-0', 'create new', 'create new']);
    expect(plan.actions[0]?.reason).toMatch(/new revision new has 0 of 10; surge room 3 \(planned total 12 of max 12\)/);
    // The third new machine waits for old-0 to be gone: machines being deleted count.
    const next = planRollout({
      spec: spec({ replicas: 10, maxSurge: 2, maxUnavailable: 1 }),
      machineSets: [machineSet('old', 9, 1), machineSet('new', 3, 2)],
      machines: [...machines('old', 9, {}, 1), ...machines('new', 2, { state: 'Provisioning' })],
      now: NOW,
    });
    expect(summary(next.actions)).toEqual(['create new']);
  });

  it('holds old machines while new ones are not available (maxUnavailable 0)', () => {
    const plan = planRollout({
      spec: spec({ replicas: 3, maxSurge: 1, maxUnavailable: 0 }),
      machineSets: [machineSet('old', 3, 1), machineSet('new', 1, 2)],
      machines: [...machines('old', 3), ...machines('new', 1, { state: 'Provisioning' })],
      now: NOW,
    });
    expect(plan.actions).toEqual([]);
    expect(plan.waitingFor).toMatch(/1 machine of revision new to become ready/);
    expect(plan.waitingFor).toMatch(/total 4 of max 4/);
  });

  it('deletes unavailable old machines first, costing no availability', () => {
    const current = [...machines('old', 2), ...machines('old', 1, { state: 'NotReady' }, 2), ...machines('new', 1)];
    const plan = planRollout({ spec: spec({ replicas: 3, maxSurge: 1, maxUnavailable: 0 }), machineSets: [machineSet('old', 3, 1), machineSet('new', 1, 2)], machines: current, now: NOW });
    expect(summary(plan.actions)).toEqual(['scale old=2', 'scale new=2', 'delete old-2']);
    expect(plan.actions[2]?.reason).toMatch(/goes first: it is NotReady, so availability does not drop/);
  });

  it('breaks a deadlock by deleting exactly one unavailable old machine', () => {
    // The surge is taken by a new machine that never becomes ready, and an old machine failed.
    const current = [...machines('old', 2), ...machines('old', 1, { state: 'Failed' }, 2), ...machines('new', 1, { state: 'Provisioning' })];
    const plan = planRollout({ spec: spec({ replicas: 3, maxSurge: 1, maxUnavailable: 0 }), machineSets: [machineSet('old', 3, 1), machineSet('new', 1, 2)], machines: current, now: NOW });
    expect(summary(plan.actions)).toEqual(['scale old=2', 'delete old-2']);
    expect(plan.actions[1]?.reason).toMatch(/^deadlock breaker: nothing else can move/);
  });

  it('does not break anything while a deletion is still draining', () => {
    const current = [...machines('old', 2), ...machines('old', 1, { state: 'Failed' }, 2), ...machines('new', 1, { state: 'Provisioning' }), ...machines('x', 1, { machineSet: 'new', state: 'Deleting' })];
    const plan = planRollout({ spec: spec({ replicas: 3, maxSurge: 2, maxUnavailable: 0 }), machineSets: [machineSet('old', 3, 1), machineSet('new', 2, 2)], machines: current, now: NOW });
    expect(plan.actions).toEqual([]);
  });

  it('never breaks a deadlock by removing an available machine', () => {
    const current = [...machines('old', 3), ...machines('new', 1, { state: 'Failed' })];
    const plan = planRollout({ spec: spec({ replicas: 3, maxSurge: 1, maxUnavailable: 0 }), machineSets: [machineSet('old', 3, 1), machineSet('new', 1, 2)], machines: current, now: NOW });
    expect(plan.actions).toEqual([]);
    expect(plan.waitingFor).toMatch(/1 failed or unhealthy machine of revision new to be replaced/);
  });

  it('shares a replicas change mid-rollout in proportion, leftovers to the newest MachineSet', () => {
    const current = [...machines('old', 6), ...machines('new', 5)];
    const plan = planRollout({ spec: spec({ replicas: 20, maxSurge: 1, maxUnavailable: 0 }), machineSets: [machineSet('old', 6, 1), machineSet('new', 5, 2)], machines: current, now: NOW });
    // 21 allowed (20 + surge 1) shared 6:5 -> floor(11.45)=11 and floor(9.54)=9, leftover 1 to new.
    expect(summary(plan.actions).slice(0, 2)).toEqual(['scale old=11', 'scale new=10']);
    expect(plan.actions[0]?.reason).toMatch(/in proportion to their sizes/);
    expect(summary(plan.actions).filter((line) => line.startsWith('create'))).toHaveLength(10);
    expect(proportionalShares([{ name: 'a', replicas: 3, revisionNumber: 1 }, { name: 'b', replicas: 3, revisionNumber: 2 }], 5)).toEqual(new Map([['a', 2], ['b', 3]]));
  });

  it('removes empty old MachineSets beyond revisionHistoryLimit, oldest first', () => {
    const sets = [machineSet('a', 0, 1), machineSet('b', 0, 2), machineSet('c', 0, 3), machineSet('new', 3, 4)];
    const plan = planRollout({ spec: spec({ replicas: 3, revisionHistoryLimit: 1 }), machineSets: sets, machines: machines('new', 3), now: NOW });
    expect(summary(plan.actions)).toEqual(['deleteMachineSet a', 'deleteMachineSet b']);
    expect(planRollout({ spec: spec({ replicas: 3 }), machineSets: sets.slice(2), machines: machines('new', 3), now: NOW }).actions).toEqual([]);
  });

  it('removes machines of MachineSets it does not know, as old ones', () => {
    const plan = planRollout({ spec: spec({ replicas: 2, maxSurge: 1 }), machineSets: [machineSet('new', 2, 1)], machines: [...machines('new', 2), ...machines('stray', 1)], now: NOW });
    expect(summary(plan.actions)).toEqual(['delete stray-0']);
  });
});

describe('planRollout: paused and OnDelete', () => {
  it('paused: no new MachineSet, but replicas still apply and machines are kept', () => {
    const current = [...machines('old', 2), ...machines('old', 1, { state: 'Deleting' }, 2)];
    const plan = planRollout({ spec: spec({ replicas: 4, paused: true, maxSurge: 1 }), machineSets: [machineSet('old', 3, 1)], machines: current, now: NOW });
    expect(summary(plan.actions)).toEqual(['scale old=4', 'create old', 'create old']);
    const idle = planRollout({ spec: spec({ replicas: 2, paused: true }), machineSets: [machineSet('old', 2, 1)], machines: machines('old', 2), now: NOW });
    expect(idle.actions).toEqual([]);
    expect(idle.waitingFor).toMatch(/^waiting for paused: revision new does not roll out until spec.paused is false/);
  });

  it('OnDelete: old machines stay until someone deletes them; the new MachineSet replaces what goes', () => {
    const sets = [machineSet('old', 3, 1)];
    const start = planRollout({ spec: spec({ replicas: 3, type: 'OnDelete' }), machineSets: sets, machines: machines('old', 3), now: NOW });
    expect(summary(start.actions)).toEqual(['createMachineSet new=0']);
    const sets2 = [...sets, machineSet('new', 0, 2)];
    const idle = planRollout({ spec: spec({ replicas: 3, type: 'OnDelete' }), machineSets: sets2, machines: machines('old', 3), now: NOW });
    expect(idle.actions).toEqual([]);
    expect(idle.waitingFor).toMatch(/OnDelete: 3 old machines stay until someone deletes them/);
    // Someone deleted old-0 (gone) and annotated old-1.
    const asked = planRollout({ spec: spec({ replicas: 3, type: 'OnDelete' }), machineSets: sets2, machines: [...machines('old', 1, { deleteAnnotated: true }, 1), ...machines('old', 1, {}, 2)], now: NOW });
    expect(summary(asked.actions)).toEqual(['scale old=1', 'scale new=2', 'delete old-1', 'create new']);
  });
});
