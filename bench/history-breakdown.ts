/**
 * Where a benchmark's time went, read back from the histories of the workflows it ran: how many
 * workflow tasks, activities (by type), signals, child starts, timers and memo or search
 * attribute upserts each run made, and how long the server and worker spent on them.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

// A CommonJS module: tsx's ESM loader sees only its default export.
const { temporal } = proto;

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface Tally {
  count: number;
  /** Summed seconds, where the category has a duration (activities: scheduled to closed; workflow tasks: scheduled to completed). */
  seconds: number;
}

export type Breakdown = Map<string, Tally>;

function secondsOf(event: HistoryEvent): number {
  const time = event.eventTime;
  if (!time) return 0;
  return Number(time.seconds ?? 0) + (time.nanos ?? 0) / 1e9;
}

function add(breakdown: Breakdown, key: string, seconds = 0): void {
  const tally = breakdown.get(key) ?? { count: 0, seconds: 0 };
  tally.count += 1;
  tally.seconds += seconds;
  breakdown.set(key, tally);
}

/** Adds one workflow's history to the breakdown. */
export function tallyHistory(breakdown: Breakdown, events: readonly HistoryEvent[], workflowType: string): void {
  const scheduledAt = new Map<string, { at: number; activity: string }>();
  const workflowTaskScheduledAt = new Map<string, number>();
  for (const event of events) {
    const id = String(event.eventId);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        workflowTaskScheduledAt.set(id, secondsOf(event));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const scheduled = workflowTaskScheduledAt.get(String(event.workflowTaskCompletedEventAttributes?.scheduledEventId));
        add(breakdown, 'workflow tasks', scheduled === undefined ? 0 : secondsOf(event) - scheduled);
        add(breakdown, `  of ${workflowType}`, scheduled === undefined ? 0 : secondsOf(event) - scheduled);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        scheduledAt.set(id, { at: secondsOf(event), activity: event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?' });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const scheduledEventId =
          event.activityTaskCompletedEventAttributes?.scheduledEventId ??
          event.activityTaskFailedEventAttributes?.scheduledEventId ??
          event.activityTaskTimedOutEventAttributes?.scheduledEventId ??
          event.activityTaskCanceledEventAttributes?.scheduledEventId;
        const scheduled = scheduledAt.get(String(scheduledEventId));
        if (scheduled) add(breakdown, `activity ${scheduled.activity}`, secondsOf(event) - scheduled.at);
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        add(breakdown, `signal received ${event.workflowExecutionSignaledEventAttributes?.signalName ?? '?'}`);
        break;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        add(breakdown, 'signal sent');
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add(breakdown, 'child workflow started');
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        add(breakdown, 'timer');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        add(breakdown, 'memo upsert');
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        add(breakdown, 'search attribute upsert');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add(breakdown, 'update');
        break;
      default:
        break;
    }
  }
  add(breakdown, 'history events', 0);
  const total = breakdown.get('history events');
  if (total) total.count += events.length - 1;
}

/** The breakdown of every workflow a visibility query finds (every workflow on the server without one), and how many there were. */
export async function breakdownOf(client: Client, query?: string): Promise<{ workflows: number; breakdown: Breakdown }> {
  const breakdown: Breakdown = new Map();
  let workflows = 0;
  for await (const execution of client.workflow.list(query === undefined ? {} : { query })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    tallyHistory(breakdown, history.events ?? [], execution.type);
    workflows += 1;
  }
  return { workflows, breakdown };
}

/** Prints breakdowns side by side, per unit of work (e.g. per cluster), in the order of the first's time. */
export function printBreakdowns(units: number, columns: readonly { readonly name: string; readonly breakdown: Breakdown }[]): void {
  const [first] = columns;
  if (!first) return;
  const keys = [...new Set(columns.flatMap((column) => [...column.breakdown.keys()]))].sort(
    (a, b) => (first.breakdown.get(b)?.seconds ?? 0) - (first.breakdown.get(a)?.seconds ?? 0) || (first.breakdown.get(b)?.count ?? 0) - (first.breakdown.get(a)?.count ?? 0),
  );
  const cell = (tally: Tally | undefined) => (tally ? `${(tally.count / units).toFixed(1).padStart(7)} ${(tally.seconds / units).toFixed(3).padStart(9)} s` : `${'-'.padStart(7)} ${'-'.padStart(11)}`);
  console.log(`per cluster${' '.repeat(31)}${columns.map((column) => `${column.name}: count, time`.padStart(21)).join('   ')}`);
  for (const key of keys) console.log(`  ${key.padEnd(40)} ${columns.map((column) => cell(column.breakdown.get(key))).join('   ')}`);
}
