/**
 * Builds Slipway's Temporal workers: one with the workflows and activities on the task queue,
 * and one for the MachineDeployment watches on their own queue (see watchTaskQueue). Used by
 * the worker process (services/worker/main.ts) and by tests, which pass a pre-built bundle.
 */
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import type { WorkflowMetricsSink } from '../../workflows/entity/metrics';
import type { MachineDeploymentActivities } from '../../workflows/machine-deployment/activities-api';
import { watchTaskQueue } from '../../workflows/machine-deployment/activities-api';
import type { SlipwayActivities } from './activities';
import { WORKFLOWS_PATH } from './bundle';

export interface SlipwayWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: SlipwayActivities;
  /** A bundle built once (tests); otherwise the worker bundles the workflows at start. */
  readonly workflowBundlePath?: string;
  readonly onWorkflowFinished?: (kind: string, outcome: string, workflowId: string) => void;
}

/** Watches mostly sleep between looks at the cloud, so one process can hold many at once. */
const MAX_CONCURRENT_WATCHES = 5_000;

export interface SlipwayWorker {
  run(): Promise<void>;
  shutdown(): void;
}

/** The worker for the watch queue; every process that runs Slipway's workflows runs one beside them. */
export async function createWatchWorker(
  options: Pick<SlipwayWorkerOptions, 'connection' | 'namespace' | 'taskQueue'> & { readonly activities: MachineDeploymentActivities },
): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: watchTaskQueue(options.taskQueue),
    activities: { watchMachines: options.activities.watchMachines },
    maxConcurrentActivityTaskExecutions: MAX_CONCURRENT_WATCHES,
  });
}

export async function createSlipwayWorker(options: SlipwayWorkerOptions): Promise<SlipwayWorker> {
  const watches = await createWatchWorker(options);
  const main = await createMainWorker(options);
  return {
    run: async () => {
      await Promise.all([main.run(), watches.run()]);
    },
    shutdown: () => {
      main.shutdown();
      watches.shutdown();
    },
  };
}

async function createMainWorker(options: SlipwayWorkerOptions): Promise<Worker> {
  const sinks: InjectedSinks<WorkflowMetricsSink> = {
    metrics: {
      workflowFinished: {
        fn: (info, kind, outcome) => options.onWorkflowFinished?.(kind, outcome, info.workflowId),
        callDuringReplay: false,
      },
    },
  };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: options.activities,
    sinks,
  });
}
