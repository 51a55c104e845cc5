/**
 * Recorded workflow histories for the replay test. `npm run record:histories` reruns the
 * workflow suite with SLIPWAY_RECORD_HISTORIES=1, which saves each finished workflow's
 * history here (protobuf JSON, as historyFromJSON reads it); commit them, and every later
 * change to the workflow code must replay them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { slipwaySinks } from '../../services/worker/create-worker';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories', import.meta.url));

export async function recordHistoryIfAsked(handle: WorkflowHandle, scenario: string, kind = 'cluster-deployment'): Promise<void> {
  if (process.env.SLIPWAY_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(join(HISTORIES_DIR, `${kind}-${scenario}.json`), `${JSON.stringify({ workflowId: handle.workflowId, history })}\n`);
}

/**
 * Replays the given workflows' histories through the current code and returns every
 * non-determinism found. Run after chaos tests: histories written across worker kills must
 * replay exactly, or the next worker restart would wedge those workflows.
 */
export async function replayFailures(client: Client, workflowIds: readonly string[], workflowBundlePath: string): Promise<string[]> {
  const histories = await Promise.all(workflowIds.map(async (workflowId) => ({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() })));
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: workflowBundlePath }, sinks: slipwaySinks() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}
