/**
 * Plain scaling of one machine pool: which machines to add and which to remove so the pool
 * holds `desired` machines. Rolling updates are a later planner; this one only counts.
 */

export interface PoolMember {
  readonly name: string;
  /** Monotonic per cluster: a higher serial is a newer machine. */
  readonly serial: number;
  readonly deleting: boolean;
  readonly failed: boolean;
}

export interface PoolScalePlan {
  readonly createCount: number;
  /** Names to delete, in order: failed machines first, then the newest. */
  readonly delete: readonly string[];
}

export function planPoolScale(members: readonly PoolMember[], desired: number): PoolScalePlan {
  const live = members.filter((member) => !member.deleting);
  const healthy = live.filter((member) => !member.failed);
  const failed = live.filter((member) => member.failed);
  const excess = Math.max(0, healthy.length - desired);
  const newestFirst = [...healthy].sort((a, b) => b.serial - a.serial);
  return {
    createCount: Math.max(0, desired - healthy.length),
    delete: [...failed.map((member) => member.name), ...newestFirst.slice(0, excess).map((member) => member.name)],
  };
}
