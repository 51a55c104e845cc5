import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setCondition } from '../../workflows/planners/conditions';
import { planDeprovision } from '../../workflows/planners/deletion-order';
import { cloudMachineName, infraIdFor, infraIdForV1, ownerMarker } from '../../workflows/planners/names';
import { CLOUD_NAMES, TAG_ENCODINGS, canonicalTagProblems } from '../../providers/tag-encoding';
import { TAG } from '../../providers/tags';

describe('planDeprovision', () => {
  it('deletes workers, then control plane, then infrastructure, then sweeps', () => {
    const steps = planDeprovision([
      { name: 'master-0', role: 'control-plane' },
      { name: 'worker-4', role: 'worker' },
      { name: 'master-1', role: 'control-plane' },
      { name: 'worker-3', role: 'worker' },
    ]);
    expect(steps).toEqual([
      { kind: 'deleteMachines', role: 'worker', names: ['worker-3', 'worker-4'] },
      { kind: 'deleteMachines', role: 'control-plane', names: ['master-0', 'master-1'] },
      { kind: 'sweepMachines' },
      { kind: 'deleteInfrastructure' },
      { kind: 'sweep' },
    ]);
  });

  it('deletes the worker pools before any machine', () => {
    expect(planDeprovision([{ name: 'master-0', role: 'control-plane' }], ['infra', 'app'])).toEqual([
      { kind: 'deletePools', pools: ['app', 'infra'] },
      { kind: 'deleteMachines', role: 'control-plane', names: ['master-0'] },
      { kind: 'sweepMachines' },
      { kind: 'deleteInfrastructure' },
      { kind: 'sweep' },
    ]);
  });

  it('still removes infrastructure and sweeps when no machine is known', () => {
    expect(planDeprovision([])).toEqual([{ kind: 'sweepMachines' }, { kind: 'deleteInfrastructure' }, { kind: 'sweep' }]);
  });
});

describe('names', () => {
  it('gives an infra ID that is stable, legal on every cloud, and differs per uid', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][-a-z0-9]{0,26}$/), fc.uuid(), fc.uuid(), (cluster, uidA, uidB) => {
        const a = infraIdFor(cluster, uidA);
        expect(a).toBe(infraIdFor(cluster, uidA));
        expect(a).toMatch(/^[a-z][-a-z0-9]{0,32}$/);
        expect(a.length).toBeLessThanOrEqual(33);
        if (uidA !== uidB) expect(a === infraIdFor(cluster, uidB) ? 1 : 0).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('spreads uids over distinct suffixes', () => {
    const ids = new Set(Array.from({ length: 500 }, (_, index) => infraIdFor('c', `uid-${index}`)));
    expect(ids.size).toBeGreaterThan(495);
  });

  it('gives the infra ID a 10-digit base-36 suffix (about 51.7 bits) within 33 characters', () => {
    expect(infraIdFor('production-eu-west', '7f1c2d3e-0000-4000-8000-000000000001')).toMatch(/^production-eu-west-[0-9a-z]{10}$/);
    expect(infraIdFor('a'.repeat(40), '7f1c2d3e-0000-4000-8000-000000000001')).toMatch(new RegExp(`^${'a'.repeat(22)}-[0-9a-z]{10}$`));
  });

  it('keeps the infra ID that clusters started before issue 12 carry', () => {
    expect(infraIdForV1('prod', 'uid-1')).toMatch(/^prod-[0-9a-z]{5}$/);
  });

  it('gives a standalone MachineDeployment an owner marker that every cloud can hold as a tag, one per object', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), fc.stringMatching(/^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/), (namespace, name) => {
        const marker = ownerMarker(namespace, name);
        expect(marker).toBe(ownerMarker(namespace, name));
        expect(canonicalTagProblems({ [TAG.owner]: marker })).toEqual([]);
        for (const cloud of CLOUD_NAMES) expect(TAG_ENCODINGS[cloud].decode(TAG_ENCODINGS[cloud].encode({ [TAG.owner]: marker }))).toEqual({ [TAG.owner]: marker });
      }),
    );
    expect(ownerMarker('team-a', 'workers')).toMatch(/^md-team-a-workers-[0-9a-z]{10}$/);
    expect(ownerMarker('team-a', 'b-workers')).not.toBe(ownerMarker('team-a-b', 'workers'));
  });

  it('prefixes cloud machine names with the infra ID', () => {
    expect(cloudMachineName('prod-abcde', 'master-0')).toBe('prod-abcde-master-0');
  });
});

describe('setCondition', () => {
  const base = { type: 'Ready', status: 'False' as const, reason: 'Provisioning', message: 'm' };
  it('moves lastTransitionTime only when the status flips', () => {
    const first = setCondition([], base, 't1');
    const same = setCondition(first, { ...base, reason: 'Other' }, 't2');
    const flipped = setCondition(same, { ...base, status: 'True' }, 't3');
    expect(first[0]?.lastTransitionTime).toBe('t1');
    expect(same[0]).toMatchObject({ lastTransitionTime: 't1', reason: 'Other' });
    expect(flipped[0]?.lastTransitionTime).toBe('t3');
    expect(flipped).toHaveLength(1);
  });
});
