export * from './types';
export { resolveRolloutBudget, rolloutStrategyErrors, plannerBudget, type RolloutBudget, type StrategyError } from './budget';
export { orderForDeletion, deleteRank, DELETE_RANKS, type DeleteRank, type DeleteOrderOptions } from './delete-priority';
export { planRollout } from './planner';
export { proportionalShares } from './sizing';
export { previewRollout, idealWaveCount, type PreviewInput, type PreviewWave, type RolloutPreview } from './preview';
export { applyActions, removeDeleted, bootAll, type SimulatedWorld, type Applied } from './simulate';
export { templateRevision, canonicalJson } from './revision';
export { planRemediation, type HealthCheckSpec, type HealthInput, type HealthInputMachine, type HealthJudgement, type UnhealthyCondition, type NodeCondition, SKIP_REMEDIATION_ANNOTATION } from './health';
