/**
 * The rollout planner: from what a MachineDeployment wants (its spec) and what exists (its
 * MachineSets and machines), the next actions, with a reason each. Pure and deterministic;
 * `now` comes from the caller. The MachineDeployment workflow applies the actions and asks again
 * whenever the world changes, or at `recheckAt`.
 *
 * Two levels, as in Cluster API: sizing.ts decides each MachineSet's replicas (the rollout),
 * machines.ts creates and deletes machines to match them (within the same budget).
 *
 * paused: the template does not roll out (no new MachineSet, nothing moves between revisions),
 * but MachineSets are kept at their replicas and a replicas change still applies, as Cluster
 * API's sync does for a paused MachineDeployment.
 */
import { oldCandidates, emptySizing, revisionLabel, sizeOnDelete, sizePaused, sizeRolling, type Sizing } from './sizing';
import { deleteRank } from './delete-priority';
import { reconcileMachines, type MachineLevel } from './machines';
import type { RolloutAction, RolloutCounts, RolloutInput, RolloutPlan } from './types';
import { newSetName, observe, type World } from './world';

const DEFAULT_REVISION_HISTORY_LIMIT = 1;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function machineSetActions(world: World, sizing: Sizing, startsNewSet: boolean): RolloutAction[] {
  const actions: RolloutAction[] = [];
  if (startsNewSet) {
    const replicas = sizing.targets.get(newSetName(world)) ?? 0;
    actions.push({
      type: 'createMachineSet',
      machineSet: newSetName(world),
      revision: world.spec.revision,
      replicas,
      reason: sizing.reasons.get(newSetName(world)) ?? `revision ${world.spec.revision} has no MachineSet yet; it starts with ${replicas} of ${world.spec.replicas}`,
    });
  }
  for (const view of world.views) {
    const target = sizing.targets.get(view.set.name);
    if (view.orphan || target === undefined || target === view.set.replicas) continue;
    actions.push({ type: 'scaleMachineSet', machineSet: view.set.name, replicas: target, reason: sizing.reasons.get(view.set.name) ?? `${view.set.name} to ${target}` });
  }
  return actions;
}

/**
 * The deadlock breaker. The old-machine rule in sizing.ts keeps old machines that are merely
 * unavailable while old plus available new machines only just cover minAvailable, so that a
 * node that blips is not traded for an unproven new machine. When that leaves nothing able to
 * move (no action, no machine being deleted, no machine about to pass minReadySeconds) while an
 * old machine is unavailable, for instance maxUnavailable 0 with the surge taken by new
 * machines that never become ready, or old machines that failed below minAvailable, exactly one
 * unavailable old machine goes. It costs no availability, and frees room for one new machine.
 */
function breakDeadlock(world: World, sizing: Sizing): boolean {
  if (world.views.some((view) => view.deleting.length > 0)) return false;
  if (world.views.some((view) => view.live.some((machine) => machine.state === 'Ready' && !machine.unhealthy && !world.isAvailable(machine)))) return false;
  const victim = oldCandidates(world).find((candidate) => !world.isAvailable(candidate.machine));
  if (!victim) return false;
  const { machine, view } = victim;
  sizing.chosen.set(
    machine.name,
    `deadlock breaker: nothing else can move (total ${world.total} of max ${world.maxTotal}, available ${world.available} of min ${world.minAvailable}); ${machine.name} of old ${revisionLabel(view)} is ${deleteRank(machine, { isAvailable: world.isAvailable })}, so removing it costs no availability`,
  );
  const target = Math.max(0, Math.min(sizing.targets.get(view.set.name) ?? view.set.replicas, view.live.length - 1));
  sizing.targets.set(view.set.name, target);
  sizing.reasons.set(view.set.name, `deadlock breaker: old ${revisionLabel(view)} down to ${target} to remove unavailable ${machine.name}`);
  return true;
}

/** Empty old MachineSets beyond revisionHistoryLimit, oldest first, as Cluster API's cleanupDeployment. */
function historyCleanup(world: World, sizing: Sizing): RolloutAction[] {
  const limit = world.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
  const olds = world.views.filter((view) => !view.isNew && !view.orphan);
  return olds
    .slice(0, Math.max(0, olds.length - limit))
    .filter((view) => (sizing.targets.get(view.set.name) ?? view.set.replicas) === 0 && view.live.length + view.deleting.length === 0)
    .map((view) => ({
      type: 'deleteMachineSet' as const,
      machineSet: view.set.name,
      reason: `old ${revisionLabel(view)} is empty and beyond revisionHistoryLimit ${limit}`,
    }));
}

function countsOf(world: World): RolloutCounts {
  const live = world.views.flatMap((view) => view.live);
  return {
    replicas: world.total,
    readyReplicas: live.filter((machine) => machine.state === 'Ready').length,
    availableReplicas: world.available,
    updatedReplicas: world.newView?.live.length ?? 0,
    unavailableReplicas: Math.max(0, world.spec.replicas - world.available),
  };
}

function isComplete(world: World): boolean {
  const replicas = world.spec.replicas;
  if (world.total !== replicas) return false;
  if (replicas === 0) return true;
  const newView = world.newView;
  return newView !== undefined && newView.live.length === replicas && newView.available === replicas;
}

/** When the first Ready machine still inside minReadySeconds becomes available. */
function nextAvailability(world: World): number | undefined {
  const minReadyMs = world.spec.minReadySeconds * 1000;
  const times = world.views
    .flatMap((view) => view.live)
    .filter((machine) => machine.state === 'Ready' && !machine.unhealthy && machine.readySince !== undefined && !world.isAvailable(machine))
    .map((machine) => (machine.readySince ?? 0) + minReadyMs);
  return times.length > 0 ? Math.min(...times) : undefined;
}

function waitingText(world: World, machineLevel: MachineLevel, recheckAt: number | undefined): string {
  const { spec } = world;
  const parts: string[] = [];
  const oldMachines = world.views.filter((view) => !view.isNew).reduce((sum, view) => sum + view.live.length, 0);
  if (spec.paused && oldMachines > 0) parts.push(`paused: revision ${spec.revision} does not roll out until spec.paused is false`);
  const deleting = world.views.reduce((sum, view) => sum + view.deleting.length, 0);
  if (deleting > 0) parts.push(`${plural(deleting, 'machine')} being deleted to be gone`);
  const newLive = world.newView?.live ?? [];
  const failed = newLive.filter((machine) => machine.state === 'Failed' || machine.unhealthy).length;
  const notReady = newLive.filter((machine) => (machine.state === 'Provisioning' || machine.state === 'NotReady') && !machine.unhealthy).length;
  if (notReady > 0) parts.push(`${plural(notReady, 'machine')} of revision ${spec.revision} to become ready`);
  if (failed > 0) parts.push(`${plural(failed, 'failed or unhealthy machine')} of revision ${spec.revision} to be replaced (the health check remediates them)`);
  if (recheckAt !== undefined) parts.push(`machines to stay ready for minReadySeconds ${spec.minReadySeconds} (the first in ${Math.ceil((recheckAt - world.now) / 1000)}s)`);
  if (!spec.paused && spec.strategy.type === 'OnDelete' && oldMachines > 0) {
    parts.push(`OnDelete: ${plural(oldMachines, 'old machine')} stay until someone deletes them (or annotates them with slipway.dev/delete-machine)`);
  }
  if (machineLevel.heldCreates > 0 || machineLevel.heldDeletes > 0 || (!spec.paused && spec.strategy.type === 'RollingUpdate')) {
    parts.push(
      `budget: total ${world.total} of max ${world.maxTotal} (replicas ${spec.replicas} + maxSurge ${world.budget.maxSurge}), available ${world.available} of min ${world.minAvailable} (replicas - maxUnavailable ${world.budget.maxUnavailable})`,
    );
  }
  return parts.length > 0 ? `waiting for ${parts.join('; ')}` : 'waiting for the next change';
}

export function planRollout(input: RolloutInput): RolloutPlan {
  const world = observe(input);
  const { spec } = world;
  const sizing = emptySizing(world);
  const startsNewSet = world.newView === undefined && !spec.paused;
  if (spec.paused) sizePaused(world, sizing);
  else if (spec.strategy.type === 'OnDelete') sizeOnDelete(world, sizing);
  else sizeRolling(world, sizing);

  let machineLevel = reconcileMachines(world, sizing);
  let setActions = machineSetActions(world, sizing, startsNewSet);
  const complete = isComplete(world);
  const idle = setActions.length + machineLevel.deletes.length + machineLevel.creates.length === 0;
  if (idle && !complete && !spec.paused && spec.strategy.type === 'RollingUpdate' && breakDeadlock(world, sizing)) {
    machineLevel = reconcileMachines(world, sizing);
    setActions = machineSetActions(world, sizing, startsNewSet);
  }
  const actions = [...setActions, ...machineLevel.deletes, ...machineLevel.creates, ...historyCleanup(world, sizing)];
  const recheckAt = nextAvailability(world);
  return {
    actions,
    counts: countsOf(world),
    complete,
    ...(actions.length === 0 && !complete ? { waitingFor: waitingText(world, machineLevel, recheckAt) } : {}),
    ...(recheckAt !== undefined ? { recheckAt } : {}),
  };
}
