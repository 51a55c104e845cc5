/**
 * maxSurge and maxUnavailable as Cluster API resolves them (mdutil.ResolveFenceposts): a count,
 * or a percentage of replicas with surge rounded up and unavailable rounded down; when both come
 * to 0, maxUnavailable becomes 1 so that a rollout can always move.
 */
import type { IntOrPercent, RolloutSpec } from './types';

export interface RolloutBudget {
  readonly maxSurge: number;
  readonly maxUnavailable: number;
}

export interface StrategyError {
  readonly path: string;
  readonly message: string;
}

const PERCENT = /^\d+%$/;
const DEFAULT_MAX_SURGE = 1;
const DEFAULT_MAX_UNAVAILABLE = 0;

function scaled(value: IntOrPercent, replicas: number, roundUp: boolean): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${value} is not a whole number of machines; check the strategy with rolloutStrategyErrors first`);
    return value;
  }
  if (!PERCENT.test(value)) throw new RangeError(`${JSON.stringify(value)} is neither a count nor a percentage like "25%"; check the strategy with rolloutStrategyErrors first`);
  const hundredths = replicas * Number.parseInt(value, 10);
  return roundUp ? Math.ceil(hundredths / 100) : Math.floor(hundredths / 100);
}

export function resolveRolloutBudget(replicas: number, maxSurge: IntOrPercent = DEFAULT_MAX_SURGE, maxUnavailable: IntOrPercent = DEFAULT_MAX_UNAVAILABLE): RolloutBudget {
  const surge = scaled(maxSurge, replicas, true);
  const unavailable = scaled(maxUnavailable, replicas, false);
  return { maxSurge: surge, maxUnavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

/**
 * The budget the planner works with. OnDelete never surges and never takes an available machine
 * away on its own (Cluster API's MaxSurge and MaxUnavailable are 0 for it); only people delete.
 */
export function plannerBudget(spec: RolloutSpec): RolloutBudget {
  if (spec.strategy.type === 'OnDelete') return { maxSurge: 0, maxUnavailable: 0 };
  return resolveRolloutBudget(spec.replicas, spec.strategy.maxSurge, spec.strategy.maxUnavailable);
}

function valueError(field: 'maxSurge' | 'maxUnavailable', value: IntOrPercent | undefined): StrategyError | undefined {
  const path = `spec.strategy.rollingUpdate.${field}`;
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { path, message: `${value} is not a whole number; give a count of machines such as 1, or a percentage such as "25%"` };
    if (value < 0) return { path, message: `${value} is negative; give 0 or more machines, or a percentage such as "25%"` };
    return undefined;
  }
  if (!PERCENT.test(value)) return { path, message: `${JSON.stringify(value)} is not a count or a percentage; write a whole number such as 1, or a percentage such as "25%"` };
  return undefined;
}

/** What is wrong with a strategy, for people; empty when the planner can use it. */
export function rolloutStrategyErrors(strategy: RolloutSpec['strategy']): StrategyError[] {
  const errors = [valueError('maxSurge', strategy.maxSurge), valueError('maxUnavailable', strategy.maxUnavailable)].filter((error): error is StrategyError => error !== undefined);
  if (strategy.type === 'RollingUpdate' && strategy.maxSurge === 0 && strategy.maxUnavailable === 0) {
    errors.push({
      path: 'spec.strategy.rollingUpdate',
      message:
        'maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress; set maxSurge to at least 1 (the default) or maxUnavailable to at least 1',
    });
  }
  return errors;
}
