/**
 * The controller's work queue (services/controller/work-queue.ts) on the run's real Redis:
 * a burst for one object is one job, a change during a running reconcile gets a follow-up,
 * and queued work outlives the process that queued it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Worker } from 'bullmq';
import { lockDurationFor, startReconcileWorker, WorkQueue, type ReconcileOutcome, type WorkQueueOptions } from '../../services/controller/work-queue';

const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

function options(): WorkQueueOptions {
  return { redisUrl: inject('redisUrl'), prefix: `slipway-test-queue-${randomUUID().slice(0, 8)}`, perObjectDelayMs: 50, maxReconcilesPerSecond: 100, concurrency: 4, lockDurationMs: 5_000 };
}

function openQueue(settings: WorkQueueOptions): WorkQueue {
  const queue = new WorkQueue(settings);
  opened.push(queue);
  return queue;
}

function openWorker(queue: WorkQueue, settings: WorkQueueOptions, reconcile: (key: string) => Promise<ReconcileOutcome>): Worker {
  const worker = startReconcileWorker(queue, settings, reconcile, () => undefined);
  opened.push(worker);
  return worker;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the controller work queue', () => {
  it('folds a burst of events for one object into one job, and keeps other objects apart', async () => {
    const settings = options();
    const queue = openQueue(settings);
    await Promise.all(Array.from({ length: 50 }, () => queue.enqueue('ClusterDeployment/default/a')));
    await queue.enqueue('ClusterDeployment/default/b');
    const counts = await queue.queue.getJobCounts('waiting', 'delayed', 'active');
    expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0)).toBe(2);

    const seen: string[] = [];
    openWorker(queue, settings, async (key) => {
      seen.push(key);
      return {};
    });
    await until('both objects reconciled', () => seen.length >= 2);
    expect(seen.sort()).toEqual(['ClusterDeployment/default/a', 'ClusterDeployment/default/b']);
  });

  it('reconciles again after a running reconcile when its object changed meanwhile', async () => {
    const settings = options();
    const queue = openQueue(settings);
    const calls: number[] = [];
    let release: () => void = () => undefined;
    const firstRunning = new Promise<void>((resolve) => {
      let runs = 0;
      openWorker(queue, settings, async () => {
        runs += 1;
        if (runs === 1) {
          resolve();
          await new Promise<void>((done) => (release = done));
        }
        calls.push(runs);
        return {};
      });
    });
    await queue.enqueue('ClusterDeployment/default/c');
    await firstRunning;
    await queue.enqueue('ClusterDeployment/default/c');
    release();
    await until('the follow-up reconcile', () => calls.length >= 2);
    expect(calls).toEqual([1, 2]);
  });

  it('keeps queued work for the next controller after the one that queued it is gone', async () => {
    const settings = options();
    const first = new WorkQueue(settings);
    await first.enqueue('ClusterDeployment/default/d');
    await first.close();

    const next = openQueue(settings);
    const seen: string[] = [];
    openWorker(next, settings, async (key) => {
      seen.push(key);
      return {};
    });
    await until('the queued object reconciled', () => seen.length >= 1);
    expect(seen).toEqual(['ClusterDeployment/default/d']);
  });

  it('looks at an object again when its reconcile asks to, without a new event', async () => {
    const settings = options();
    const queue = openQueue(settings);
    let runs = 0;
    openWorker(queue, settings, async () => {
      runs += 1;
      return runs < 3 ? { requeueAfterMs: 50 } : {};
    });
    await queue.enqueue('ClusterDeployment/default/e');
    await until('three looks', () => runs >= 3);
    expect(runs).toBe(3);
  });

  it("gives a dead worker's running job to the next worker once its lock lapses, well before the old 30 s lock would", async () => {
    // The controller's own setting for a 3 s lease (the end-to-end tests use one).
    const settings = { ...options(), lockDurationMs: lockDurationFor(3_000) };
    const queue = openQueue(settings);
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    // The first worker takes the job and never finishes it: it dies mid-reconcile.
    const dying = startReconcileWorker(queue, settings, async () => {
      started();
      return new Promise<ReconcileOutcome>(() => undefined);
    }, () => undefined);
    await queue.enqueue('ClusterDeployment/default/f');
    await running;
    // Closing without waiting for the running job stops its lock renewals, as a SIGKILL would.
    await dying.close(true);

    const seen: string[] = [];
    openWorker(queue, settings, async (key) => {
      seen.push(key);
      return {};
    });
    await until('the next worker to run the dead worker\'s job', () => seen.length >= 1);
    expect(seen).toEqual(['ClusterDeployment/default/f']);
  });
});
