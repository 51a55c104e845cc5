/**
 * The emulator's in-memory subscription: resource groups, the tracked resources in them, and
 * the asynchronous operations that move those resources between provisioning states.
 *
 * Operations finish lazily: nothing runs on a timer. Before every request the emulator calls
 * settle(), which completes each operation that is due (its time has passed, or its status
 * has been polled often enough). What a client can observe is therefore the same as if the
 * work had finished in the background.
 */
import { randomUUID } from 'node:crypto';

export interface ResourceGroupRecord {
  readonly id: string;
  readonly name: string;
  readonly location: string;
  tags: Record<string, string>;
  provisioningState: 'Succeeded' | 'Deleting';
  /** The delete operation under way, so a repeated DELETE answers with the same one. */
  deleteOperation?: string;
}

export interface TrackedResource {
  readonly id: string;
  readonly name: string;
  /** Canonical casing, e.g. Microsoft.Compute/virtualMachines. */
  readonly type: string;
  readonly resourceGroup: string;
  readonly location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
  readonly createdTime: string;
  changedTime: string;
  /** The operation that last changed the resource; an older one finishing must not undo it. */
  activeOperation?: string;
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationOutcome {
  readonly failure?: { readonly code: string; readonly message: string };
}

export interface AsyncOperation {
  readonly id: string;
  /** Provider namespace whose operations URL serves the status; undefined for resource-group operations. */
  readonly namespace: string | undefined;
  readonly location: string;
  status: OperationStatus;
  readonly startTime: string;
  endTime?: string;
  readonly dueAt: number;
  polls: number;
  error?: { readonly code: string; readonly message: string };
  /** Applies the operation's effect; returns a failure to end it as Failed. */
  readonly finish: () => OperationOutcome;
  /** What the Location URL answers once the operation succeeded: the resource, or nothing. */
  readonly result: () => unknown;
}

export interface OperationTiming {
  /** An operation finishes this long after it started... */
  readonly operationMs: number;
  /** ...or once its status has been read this many times, whichever is first. */
  readonly operationPolls: number;
}

export class ArmState {
  readonly groups = new Map<string, ResourceGroupRecord>();
  readonly resources = new Map<string, TrackedResource>();
  readonly operations = new Map<string, AsyncOperation>();

  constructor(
    readonly subscriptionId: string,
    private readonly timing: OperationTiming,
  ) {}

  group(name: string): ResourceGroupRecord | undefined {
    return this.groups.get(name.toLowerCase());
  }

  resource(id: string): TrackedResource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  resourcesInGroup(groupName: string): TrackedResource[] {
    const wanted = groupName.toLowerCase();
    return [...this.resources.values()].filter((resource) => resource.resourceGroup.toLowerCase() === wanted);
  }

  startOperation(namespace: string | undefined, location: string, finish: () => OperationOutcome, result: () => unknown): AsyncOperation {
    const operation: AsyncOperation = {
      id: randomUUID(),
      namespace,
      location,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      dueAt: Date.now() + this.timing.operationMs,
      polls: 0,
      finish,
      result,
    };
    this.operations.set(operation.id, operation);
    return operation;
  }

  /** Counts one status read of the operation, then settles, so "after N polls" can finish it. */
  pollOperation(id: string): AsyncOperation | undefined {
    const operation = this.operations.get(id);
    if (operation) operation.polls += 1;
    this.settle();
    return operation;
  }

  settle(now: number = Date.now()): void {
    const due = [...this.operations.values()]
      .filter((operation) => operation.status === 'InProgress' && (operation.dueAt <= now || operation.polls >= this.timing.operationPolls))
      .sort((a, b) => a.dueAt - b.dueAt);
    for (const operation of due) {
      const outcome = operation.finish();
      operation.endTime = new Date(now).toISOString();
      if (outcome.failure) {
        operation.status = 'Failed';
        operation.error = outcome.failure;
      } else {
        operation.status = 'Succeeded';
      }
    }
  }

  groupId(name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${name}`;
  }
}
