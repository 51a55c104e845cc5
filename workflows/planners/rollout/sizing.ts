/**
 * The MachineSet level of the plan: how many machines each MachineSet should have. The
 * machine level (machines.ts) then makes the machines match, within the same budget.
 */
import { orderForDeletion, deleteRank, DELETE_RANKS } from './delete-priority';
import type { PlannedMachine } from './types';
import { newSetName, type SetView, type World } from './world';

export interface Sizing {
  /** Desired replicas per MachineSet name. */
  readonly targets: Map<string, number>;
  /** Why a MachineSet's replicas change, per MachineSet name. */
  readonly reasons: Map<string, string>;
  /** Machines to delete before any other, already weighed against the budget; name to reason. */
  readonly chosen: Map<string, string>;
  /** Chosen machines that a person asked to delete: the availability floor does not hold them back. */
  readonly requested: Set<string>;
}

export function emptySizing(world: World): Sizing {
  return { targets: new Map(world.views.map((view) => [view.set.name, view.set.replicas])), reasons: new Map(), chosen: new Map(), requested: new Set() };
}

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};

function targetOf(sizing: Sizing, view: SetView): number {
  return sizing.targets.get(view.set.name) ?? view.set.replicas;
}

function setTarget(sizing: Sizing, view: SetView, replicas: number, reason: string): void {
  if (targetOf(sizing, view) === replicas) return;
  sizing.targets.set(view.set.name, replicas);
  sizing.reasons.set(view.set.name, reason);
}

export function revisionLabel(view: SetView): string {
  return view.orphan ? `unknown MachineSet ${view.set.name}` : `revision ${view.set.revision}`;
}

/**
 * Cluster API's proportional scaling, without its desired-replicas annotation: the new size is
 * shared in proportion to the MachineSets' sizes, rounded down, and what rounding leaves goes to
 * the newest MachineSet.
 */
export function proportionalShares(sets: readonly { readonly name: string; readonly replicas: number; readonly revisionNumber: number }[], allowed: number): Map<string, number> {
  const current = sum(sets.map((set) => set.replicas));
  const shares = new Map(sets.map((set) => [set.name, current === 0 ? 0 : Math.floor((set.replicas * allowed) / current)]));
  const newest = [...sets].sort((a, b) => b.revisionNumber - a.revisionNumber)[0];
  if (newest) shares.set(newest.name, (shares.get(newest.name) ?? 0) + allowed - sum(shares.values()));
  return shares;
}

/**
 * A replicas change while several MachineSets hold machines. Our own rolling plans keep the
 * sum of MachineSet replicas between spec.replicas and spec.replicas + maxSurge, so a sum
 * outside that window means spec.replicas moved (Cluster API reads the same from an annotation
 * we do not have); a move that stays inside the window is simply absorbed by the rolling update.
 */
export function scaleProportionally(world: World, sizing: Sizing): boolean {
  const active = world.views.filter((view) => !view.orphan && targetOf(sizing, view) > 0);
  if (active.length < 2) return false;
  const current = sum(active.map((view) => targetOf(sizing, view)));
  const replicas = world.spec.replicas;
  if (current >= replicas && current <= world.maxTotal) return false;
  const allowed = replicas > 0 ? world.maxTotal : 0;
  const shares = proportionalShares(active.map((view) => ({ name: view.set.name, replicas: targetOf(sizing, view), revisionNumber: view.set.revisionNumber })), allowed);
  for (const view of active) {
    const share = shares.get(view.set.name) ?? 0;
    setTarget(sizing, view, share, `replicas changed to ${replicas} mid-rollout: MachineSets share ${allowed} (replicas + maxSurge) in proportion to their sizes; ${view.set.name} (${revisionLabel(view)}) goes from ${targetOf(sizing, view)} to ${share}`);
  }
  return true;
}

/** Paused: no template rollout, but a replicas change still applies, as in Cluster API. */
export function sizePaused(world: World, sizing: Sizing): void {
  if (scaleProportionally(world, sizing)) return;
  const owned = world.views.filter((view) => !view.orphan);
  const active = owned.filter((view) => targetOf(sizing, view) > 0);
  if (active.length > 1) return;
  const only = active[0] ?? [...owned].sort((a, b) => b.set.revisionNumber - a.set.revisionNumber)[0];
  if (only) setTarget(sizing, only, world.spec.replicas, `paused: the template does not roll out, but replicas still apply; ${only.set.name} scaled to ${world.spec.replicas}`);
}

interface Candidate {
  readonly machine: PlannedMachine;
  readonly view: SetView;
  readonly rank: number;
  readonly position: number;
  readonly setIndex: number;
}

/** Old machines in the order they should go: broken before healthy, older MachineSets first. */
export function oldCandidates(world: World): Candidate[] {
  const options = { isAvailable: world.isAvailable };
  return world.views
    .filter((view) => !view.isNew)
    .flatMap((view, setIndex) =>
      orderForDeletion(view.live, world.policy, options).map((machine, position) => ({ machine, view, rank: DELETE_RANKS.indexOf(deleteRank(machine, options)), position, setIndex })),
    )
    .sort((a, b) => a.rank - b.rank || a.setIndex - b.setIndex || a.position - b.position);
}

/**
 * RollingUpdate, in one step: old machines go while availability allows (unavailable ones first,
 * since removing them costs no availability), and the new MachineSet grows into all the room
 * that leaves under replicas + maxSurge. Cluster API takes a second reconcile to use the room an
 * old scale-down frees; sizing the new MachineSet against the old MachineSets' targets instead
 * of their current machines uses it at once, while the machine level still waits for the old
 * machines to be gone before it creates (machines being deleted count towards the total).
 */
export function sizeRolling(world: World, sizing: Sizing): void {
  if (scaleProportionally(world, sizing)) return;
  const { replicas } = world.spec;
  const olds = world.views.filter((view) => !view.isNew);
  const newAvailable = world.newView?.available ?? 0;
  // Cluster API's maxScaledDown (allMachines - minAvailable - newUnavailable) restated with
  // machines: old machines, available or not, plus available new ones must still cover
  // minAvailable. An old machine that is merely not ready may come back, and is not traded for
  // new machines that have not proven themselves; the deadlock breaker handles the rest.
  let oldRoom = sum(olds.map((view) => view.live.length)) + newAvailable - world.minAvailable;
  let availableRoom = world.available - world.minAvailable;
  const removed = new Map<string, number>();
  for (const candidate of oldCandidates(world)) {
    if (oldRoom <= 0) break;
    const available = world.isAvailable(candidate.machine);
    if (available && availableRoom <= 0) continue;
    if (available) availableRoom -= 1;
    oldRoom -= 1;
    removed.set(candidate.view.set.name, (removed.get(candidate.view.set.name) ?? 0) + 1);
    sizing.chosen.set(
      candidate.machine.name,
      available
        ? `rolling update: ${candidate.machine.name} of old ${revisionLabel(candidate.view)} goes; available ${world.available} may drop to min ${world.minAvailable} (replicas ${replicas} - maxUnavailable ${world.budget.maxUnavailable})`
        : `rolling update: ${candidate.machine.name} of old ${revisionLabel(candidate.view)} goes first: it is ${deleteRank(candidate.machine, { isAvailable: world.isAvailable })}, so availability does not drop`,
    );
  }
  for (const view of olds) {
    const gone = removed.get(view.set.name) ?? 0;
    const target = Math.max(0, Math.min(targetOf(sizing, view), view.live.length - gone));
    setTarget(sizing, view, target, `rolling update: old ${revisionLabel(view)} down from ${targetOf(sizing, view)} to ${target}; available ${world.available}, min ${world.minAvailable}`);
  }
  const newView = world.newView;
  const oldTargets = sum(olds.map((view) => targetOf(sizing, view)));
  const current = newView ? targetOf(sizing, newView) : 0;
  const target = Math.min(replicas, Math.max(current, world.maxTotal - oldTargets));
  sizing.targets.set(newSetName(world), target);
  if (target !== current) {
    sizing.reasons.set(
      newSetName(world),
      target > current
        ? `rolling update: new revision ${world.spec.revision} has ${current} of ${replicas}; surge room ${target - current} (planned total ${oldTargets + target} of max ${world.maxTotal})`
        : `replicas lowered to ${replicas}: new revision ${world.spec.revision} down from ${current}`,
    );
  }
}

/**
 * OnDelete: the planner never takes old machines away by itself. A person deletes a machine (or
 * annotates it with slipway.dev/delete-machine, which here is the way to ask), its old
 * MachineSet shrinks by one, and the new MachineSet grows to keep spec.replicas.
 */
export function sizeOnDelete(world: World, sizing: Sizing): void {
  const { replicas } = world.spec;
  const olds = world.views.filter((view) => !view.isNew);
  for (const view of olds) {
    const asked = view.live.filter((machine) => machine.deleteAnnotated);
    for (const machine of asked) {
      sizing.chosen.set(machine.name, `OnDelete: ${machine.name} of old ${revisionLabel(view)} is annotated for deletion; a machine of revision ${world.spec.revision} replaces it`);
      sizing.requested.add(machine.name);
    }
    const target = Math.max(0, Math.min(targetOf(sizing, view), view.live.length - asked.length));
    setTarget(sizing, view, target, `OnDelete: old ${revisionLabel(view)} keeps the ${target} machines still there; deleted ones are replaced in revision ${world.spec.revision}`);
  }
  let excess = sum(olds.map((view) => targetOf(sizing, view))) - replicas;
  for (const view of olds) {
    if (excess <= 0) break;
    const cut = Math.min(excess, targetOf(sizing, view));
    excess -= cut;
    setTarget(sizing, view, targetOf(sizing, view) - cut, `replicas lowered to ${replicas}: old ${revisionLabel(view)} down to ${targetOf(sizing, view) - cut}, oldest MachineSets first`);
  }
  const newView = world.newView;
  const current = newView ? targetOf(sizing, newView) : 0;
  const target = Math.max(0, replicas - sum(olds.map((view) => targetOf(sizing, view))));
  sizing.targets.set(newSetName(world), target);
  if (target !== current) sizing.reasons.set(newSetName(world), `OnDelete: new revision ${world.spec.revision} holds ${target} of ${replicas}, the rest are old machines nobody has deleted yet`);
}
