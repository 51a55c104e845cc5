/**
 * What every entity does with the status it derives from its state: conditions set the
 * Kubernetes way, the object kept with its status derived once per publish (not on every
 * change), the memo visibility keeps, and the mark of a requested deletion.
 */
import type { Condition } from '../../crds/schemas/common';
import type { CredentialsState, TeardownProgress } from './conditions';
import { setCondition } from '../planners/conditions';

export type ConditionDraft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** The conditions after these drafts: lastTransitionTime moves only where a status flips. */
export function nextConditions(previous: readonly Condition[] | undefined, drafts: readonly ConditionDraft[], generation: number, now: string): Condition[] {
  return drafts.reduce<Condition[]>((current, draft) => setCondition(current, { ...draft, observedGeneration: generation }, now), [...(previous ?? [])]);
}

interface WithStatus {
  readonly status?: { readonly conditions?: readonly Condition[] };
}

/**
 * What visibility keeps of an object, to rebuild the projection if Redis is lost: spec, the
 * named status fields that are set, and the conditions without their messages. It changes only
 * when that summary does, so it costs few history events.
 */
export function memoOf<T extends WithStatus>(object: T, fields: readonly string[]): T {
  const status: Readonly<Record<string, unknown>> = object.status ?? {};
  const kept = Object.fromEntries(fields.flatMap((field) => (status[field] === undefined || status[field] === '' ? [] : [[field, status[field]]])));
  const conditions = (object.status?.conditions ?? []).map(({ message: _message, ...condition }) => ({ ...condition, message: '' }));
  return { ...object, status: { ...kept, conditions } };
}

/**
 * An entity's object whose status is derived from its state: marked stale by every change,
 * derived again when it is published or returned, and derived without storing for a Query
 * (which must not change state).
 */
export class DerivedObject<T> {
  private stale = true;

  constructor(
    private readonly stored: { get(): T; set(object: T): void },
    private readonly derive: () => T,
  ) {}

  invalidate(): void {
    this.stale = true;
  }

  settled(): T {
    if (this.stale) {
      this.stored.set(this.derive());
      this.stale = false;
    }
    return this.stored.get();
  }

  snapshot(): T {
    return this.stale ? this.derive() : this.stored.get();
  }
}

/** The part of an entity's state every kind has: deletion, its last error and its waiting states. */
export interface EntityLifecycle {
  deletionRequested: boolean;
  deleted: boolean;
  /** The deletion has reached the list projection: GET answers 404 only from then on, so it never runs ahead of LIST. */
  removalListed?: boolean;
  lastError?: string;
  credentials?: CredentialsState;
  teardown?: TeardownProgress;
}

/** Marks deletion requested, with the object's deletionTimestamp; false when it already was. */
export function markDeletionRequested<T extends { readonly metadata: object }>(state: { deletionRequested: boolean; object: T }, requestedAt: string): boolean {
  if (state.deletionRequested) return false;
  state.deletionRequested = true;
  state.object = { ...state.object, metadata: { ...state.object.metadata, deletionTimestamp: requestedAt } };
  return true;
}
