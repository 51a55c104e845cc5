/**
 * Activity failures as an entity reads them: what went wrong in words a person can act on,
 * and whether it is a credentials problem (a waiting state, never a failure).
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';

/** Failure types the worker gives when a credential is missing or refused (services/worker). */
export const CREDENTIAL_FAILURE_TYPES: readonly string[] = ['CredentialsNotFound', 'CredentialsRefused'];

export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

/** The ApplicationFailure type behind an activity failure, if any. */
export function failureType(error: unknown): string | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

export function isCredentialsFailure(error: unknown): boolean {
  const type = failureType(error);
  return type !== undefined && CREDENTIAL_FAILURE_TYPES.includes(type);
}

export { isCancellation };
