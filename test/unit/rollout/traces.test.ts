/**
 * Golden rollout traces: each scenario's step-by-step plan, as people read it, is kept in
 * test/fixtures/rollout-traces/<scenario>.txt. A change to the planner that changes a trace
 * fails here; when the change is meant, rewrite the files with UPDATE_GOLDEN=1 and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlannedMachine, PlannedMachineSet, RolloutSpec } from '../../../workflows/planners/rollout/types';
import { runTrace, type TraceScenario } from './harness';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/rollout-traces');

function rolling(replicas: number, maxSurge: number | string, maxUnavailable: number | string, revision = 'b2'): RolloutSpec {
  return { replicas, strategy: { type: 'RollingUpdate', maxSurge, maxUnavailable, deletePolicy: 'Oldest' }, minReadySeconds: 0, paused: false, revision };
}
function set(name: string, replicas: number, revisionNumber: number): PlannedMachineSet {
  return { name, revision: name, replicas, revisionNumber };
}
function ready(setName: string, count: number): PlannedMachine[] {
  return Array.from({ length: count }, (_, index) => ({ name: `${setName}-${index}`, machineSet: setName, createdAt: index, state: 'Ready' as const, readySince: index }));
}
const rollFrom = (replicas: number, spec: RolloutSpec) => ({ spec, machineSets: [set('a1', replicas, 1)], machines: ready('a1', replicas) });

const scenarios: TraceScenario[] = [
  { name: 'scale-up', spec: rolling(6, 1, 0, 'a1'), machineSets: [set('a1', 3, 1)], machines: ready('a1', 3) },
  { name: 'scale-down', spec: rolling(2, 1, 0, 'a1'), machineSets: [set('a1', 6, 1)], machines: ready('a1', 6) },
  { name: 'surge-0-unavailable-1', ...rollFrom(4, rolling(4, 0, 1)) },
  { name: 'surge-1-unavailable-0', ...rollFrom(4, rolling(4, 1, 0)) },
  { name: 'percentages', ...rollFrom(10, rolling(10, '25%', '25%')) },
  {
    name: 'replicas-change-mid-rollout',
    ...rollFrom(6, rolling(6, 1, 1)),
    events: {
      2: { note: 'replicas raised to 12', apply: (state) => ({ ...state, spec: { ...state.spec, replicas: 12 } }) },
      6: { note: 'replicas lowered to 4', apply: (state) => ({ ...state, spec: { ...state.spec, replicas: 4 } }) },
    },
  },
  {
    name: 'on-delete',
    ...rollFrom(3, { ...rolling(3, 1, 0), strategy: { type: 'OnDelete', deletePolicy: 'Oldest' } }),
    events: {
      2: { note: 'a person annotates a1-0 with slipway.dev/delete-machine', apply: (state) => ({ ...state, world: { ...state.world, machines: state.world.machines.map((m) => (m.name === 'a1-0' ? { ...m, deleteAnnotated: true } : m)) } }) },
      4: { note: 'a person deletes a1-1', apply: (state) => ({ ...state, world: { ...state.world, machines: state.world.machines.map((m) => (m.name === 'a1-1' ? { ...m, state: 'Deleting' as const } : m)) } }) },
      6: { note: 'a person annotates a1-2', apply: (state) => ({ ...state, world: { ...state.world, machines: state.world.machines.map((m) => (m.name === 'a1-2' ? { ...m, deleteAnnotated: true } : m)) } }) },
    },
  },
  { name: 'never-ready', ...rollFrom(3, rolling(3, 1, 0)), neverReady: (machine) => machine.machineSet === 'b2', maxSteps: 8 },
];

describe('golden rollout traces', () => {
  it.each(scenarios)('$name', (scenario) => {
    const trace = runTrace(scenario);
    const file = resolve(FIXTURES, `${scenario.name}.txt`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, trace.text);
    expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 to write it`).toBe(true);
    expect(trace.text).toBe(readFileSync(file, 'utf8'));
    if (scenario.name === 'never-ready') {
      expect(trace.finalPlan.complete).toBe(false);
      expect(trace.finalPlan.waitingFor).toMatch(/1 machine of revision b2 to become ready/);
      expect(trace.finalPlan.waitingFor).toMatch(/total 4 of max 4/);
    } else {
      expect(trace.finalPlan.complete).toBe(true);
      expect(trace.final.world.machines).toHaveLength(trace.final.spec.replicas);
    }
  });
});
