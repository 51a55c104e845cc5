/**
 * A test-only model of Cluster API's rolling-update arithmetic, to compare wave counts with
 * ours. Written from reading Cluster API v1.10.0 (not copied):
 * - internal/controllers/machinedeployment/machinedeployment_rolling.go: rolloutRolling runs
 *   reconcileNewMachineSet (scale the new MachineSet up), then reconcileOldMachineSets
 *   (maxScaledDown = allMachinesCount - minAvailable - newMSUnavailable, then
 *   cleanupUnhealthyReplicas, then scaleDownOldMachineSetsForRollingUpdate by
 *   available - minAvailable), in the same reconcile.
 * - internal/controllers/machinedeployment/mdutil/util.go: NewMSNewReplicas (room is
 *   replicas + maxSurge - TotalMachineSetsReplicaSum, which sums max(spec.replicas,
 *   status.replicas) per MachineSet, so a machine being deleted still takes room),
 *   GetReplicaCountForMachineSets (sums spec.replicas), ResolveFenceposts, MaxUnavailable.
 * - internal/controllers/machinedeployment/machinedeployment_sync.go: a new MachineSet starts
 *   at NewMSNewReplicas(oldMSs, 0); scaleMachineSet sets spec.replicas on the object the rest
 *   of the reconcile holds, so reconcileOldMachineSets counts the new MachineSet at its new
 *   size, and newMSUnavailable counts the machines just asked for. (The two cancel:
 *   maxScaledDown comes to old spec.replicas + new available - minAvailable.)
 * Newer Cluster API (core/reconcilers/machinedeployment, the "rollout planner") computes the
 * same scale intents for the healthy rollouts modelled here.
 *
 * The MachineSet controller is modelled as creating or deleting machines at once to match
 * spec.replicas. All machines are healthy and become available when their wave ends.
 *
 * Two wake-up models:
 * - 'once': one reconcile at each wave start: nothing wakes the controller while the
 *   machines it asked for boot and the old ones drain.
 * - 'afterDrain': a second round of reconciles once the deleted machines are gone, as the
 *   MachineSet status change of a finished deletion does wake the real controller.
 */

export type WakeUps = 'once' | 'afterDrain';

interface ModelSet {
  spec: number;
  ready: number;
  provisioning: number;
  deleting: number;
}

export interface CapiRun {
  readonly bootWaves: number;
  /** Per wave: machines deleted and created, e.g. "-1+2". */
  readonly waves: readonly string[];
}

const status = (set: ModelSet) => set.ready + set.provisioning + set.deleting;

function newMSNewReplicas(sets: readonly ModelSet[], current: number, replicas: number, maxSurge: number): number {
  const total = sets.reduce((sum, set) => sum + Math.max(set.spec, status(set)), 0);
  const maxTotal = replicas + maxSurge;
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, replicas - current);
}

function reconcile(old: ModelSet, next: ModelSet | undefined, replicas: number, maxSurge: number, maxUnavailable: number): ModelSet {
  const created = next ?? { spec: newMSNewReplicas([old], 0, replicas, maxSurge), ready: 0, provisioning: 0, deleting: 0 };
  if (created.spec > replicas) created.spec = replicas;
  else if (created.spec < replicas) created.spec = newMSNewReplicas([old, created], created.spec, replicas, maxSurge);

  if (old.spec === 0) return created;
  const minAvailable = replicas - (replicas === 0 ? 0 : Math.min(maxUnavailable, replicas));
  const newUnavailable = created.spec - created.ready;
  const maxScaledDown = old.spec + created.spec - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return created;
  const unhealthy = Math.max(0, old.spec - old.ready);
  old.spec -= Math.min(maxScaledDown, unhealthy);
  const available = old.ready + created.ready;
  if (available <= minAvailable) return created;
  old.spec -= Math.min(old.spec, available - minAvailable);
  return created;
}

/** The MachineSet controller: machines to match spec.replicas, not-ready ones deleted first. */
function matchMachines(set: ModelSet): { created: number; deleted: number } {
  const live = set.ready + set.provisioning;
  if (live < set.spec) {
    set.provisioning += set.spec - live;
    return { created: set.spec - live, deleted: 0 };
  }
  const excess = live - set.spec;
  const fromProvisioning = Math.min(excess, set.provisioning);
  set.provisioning -= fromProvisioning;
  set.ready -= excess - fromProvisioning;
  set.deleting += excess;
  return { created: 0, deleted: excess };
}

export function simulateCapiRollout(replicas: number, maxSurge: number, maxUnavailable: number, wakeUps: WakeUps): CapiRun {
  const old: ModelSet = { spec: replicas, ready: replicas, provisioning: 0, deleting: 0 };
  let next: ModelSet | undefined;
  const waves: string[] = [];
  for (let wave = 0; wave < 10 * replicas + 10; wave += 1) {
    let created = 0;
    let deleted = 0;
    const round = (): number => {
      next = reconcile(old, next, replicas, maxSurge, maxUnavailable);
      const changes = [matchMachines(old), matchMachines(next)];
      const made = changes.reduce((sum, change) => sum + change.created, 0);
      const removed = changes.reduce((sum, change) => sum + change.deleted, 0);
      created += made;
      deleted += removed;
      return made + removed;
    };
    round();
    if (wakeUps === 'afterDrain') {
      for (let guard = 0; guard < 100; guard += 1) {
        old.deleting = 0;
        if (next) next.deleting = 0;
        if (round() === 0) break;
      }
    }
    if (created === 0 && deleted === 0) break;
    waves.push(`-${deleted}+${created}`);
    for (const set of [old, next]) {
      if (!set) continue;
      set.deleting = 0;
      set.ready += set.provisioning;
      set.provisioning = 0;
    }
  }
  const done = old.ready + old.provisioning === 0 && next !== undefined && next.ready === replicas;
  if (!done) throw new Error(`the Cluster API model did not finish replicas ${replicas}, maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable}`);
  return { bootWaves: waves.filter((wave) => !wave.endsWith('+0')).length, waves };
}
