/**
 * The conditions every entity shows for the runtime's own waiting states: credentials it is
 * waiting for, and a teardown's progress with its last error.
 */
import type { Condition } from '../../crds/schemas/common';

export interface CredentialsState {
  readonly ready: boolean;
  readonly message?: string;
}

export interface TeardownProgress {
  readonly step: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly retryInMs?: number;
}

export interface RuntimeWaits {
  /** Absent until a credential has once been missing or refused. */
  readonly credentials?: CredentialsState;
  readonly teardown?: TeardownProgress;
}

type ConditionDraft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** How a kind's teardown can be abandoned, as the Deleting condition tells it; ClusterDeployment's spec.preserveOnDelete by default. */
const DEFAULT_ABANDON_HINT = 'To keep the cloud resources and finish the deletion now, set spec.preserveOnDelete to true.';

export function runtimeConditions(waits: RuntimeWaits, abandonHint: string = DEFAULT_ABANDON_HINT): ConditionDraft[] {
  const conditions: ConditionDraft[] = [];
  if (waits.credentials) {
    conditions.push(
      waits.credentials.ready
        ? { type: 'CredentialsReady', status: 'True', reason: 'CredentialsAccepted', message: 'The cloud accepts the credentials.' }
        : {
            type: 'CredentialsReady',
            status: 'False',
            reason: 'CredentialsUnavailable',
            message: `${waits.credentials.message ?? 'The credentials are missing or refused.'} Create or fix the credentials Secret; Slipway retries by itself and goes on once the cloud accepts it.`,
          },
    );
  }
  if (waits.teardown) {
    const { step, attempts, lastError, retryInMs } = waits.teardown;
    conditions.push({
      type: 'Deleting',
      status: 'True',
      reason: lastError ? 'DeletionRetrying' : 'DeletionInProgress',
      message: lastError
        ? `Step ${step} failed ${attempts} time(s), most recently: ${lastError}. Retrying in ${Math.round((retryInMs ?? 0) / 1000)} s, for as long as it takes. ${abandonHint}`
        : `Step ${step} is running.`,
    });
  }
  return conditions;
}

/**
 * Records on an entity's state what a step said of its credentials: a failure about them starts
 * the wait, any success ends it. Returns true when that changed the state.
 */
export function noteCredentials(waits: { credentials?: CredentialsState }, failure: { readonly credentials: boolean; readonly message: string } | undefined): boolean {
  if (failure) {
    if (!failure.credentials) return false;
    waits.credentials = { ready: false, message: failure.message };
    return true;
  }
  if (!waits.credentials || waits.credentials.ready) return false;
  waits.credentials = { ready: true };
  return true;
}
