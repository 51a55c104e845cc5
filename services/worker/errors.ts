/**
 * Maps classified provider errors onto Temporal retry behaviour: throttling backs off by
 * the cloud's own hint, invalid input and exhausted quota fail fast, the rest retries.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isProviderError } from '../../providers/types';

export async function withRetryClassification<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isProviderError(error)) throw error;
    const message = `${operation}: ${error.message}`;
    switch (error.kind) {
      case 'throttled':
        throw ApplicationFailure.create({
          type: 'Throttled',
          message,
          ...(error.details.retryAfterMs !== undefined ? { nextRetryDelay: error.details.retryAfterMs } : {}),
        });
      case 'credentials':
        throw ApplicationFailure.nonRetryable(`${message}. Fix the credentials Secret (or the worker's environment profile); Slipway waits and retries by itself.`, 'CredentialsRefused');
      case 'invalid':
        throw ApplicationFailure.nonRetryable(`${message}. The request was refused as invalid: fix the spec and apply it again.`, 'InvalidRequest');
      case 'quota':
        throw ApplicationFailure.nonRetryable(`${message}. Raise the cloud account's quota or lower the replica count.`, 'QuotaExceeded');
      case 'notFound':
        throw ApplicationFailure.create({ type: 'NotFound', message });
      case 'retryable':
        throw ApplicationFailure.create({ type: 'CloudUnavailable', message });
    }
  }
}
