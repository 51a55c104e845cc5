/** When a pool's MachineDeployment tells its owner of a change (workflows/machine-deployment/state.ts, poolReportKey). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PoolReport } from '../../workflows/machine-deployment/definitions';
import { poolReportKey, unreportedPoolKey } from '../../workflows/machine-deployment/state';
import { machineDeploymentObject } from '../support/machine-deployments';

const REVISION = 'r-1';
type ReportedMachine = PoolReport['machines'][number];

function report(desired: number, machines: readonly ReportedMachine[], overrides: Partial<PoolReport> = {}): PoolReport {
  const ready = machines.filter((machine) => machine.ready).length;
  return {
    pool: 'worker',
    machineDeployment: 'c-worker',
    observedGeneration: 1,
    replicas: machines.length,
    readyReplicas: ready,
    availableReplicas: ready,
    updatedReplicas: machines.length,
    revision: REVISION,
    desiredReplicas: desired,
    deleted: false,
    machines,
    ...overrides,
  };
}

const machine = (index: number, fields: Partial<ReportedMachine> = {}): ReportedMachine => ({ name: `c-worker-${index}`, phase: 'Provisioning', ready: false, since: '2026-12-06T00:00:00Z', ...fields });
const unreported = (desired: number) => unreportedPoolKey(machineDeploymentObject('c-worker', { replicas: desired }), REVISION);

describe('reporting on readiness', () => {
  it('keeps quiet while machines are only being made, in any number and phase', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.constantFrom('Pending', 'Provisioning', 'Provisioned'), { maxLength: 8 }), fc.string(), (desired, phases, providerID) => {
        const made = phases.map((phase, index) => machine(index, { phase, ...(providerID ? { providerID } : {}) }));
        expect(poolReportKey(report(desired, made, { observedGeneration: 2 }), 'readiness')).toBe(unreported(desired));
      }),
    );
  });

  it.each([
    ['a machine becomes ready', report(3, [machine(0, { ready: true, phase: 'Running' }), machine(1), machine(2)])],
    ['a machine has a message for a person', report(3, [machine(0, { message: 'quota exceeded: ask for more' })])],
    ['the pool is being deleted', report(3, [], { deleted: true })],
    ['the owner asks for another revision', report(3, [], { revision: 'r-2' })],
    ['the owner asks for more replicas', report(4, [])],
  ])('speaks when %s', (_, changed) => {
    expect(poolReportKey(changed, 'readiness')).not.toBe(unreported(3));
  });

  it('speaks when the pool settles, even on a revision that changes no machine (an in-place update)', () => {
    const running = [0, 1, 2].map((index) => machine(index, { ready: true, phase: 'Running' }));
    const rolling = report(3, running, { updatedReplicas: 1 });
    const settled = report(3, running);
    expect(poolReportKey(settled, 'readiness')).not.toBe(poolReportKey(rolling, 'readiness'));
  });

  it('tells the owner of a pool of no replicas that it has settled', () => {
    expect(poolReportKey(report(0, []), 'readiness')).not.toBe(unreported(0));
  });

  it('reports every machine as it appears by default, as a NodePool needs', () => {
    expect(poolReportKey(report(3, [machine(0)]))).not.toBe(poolReportKey(report(3, [])));
  });
});
