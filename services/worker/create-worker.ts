/**
 * Builds a Temporal worker with Slipway's workflows and activities. Used by the worker
 * process (services/worker/main.ts) and by tests, which pass a pre-built bundle.
 */
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import type { WorkflowMetricsSink } from '../../workflows/cluster-deployment/workflow';
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

export async function createSlipwayWorker(options: SlipwayWorkerOptions): Promise<Worker> {
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
