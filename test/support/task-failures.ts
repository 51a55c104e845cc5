/**
 * A suite-wide check that no entity ever wedged: after the run, every workflow the tests
 * started, in every namespace, is read back, and a WorkflowTaskFailed event caused by
 * workflow code (an unhandled failure or non-determinism) fails the run. The server's own
 * retries of a task (a command racing a new event, a reset sticky queue) are not the code's
 * fault and are left out, and so are workflows a test breaks on purpose (memo
 * PROVOKES_TASK_FAILURE).
 */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
const CODE_FAULTS = new Set<number>([WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR]);

/** The memo key a test sets on a workflow it breaks on purpose, so this check leaves it out. */
export const PROVOKES_TASK_FAILURE = 'provokesWorkflowTaskFailure';

/** Every namespace on the run's server but Temporal's own (temporal-system): each test stack works in one of its own. */
async function namespacesOf(client: Client): Promise<string[]> {
  const names: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listNamespaces({ pageSize: 500, ...(nextPageToken ? { nextPageToken } : {}) });
    for (const entry of page.namespaces ?? []) {
      const name = entry.namespaceInfo?.name;
      if (name && name !== 'temporal-system') names.push(name);
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return names;
}

export async function workflowTaskFailures(client: Client): Promise<string[]> {
  const failures: string[] = [];
  for (const namespace of await namespacesOf(client)) {
    const reader = new Client({ connection: client.connection, namespace });
    for await (const execution of reader.workflow.list()) {
      if (execution.memo?.[PROVOKES_TASK_FAILURE] === true) continue;
      const history = await reader.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      for (const event of history.events ?? []) {
        if (event.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) continue;
        const attributes = event.workflowTaskFailedEventAttributes;
        if (attributes?.cause === null || attributes?.cause === undefined || !CODE_FAULTS.has(attributes.cause)) continue;
        failures.push(`${namespace}: ${execution.workflowId} (${execution.runId}) event ${String(event.eventId)}: ${attributes.failure?.message ?? 'no message'}`);
      }
    }
  }
  return failures;
}
