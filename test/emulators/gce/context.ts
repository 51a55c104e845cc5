/** What every part of the emulated project shares: its names, the clock, and the operations. */
import { GceFailure } from './http';
import type { OperationRegistry } from './operations';

export interface Timings {
  /** PROVISIONING for the first third, then STAGING, then RUNNING; the insert operation is DONE at RUNNING. */
  readonly provisionMs: number;
  /** STOPPING after a delete, then TERMINATED for terminatedMs, then gone (the delete operation is DONE). */
  readonly stopMs: number;
  readonly terminatedMs: number;
  /** How long a network or firewall insert or delete runs. */
  readonly globalOperationMs: number;
}

export interface ProjectContext {
  readonly project: string;
  readonly region: string;
  readonly zones: ReadonlySet<string>;
  readonly now: () => number;
  readonly timings: Timings;
  readonly operations: OperationRegistry;
}

/** GCE's name rule for instances, networks and firewalls (RFC 1035 labels of up to 63 characters). */
export const RESOURCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export function checkName(field: string, name: unknown): string {
  if (name === undefined || name === null || name === '') throw new GceFailure(400, 'required', `Required field '${field}' not specified`);
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw new GceFailure(400, 'invalid', `Invalid value for field '${field}': '${String(name)}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
  }
  return name;
}

export function apiBase(origin: string, project: string): string {
  return `${origin}/compute/v1/projects/${project}`;
}

/** The last path segment of a reference such as global/networks/x or a full URL, when it has the expected shape. */
export function referencedName(reference: string, project: string, collection: RegExp): string | undefined {
  const match = new RegExp(`^(?:https?://[^/]+/compute/v1/)?(?:projects/([^/]+)/)?${collection.source}/([^/]+)$`).exec(reference);
  if (!match) return undefined;
  const [, referencedProject, name] = match;
  if (referencedProject !== undefined && referencedProject !== project) return undefined;
  return name;
}
