/**
 * One sweep schedule per target (provider, account, region) and management plane. The schedules
 * themselves, in Temporal, say which exist: each carries its target's key and its task queue in
 * its memo (an older one without them is described). Listing schedules is eventually consistent,
 * so creates for one target take turns under a short Redis lease, and a create holds it until its
 * schedule is listed: the next create then finds it. The lease is only coordination; losing it
 * (Redis flushed) loses nothing.
 */
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { SWEEP_SCHEDULE_KIND, sweepTargetKey, type SweepInput } from '../../workflows/sweep/definitions';

/** What a sweep schedule's memo holds besides its spec. */
export interface ScheduleTargetMemo {
  readonly target?: string;
  readonly taskQueue?: string;
}

export interface ScheduleRef {
  readonly namespace: string;
  readonly name: string;
}

/** Long enough for a create and its schedule showing in the list; a lease a crashed API left behind runs out by then. */
const LEASE_MS = 30_000;
const LISTED_WITHIN_MS = 10_000;
const POLL_MS = 100;

// Deletes the lease only if it is still this holder's.
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const PREFIX = `${SWEEP_SCHEDULE_KIND}/`;

function refOf(scheduleId: string): ScheduleRef | undefined {
  if (!scheduleId.startsWith(PREFIX)) return undefined;
  const [namespace, name, ...rest] = scheduleId.slice(PREFIX.length).split('/');
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

export function createScheduleTargets(temporal: Client, redis: Redis, redisPrefix: string, taskQueue: string) {
  /** The target and task queue of a schedule whose memo predates them, from its action. */
  const describedTarget = async (scheduleId: string): Promise<ScheduleTargetMemo | undefined> => {
    try {
      const { action } = await temporal.schedule.getHandle(scheduleId).describe();
      const input = action.args?.[0] as SweepInput | undefined;
      return input?.target ? { target: sweepTargetKey(input.target), taskQueue: action.taskQueue } : undefined;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    }
  };

  return {
    /** This management plane's schedule for the target, in any namespace (the worker's own credentials are every namespace's). */
    async scheduleFor(target: string): Promise<ScheduleRef | undefined> {
      for await (const summary of temporal.schedule.list()) {
        const ref = refOf(summary.scheduleId);
        if (!ref) continue;
        const memo = summary.memo as ScheduleTargetMemo | undefined;
        const known = memo?.target !== undefined && memo.taskQueue !== undefined ? memo : await describedTarget(summary.scheduleId);
        if (known?.target === target && known.taskQueue === taskQueue) return ref;
      }
      return undefined;
    },

    /**
     * Runs `create` while no other create for the target runs, then waits (a while) until the new
     * schedule is listed; undefined, without running it, when another holds the target.
     */
    async exclusively<T>(target: string, scheduleId: string, create: () => Promise<T>): Promise<T | undefined> {
      const key = `${redisPrefix}:sweep-schedule-target:${Buffer.from(`${taskQueue}\u0000${target}`).toString('base64url')}`;
      const holder = randomUUID();
      if ((await redis.set(key, holder, 'PX', LEASE_MS, 'NX')) !== 'OK') return undefined;
      try {
        const created = await create();
        const deadline = Date.now() + LISTED_WITHIN_MS;
        while (Date.now() < deadline && !(await listed(temporal, scheduleId))) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        return created;
      } finally {
        await redis.eval(RELEASE_SCRIPT, 1, key, holder);
      }
    },
  };
}

async function listed(temporal: Client, scheduleId: string): Promise<boolean> {
  for await (const summary of temporal.schedule.list()) if (summary.scheduleId === scheduleId) return true;
  return false;
}
