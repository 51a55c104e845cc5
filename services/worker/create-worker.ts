/**
 * Builds Slipway's Temporal worker: the workflows and activities on the task queue. Used by
 * the worker process (services/worker/main.ts) and by tests, which pass a pre-built bundle.
 * Machines are watched by one cloud observer per account and region, not per object, so no
 * queue of long-polling watches is needed.
 */
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import type { WorkflowMetricsSink } from '../../workflows/entity/metrics';
import type { ProjectionSink } from '../../workflows/entity/projection-sink';
import type { ProjectedObject } from '../common/projection';
import type { ProjectionWriter } from './projection-writer';
import type { SlipwayActivities } from './activities';
import { WORKFLOWS_PATH, workflowBundleOptions } from './bundle';

export interface SlipwayWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: SlipwayActivities;
  /** A bundle built once (tests); otherwise the worker bundles the workflows at start. */
  readonly workflowBundlePath?: string;
  readonly onWorkflowFinished?: (kind: string, outcome: string, workflowId: string) => void;
  /** Where the entities' status changes go (the Redis projection). */
  readonly projectionWriter: ProjectionWriter;
  /** Threads for workflow tasks and Queries (config: SLIPWAY_WORKFLOW_THREADS); the SDK's default when absent. */
  readonly workflowThreads?: number;
}

export interface SlipwayWorker {
  run(): Promise<void>;
  shutdown(): void;
}

export async function createSlipwayWorker(options: SlipwayWorkerOptions): Promise<SlipwayWorker> {
  const main = await createMainWorker(options);
  return { run: () => main.run(), shutdown: () => main.shutdown() };
}

export type SlipwaySinks = InjectedSinks<WorkflowMetricsSink & ProjectionSink>;

/**
 * The sinks Slipway's workflows call. Replays and stubbed-activity tests pass no handlers: the
 * sinks must still be registered, or each call logs an error, and none is called during replay.
 */
export function slipwaySinks(handlers: Partial<Pick<SlipwayWorkerOptions, 'projectionWriter' | 'onWorkflowFinished'>> = {}): SlipwaySinks {
  return {
    projection: {
      put: {
        fn: (_info, kind, object, sequence) => handlers.projectionWriter?.put(kind, object as ProjectedObject, sequence),
        callDuringReplay: false,
      },
    },
    metrics: {
      workflowFinished: {
        fn: (info, kind, outcome) => handlers.onWorkflowFinished?.(kind, outcome, info.workflowId),
        callDuringReplay: false,
      },
    },
  };
}

async function createMainWorker(options: SlipwayWorkerOptions): Promise<Worker> {
  const sinks = slipwaySinks(options);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: workflowBundleOptions().preloadModules } }),
    activities: options.activities,
    ...(options.workflowThreads ? { workflowThreadPoolSize: options.workflowThreads } : {}),
    sinks,
  });
}
