/** Turns Temporal client errors about an entity workflow into problem responses. */
import { QueryNotRegisteredError, ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FieldError } from '../../crds/validate';
import { OWNED_BY_KUBERNETES, OWNED_BY_REST, OWNER_ANNOTATION } from '../../workflows/entity/ownership';
import { ProblemError } from './problem';

export function notFound(kind: string, namespace: string, name: string): ProblemError {
  return new ProblemError(404, 'not-found', `${kind} ${namespace}/${name} does not exist. List them with GET on the collection, or create it with POST.`);
}

/** Update failures that mean "not now, or not here": the request was fine, the object's state refuses it. */
const CONFLICTS: Readonly<Record<string, string>> = {
  DeletionProtected: 'deletion-protected',
  BeingDeleted: 'being-deleted',
  /** A MachineDeployment that implements a ClusterDeployment's worker pool takes changes only through that cluster. */
  OwnedByCluster: 'owned-by-cluster',
  /** One object, one owner side (workflows/entity/ownership.ts): the other side reads it but does not change it. */
  [OWNED_BY_KUBERNETES]: 'owned-by-kubernetes',
  [OWNED_BY_REST]: 'owned-by-rest',
};

/** The field a conflict is about, for the problem's errors. */
const CONFLICT_FIELDS: Readonly<Record<string, FieldError>> = {
  [OWNED_BY_KUBERNETES]: { path: `metadata.annotations["${OWNER_ANNOTATION}"]`, message: 'is kubernetes: change the object through its custom resource, or hand it over to rest' },
  [OWNED_BY_REST]: { path: `metadata.annotations["${OWNER_ANNOTATION}"]`, message: 'is rest: change the object through the API, or hand it over to kubernetes' },
};

/**
 * Temporal refuses Queries and Updates while the workflow's last task failed (a bug in it),
 * times a Query out when no worker takes it, as does the API's own read deadline, and
 * refuses one at once when no worker has polled the workflow's task queue for a while: the
 * object exists but cannot answer now. A Query that reaches a workflow whose start failed
 * finds no handler registered; the server answers that as a failed Query (INVALID_ARGUMENT),
 * which the SDK names QueryNotRegisteredError. Every entity workflow registers its read
 * Query as it starts, so that too means the workflow is broken, not that the request was.
 */
function isUnavailable(error: unknown): boolean {
  if (error instanceof QueryNotRegisteredError) return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return error instanceof Error && /Workflow Task in failed state|query timed out before a worker could process it|no poller seen for task queue|DEADLINE_EXCEEDED/i.test(`${error.message} ${cause instanceof Error ? cause.message : ''}`);
}

function isCompletedError(error: unknown): boolean {
  return error instanceof Error && /already completed|workflow execution already completed|not found/i.test(error.message);
}

function unavailable(kind: string, namespace: string, name: string, cause: unknown): ProblemError {
  return new ProblemError(
    503,
    'entity-unavailable',
    `${kind} ${namespace}/${name} cannot answer now: its workflow is failing, or no worker is running it (see it in the Temporal UI). Retry later; if it persists, report it with the object's name.`,
    undefined,
    cause,
  );
}

/**
 * As entityProblem, for a read: a GET cannot fail through the client's fault once its path is
 * valid, so whatever Temporal answers that is not "no such object" means the object cannot be
 * read now (503, the cause logged), whatever words the server chose for it.
 */
export function readProblem(error: unknown, kind: string, namespace: string, name: string): ProblemError {
  try {
    return entityProblem(error, kind, namespace, name);
  } catch (unknown) {
    if (unknown instanceof ServiceError) return unavailable(kind, namespace, name, unknown);
    throw unknown;
  }
}

export function entityProblem(error: unknown, kind: string, namespace: string, name: string): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof WorkflowNotFoundError || isCompletedError(error)) return notFound(kind, namespace, name);
  if (isUnavailable(error)) return unavailable(kind, namespace, name, error);
  if (error instanceof WorkflowExecutionAlreadyStartedError) {
    return new ProblemError(409, 'already-exists', `${kind} ${namespace}/${name} already exists. Change it with PATCH, or delete it first to create it anew.`);
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const cause = error.cause;
    if (cause.type === 'InvalidPatch') {
      const errors = (cause.details?.[0] as FieldError[] | undefined) ?? [];
      return new ProblemError(422, 'invalid-patch', `the change to ${kind} ${namespace}/${name} was refused: ${cause.message}. Fix the fields named in errors and send the patch again.`, errors);
    }
    const conflict = CONFLICTS[cause.type ?? ''];
    const field = CONFLICT_FIELDS[cause.type ?? ''];
    if (conflict) return new ProblemError(409, conflict, cause.message, field ? [field] : undefined);
    if (cause.type === 'NoSuchRevision') {
      return new ProblemError(422, 'no-such-revision', cause.message, [{ path: 'toRevision', message: 'names no revision this object keeps' }]);
    }
    return new ProblemError(422, 'refused', cause.message);
  }
  throw error;
}
