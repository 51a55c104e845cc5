/**
 * Recorded workflow histories for the replay test. `npm run record:histories` reruns the
 * workflow suite with SLIPWAY_RECORD_HISTORIES=1, which saves each finished workflow's
 * history here (protobuf JSON, as historyFromJSON reads it); commit them, and every later
 * change to the workflow code must replay them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories', import.meta.url));

export async function recordHistoryIfAsked(handle: WorkflowHandle, scenario: string, kind = 'cluster-deployment'): Promise<void> {
  if (process.env.SLIPWAY_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(join(HISTORIES_DIR, `${kind}-${scenario}.json`), `${JSON.stringify({ workflowId: handle.workflowId, history })}\n`);
}
