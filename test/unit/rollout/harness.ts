/**
 * Step-by-step rollout traces for people: each step's counts, actions and reasons, as text
 * that golden files (test/fixtures/rollout-traces) keep. A step plans, applies the plan, and
 * moves time on: machines being deleted are gone by the next step, and machines created in a
 * step are Ready at the next one (unless the scenario says they never become ready).
 */
import { planRollout } from '../../../workflows/planners/rollout/planner';
import { applyActions, removeDeleted, type SimulatedWorld } from '../../../workflows/planners/rollout/simulate';
import type { PlannedMachine, PlannedMachineSet, RolloutAction, RolloutPlan, RolloutSpec } from '../../../workflows/planners/rollout/types';
import { plannerBudget } from '../../../workflows/planners/rollout/budget';
import { checkSafety } from './safety';

export const STEP_SECONDS = 60;
const START = 1_700_000_000_000;

export interface TraceState {
  readonly spec: RolloutSpec;
  readonly world: SimulatedWorld;
}

export interface TraceScenario {
  readonly name: string;
  readonly spec: RolloutSpec;
  readonly machineSets: readonly PlannedMachineSet[];
  readonly machines: readonly PlannedMachine[];
  /** What changes before a step plans: the spec, or machines (a person deleting one). */
  readonly events?: Readonly<Record<number, { readonly note: string; readonly apply: (state: TraceState) => TraceState }>>;
  readonly neverReady?: (machine: PlannedMachine) => boolean;
  readonly maxSteps?: number;
}

export interface Trace {
  readonly text: string;
  readonly finalPlan: RolloutPlan;
  readonly final: TraceState;
  readonly steps: number;
}

function describeSpec(spec: RolloutSpec): string {
  const budget = plannerBudget(spec);
  const given = spec.strategy.type === 'RollingUpdate' ? ` maxSurge ${String(spec.strategy.maxSurge ?? 1)} maxUnavailable ${String(spec.strategy.maxUnavailable ?? 0)} (resolved ${budget.maxSurge}/${budget.maxUnavailable})` : '';
  return `replicas ${spec.replicas}, ${spec.strategy.type}${given}, minReadySeconds ${spec.minReadySeconds}${spec.paused ? ', paused' : ''}, revision ${spec.revision}`;
}

function describeWorld(world: SimulatedWorld): string {
  const sets = [...world.machineSets].sort((a, b) => a.revisionNumber - b.revisionNumber);
  return sets
    .map((set) => {
      const members = world.machines.filter((machine) => machine.machineSet === set.name);
      const states = ['Ready', 'Provisioning', 'NotReady', 'Failed', 'Deleting'].map((state) => [state, members.filter((m) => m.state === state).length] as const).filter(([, count]) => count > 0);
      return `${set.name}(replicas ${set.replicas}: ${states.map(([state, count]) => `${count} ${state}`).join(', ') || 'no machines'})`;
    })
    .join(' ');
}

function describeAction(action: RolloutAction): string {
  switch (action.type) {
    case 'createMachineSet':
      return `createMachineSet ${action.machineSet} replicas ${action.replicas}: ${action.reason}`;
    case 'scaleMachineSet':
      return `scaleMachineSet ${action.machineSet} to ${action.replicas}: ${action.reason}`;
    case 'createMachine':
      return `createMachine in ${action.machineSet}: ${action.reason}`;
    case 'deleteMachine':
      return `deleteMachine ${action.machine}: ${action.reason}`;
    case 'deleteMachineSet':
      return `deleteMachineSet ${action.machineSet}: ${action.reason}`;
  }
}

function advance(world: SimulatedWorld, now: number, neverReady: (machine: PlannedMachine) => boolean): SimulatedWorld {
  const machines = world.machines.map((machine) => (machine.state === 'Provisioning' && machine.createdAt < now && !neverReady(machine) ? { ...machine, state: 'Ready' as const, readySince: now } : machine));
  return removeDeleted({ ...world, machines });
}

export function runTrace(scenario: TraceScenario): Trace {
  const lines = [`# rollout trace: ${scenario.name}`, `spec: ${describeSpec(scenario.spec)}`, `start: ${describeWorld({ machineSets: scenario.machineSets, machines: scenario.machines })}`, ''];
  let state: TraceState = { spec: scenario.spec, world: { machineSets: scenario.machineSets, machines: scenario.machines } };
  const neverReady = scenario.neverReady ?? (() => false);
  const maxSteps = scenario.maxSteps ?? 40;
  let idleSteps = 0;
  let plan: RolloutPlan | undefined;
  let step = 0;
  for (; step < maxSteps; step += 1) {
    const now = START + step * STEP_SECONDS * 1000;
    const event = scenario.events?.[step];
    if (event) {
      state = event.apply(state);
      lines.push(`-- ${event.note}; spec now: ${describeSpec(state.spec)}`);
    }
    plan = planRollout({ spec: state.spec, machineSets: state.world.machineSets, machines: state.world.machines, now });
    checkSafety(state.spec, state.world, plan, now);
    const { counts } = plan;
    lines.push(
      `step ${step} (t=${step * STEP_SECONDS}s): ${counts.replicas} machines, ${counts.readyReplicas} ready, ${counts.availableReplicas} available, ${counts.updatedReplicas} updated, ${counts.unavailableReplicas} unavailable${plan.complete ? ', complete' : ''}`,
      `  sets: ${describeWorld(state.world)}`,
    );
    for (const action of plan.actions) lines.push(`  ${describeAction(action)}`);
    if (plan.waitingFor) lines.push(`  ${plan.waitingFor}`);
    const laterEvents = Object.keys(scenario.events ?? {}).some((key) => Number(key) > step);
    if (plan.actions.length === 0 && !laterEvents) {
      idleSteps += 1;
      if (plan.complete || idleSteps >= 2) break;
    } else idleSteps = 0;
    state = { ...state, world: applyActions(state.world, plan.actions, now).world };
    state = { ...state, world: advance(state.world, now + STEP_SECONDS * 1000, neverReady) };
  }
  if (!plan) throw new Error(`scenario ${scenario.name} ran no step`);
  lines.push('', plan.complete ? `result: complete at step ${step}` : `result: not complete after step ${step}: ${plan.waitingFor ?? 'still acting'}`);
  return { text: `${lines.join('\n')}\n`, finalPlan: plan, final: state, steps: step };
}
