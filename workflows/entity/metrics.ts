/** The workflow side of the worker's Prometheus metrics: a sink, called outside replay. */
import { proxySinks, type Sinks } from '@temporalio/workflow';

export interface WorkflowMetricsSink extends Sinks {
  metrics: { workflowFinished(kind: string, outcome: string): void };
}

export function workflowFinished(kind: string, outcome: string): void {
  proxySinks<WorkflowMetricsSink>().metrics.workflowFinished(kind, outcome);
}
