import { QueryNotRegisteredError, ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { entityProblem, readProblem } from '../../services/api/entity-errors';
import { ProblemError } from '../../services/api/problem';

/** gRPC's status code for a failed Query, as the server sends it. */
const INVALID_ARGUMENT = 3;

const problemFor = (error: unknown) => entityProblem(error, 'ClusterDeployment', 'default', 'prod');

describe('entityProblem', () => {
  it.each([
    ['a Query refused while the workflow task fails', new ServiceError('Failed to query Workflow', { cause: new Error('9 FAILED_PRECONDITION: Unable to query workflow due to Workflow Task in failed state.') }), 503],
    // What the server answers at once once no worker has polled the workflow's task queue for a while.
    ['a Query no worker is there to take', new ServiceError('Failed to query Workflow', { cause: new Error('9 FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down') }), 503],
    ['a Query past the read deadline', new ServiceError('Failed to query Workflow', { cause: new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 5.000s') }), 503],
    // What the server answers when the Query reaches a workflow that failed before registering its handlers.
    ['a Query the workflow failed to answer', new QueryNotRegisteredError('Workflow did not register a handler for getObject', INVALID_ARGUMENT), 503],
    ['a workflow that does not exist', new WorkflowNotFoundError('workflow not found', 'ClusterDeployment/default/prod', undefined), 404],
    ['a start that finds the workflow running', new WorkflowExecutionAlreadyStartedError('already started', 'ClusterDeployment/default/prod', 'clusterDeploymentWorkflow'), 409],
  ])('answers %s with the status that says so', (_, error, status) => {
    const problem = problemFor(error);
    expect(problem).toBeInstanceOf(ProblemError);
    expect(problem.status).toBe(status);
    expect(problem.detail).toContain('ClusterDeployment default/prod');
  });

  it('lets an error it does not know through, for the server to log as its own fault', () => {
    const unknown = new TypeError('boom');
    expect(() => problemFor(unknown)).toThrow(unknown);
  });

  it('answers a read that Temporal refuses in words it does not know with 503, keeping the cause for the log', () => {
    const refusal = new ServiceError('Failed to query Workflow', { cause: new Error('9 FAILED_PRECONDITION: some refusal worded anew') });
    // A write meeting it is not judged here: it may have been applied.
    expect(() => problemFor(refusal)).toThrow(refusal);
    const problem = readProblem(refusal, 'ClusterDeployment', 'default', 'prod');
    expect(problem.status).toBe(503);
    expect(problem.cause).toBe(refusal);
    expect(problem.detail).not.toContain('FAILED_PRECONDITION');
    expect(readProblem(new WorkflowNotFoundError('workflow not found', 'ClusterDeployment/default/prod', undefined), 'ClusterDeployment', 'default', 'prod').status).toBe(404);
    expect(() => readProblem(new TypeError('boom'), 'ClusterDeployment', 'default', 'prod')).toThrow(TypeError);
  });
});
