/**
 * InPlace upgrades of a NodePool: which machines to update next, where they run, without
 * replacing them. Pure. A machine being updated, or not ready, counts as unavailable; at most
 * maxUnavailable are unavailable at once, so a batch fills the room left; machines go in name
 * order, so a retried plan picks the same ones.
 */

export interface InPlaceMachine {
  readonly name: string;
  /** The version it runs; absent when not known yet. */
  readonly version?: string;
  readonly ready: boolean;
  readonly updating: boolean;
}

export interface InPlaceBatch {
  /** The machines to update now. */
  readonly update: readonly string[];
  /** Every machine runs the target version and none is being updated. */
  readonly done: boolean;
}

/** maxUnavailable as HyperShift resolves it for in-place: a count, or a percentage of replicas rounded down, and at least 1 so the upgrade can move. */
export function inPlaceMaxUnavailable(value: number | string, replicas: number): number {
  const resolved = typeof value === 'number' ? value : Math.floor((replicas * Number.parseInt(value, 10)) / 100);
  return Math.max(1, resolved);
}

export function planInPlaceBatch(machines: readonly InPlaceMachine[], targetVersion: string, maxUnavailable: number): InPlaceBatch {
  const behind = machines.filter((machine) => machine.version !== targetVersion && !machine.updating);
  const unavailable = machines.filter((machine) => machine.updating || !machine.ready).length;
  const done = behind.length === 0 && !machines.some((machine) => machine.updating);
  // A machine that is not ready costs no extra room to update: it is unavailable already.
  const notReadyBehind = behind.filter((machine) => !machine.ready);
  const room = Math.max(0, maxUnavailable - unavailable);
  const readyBehind = behind.filter((machine) => machine.ready).sort((a, b) => a.name.localeCompare(b.name)).slice(0, room);
  const update = [...notReadyBehind, ...readyBehind].map((machine) => machine.name).sort();
  return { update, done };
}
