/**
 * How a custom resource stands to the entity workflow of its name: pure, so the table and
 * property tests can cover every case (test/unit/controller-ownership.test.ts).
 */
import { CR_UID_ANNOTATION, ownerSide } from '../../workflows/entity/ownership';

export interface EntityObjectView {
  readonly metadata: { readonly uid?: string; readonly deletionTimestamp?: string; readonly annotations?: Readonly<Record<string, string>> };
}

/**
 * - `absent`: no live entity holds the name; the CR may start one (it is the first writer).
 * - `drives`: the CR drives the entity (it started it, or took it over before).
 * - `adopts`: the entity was handed to Kubernetes but no CR has taken it up yet; this one does.
 * - `read-only`: REST owns the entity; the CR only mirrors its status.
 * - `name-in-use`: the entity belongs to another CR of this name that is still deprovisioning.
 */
export type ResourceRelation = 'absent' | 'drives' | 'adopts' | 'read-only' | 'name-in-use';

export function relationOf(entity: { readonly object: EntityObjectView; readonly deleted: boolean } | undefined, resourceUid: string): ResourceRelation {
  if (!entity || entity.deleted) return 'absent';
  const { metadata } = entity.object;
  if (ownerSide(entity.object) === 'rest') return 'read-only';
  if (metadata.uid === resourceUid || metadata.annotations?.[CR_UID_ANNOTATION] === resourceUid) return 'drives';
  // Owned by Kubernetes and not this CR's: a predecessor's teardown, or a handover waiting for a CR.
  return metadata.deletionTimestamp ? 'name-in-use' : 'adopts';
}
