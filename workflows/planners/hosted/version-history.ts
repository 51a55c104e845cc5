/**
 * A HostedCluster's status.version.history, kept as HyperShift (and the cluster version
 * operator) keep it: newest first, one entry per release the control plane was asked to run,
 * Partial until that release is fully rolled out, then Completed with its completion time.
 * Pure; runs in the workflow sandbox.
 */

export interface UpdateHistoryEntry {
  readonly state: 'Partial' | 'Completed';
  readonly version: string;
  readonly image: string;
  readonly startedTime: string;
  readonly completionTime?: string;
}

/** Older entries beyond this are dropped, so a long-lived cluster's status stays small. */
export const MAX_HISTORY_ENTRIES = 20;

/**
 * The history once a release is asked for. Asking again for the release at the head changes
 * nothing; a new one goes on top as Partial, and a Partial entry it supersedes is closed
 * (completionTime set, state left Partial, as the CVO records an update that never finished).
 */
export function beginRelease(history: readonly UpdateHistoryEntry[], release: { readonly image: string; readonly version: string }, now: string): UpdateHistoryEntry[] {
  const [head, ...rest] = history;
  if (head?.image === release.image) return [...history];
  const closedHead = head && head.state === 'Partial' && head.completionTime === undefined ? { ...head, completionTime: now } : head;
  const next: UpdateHistoryEntry = { state: 'Partial', version: release.version, image: release.image, startedTime: now };
  return [next, ...(closedHead ? [closedHead] : []), ...rest].slice(0, MAX_HISTORY_ENTRIES);
}

/** The history once the release at its head runs everywhere; anything else leaves it as it is. */
export function completeRelease(history: readonly UpdateHistoryEntry[], image: string, now: string): UpdateHistoryEntry[] {
  const [head, ...rest] = history;
  if (!head || head.image !== image || head.state === 'Completed') return [...history];
  return [{ ...head, state: 'Completed', completionTime: now }, ...rest];
}

/** The newest release that completed: what the cluster runs for certain. */
export function currentVersion(history: readonly UpdateHistoryEntry[]): UpdateHistoryEntry | undefined {
  return history.find((entry) => entry.state === 'Completed');
}
