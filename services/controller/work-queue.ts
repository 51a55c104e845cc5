/**
 * The queue between the informers and the reconciler: BullMQ on Redis, one job per object
 * (jobId = kind/namespace/name), so a burst of watch events for one object becomes one
 * reconcile, and pending work survives a controller restart.
 *
 * Per object, a new job waits `perObjectDelayMs` before it runs, and events arriving
 * meanwhile fold into it: about one reconcile per object per window. Overall, BullMQ's
 * limiter caps reconciles per second. A reconcile that wants to look again later moves its
 * own job to delayed. A failing one retries with backoff, then starts over: it never gives up.
 */
import { DelayedError, Queue, Worker, type Job, type JobState } from 'bullmq';

export interface ReconcileOutcome {
  /** Look at the object again after this long (it is still moving); absent: only on the next event or resync. */
  readonly requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  readonly redisUrl: string;
  /** Redis key prefix (BullMQ's), so stacks sharing a Redis do not share a queue. */
  readonly prefix: string;
  readonly queueName?: string;
  readonly perObjectDelayMs: number;
  readonly maxReconcilesPerSecond: number;
  readonly concurrency: number;
  /** A job whose worker died is taken back after about this long. */
  readonly lockDurationMs: number;
}

interface ReconcileJob {
  readonly key: string;
}

const JOB_NAME = 'reconcile';
/** A failing reconcile (API server or Temporal unreachable) retries with backoff, then starts over as a new job: it never gives up. */
const RETRIES_BEFORE_REQUEUE = 8;
const FIRST_RETRY_MS = 250;

/** Suffix of the job that runs after an object's running job, for a change that came while it ran. */
const FOLLOW_UP = '#again';

/** BullMQ job ids may not contain ':'; object keys (kind/namespace/name) never do. */
export function jobIdFor(key: string): string {
  return key;
}

function connection(redisUrl: string) {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The producing side: every replica enqueues (BullMQ deduplicates by job id); only the leader consumes. */
export class WorkQueue {
  readonly queue: Queue<ReconcileJob>;

  constructor(private readonly options: WorkQueueOptions) {
    this.queue = new Queue<ReconcileJob>(options.queueName ?? 'slipway-controller', { connection: connection(options.redisUrl), prefix: options.prefix });
  }

  private async add(key: string, jobId: string): Promise<JobState | 'unknown'> {
    const job = await this.queue.add(
      JOB_NAME,
      { key },
      { jobId, delay: this.options.perObjectDelayMs, removeOnComplete: true, removeOnFail: true, attempts: RETRIES_BEFORE_REQUEUE, backoff: { type: 'exponential', delay: FIRST_RETRY_MS } },
    );
    return job.getState();
  }

  /**
   * Makes sure a reconcile of the object starts after this call. The object's job, if one is
   * waiting, will read the object as it is now; one already running may have read it before
   * this change, so then a follow-up job is added; one that ended meanwhile is added anew.
   */
  async enqueue(key: string): Promise<void> {
    for (let tries = 0; tries < 3; tries += 1) {
      const state = await this.add(key, jobIdFor(key));
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') return;
      if (state === 'active') {
        await this.add(key, `${jobIdFor(key)}${FOLLOW_UP}`);
        return;
      }
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/**
 * A job's lock lasts about as long as a leader's claim on the Lease, so a dead leader's jobs
 * are free by the time another replica may lead (it waits out the lease) and the new leader's
 * first stalled checks move them back at once. The floor keeps a busy but live leader from
 * losing a lock between renewals (every half lock); the ceiling bounds the wait when the lease is long.
 */
const MIN_LOCK_DURATION_MS = 5_000;
const MAX_LOCK_DURATION_MS = 15_000;

export function lockDurationFor(leaseDurationMs: number): number {
  return Math.min(MAX_LOCK_DURATION_MS, Math.max(MIN_LOCK_DURATION_MS, leaseDurationMs));
}

/** How often the worker looks for jobs whose worker died: often enough that one is back in about half a lock duration. */
export function stalledIntervalFor(lockDurationMs: number): number {
  return Math.max(1000, Math.floor(lockDurationMs / 3));
}

/** The consuming side: only the leader runs one. */
export function startReconcileWorker(queue: WorkQueue, options: WorkQueueOptions, reconcile: (key: string) => Promise<ReconcileOutcome>, onError: (key: string, error: unknown) => void): Worker<ReconcileJob> {
  const worker = new Worker<ReconcileJob>(
    options.queueName ?? 'slipway-controller',
    async (job: Job<ReconcileJob>, token?: string) => {
      const outcome = await reconcile(job.data.key);
      if (outcome.requeueAfterMs !== undefined) {
        await job.moveToDelayed(Date.now() + outcome.requeueAfterMs, token);
        throw new DelayedError();
      }
    },
    {
      connection: connection(options.redisUrl),
      prefix: options.prefix,
      concurrency: options.concurrency,
      limiter: { max: options.maxReconcilesPerSecond, duration: 1000 },
      lockDuration: options.lockDurationMs,
      // A dead worker's job is moved back on the second check after its lock lapsed (the first marks it).
      stalledInterval: stalledIntervalFor(options.lockDurationMs),
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    },
  );
  worker.on('failed', (job, error) => {
    if (!job) return;
    onError(job.data.key, error);
    if (job.attemptsMade >= RETRIES_BEFORE_REQUEUE) void queue.enqueue(job.data.key).catch((failure: unknown) => onError(job.data.key, failure));
  });
  return worker;
}
