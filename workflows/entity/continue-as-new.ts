/** When an entity continues as new: its history is long, and what it carries fits. */
import { workflowInfo } from '@temporalio/workflow';
import { HISTORY_EVENTS_BEFORE_CONTINUE, MAX_CARRIED_STATE_BYTES } from './defaults';

/**
 * True when history asks for a fresh run and the state to carry stays well under Temporal's
 * payload limit; an oversized state keeps the current run rather than failing the workflow.
 */
export function continueAsNewDue(afterEvents: number | undefined, carried: unknown): boolean {
  const info = workflowInfo();
  if (!info.continueAsNewSuggested && info.historyLength <= (afterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE)) return false;
  return new TextEncoder().encode(JSON.stringify(carried)).length <= MAX_CARRIED_STATE_BYTES;
}
