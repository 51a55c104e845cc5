import type { Condition } from '../../crds/schemas/common';

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Sets a condition the Kubernetes way: lastTransitionTime moves only when the status
 * flips, so "since" in describe output means what a reader expects.
 */
export function setCondition(conditions: readonly Condition[], input: ConditionInput, now: string): Condition[] {
  const existing = conditions.find((condition) => condition.type === input.type);
  const lastTransitionTime = existing && existing.status === input.status ? existing.lastTransitionTime : now;
  const next: Condition = { ...input, lastTransitionTime };
  return existing
    ? conditions.map((condition) => (condition.type === input.type ? next : condition))
    : [...conditions, next];
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}
