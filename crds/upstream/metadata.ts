import type { JsonObject } from '../json';
import type { Intake, ObjectReader } from './reader';

/**
 * Reads an upstream object's metadata. Name, namespace, labels and annotations carry
 * over. Fields the upstream API server wrote (uid, resourceVersion, generation,
 * creationTimestamp, managedFields, selfLink) describe that server's copy, not a request,
 * so they are left out: Slipway assigns its own. Anything tying the object to another
 * controller (owner references, finalizers) or to a deletion in progress is refused.
 */
export function convertMetadata(intake: Intake, object: ObjectReader): JsonObject {
  const metadata = object.child('metadata', true);
  if (!metadata) return {};
  const result: JsonObject = {
    name: metadata.take('name'),
    namespace: metadata.take('namespace'),
    labels: metadata.take('labels'),
    annotations: metadata.take('annotations'),
  };
  if (!metadata.has('name')) {
    intake.error(metadata.pathOf('name'), 'is required: Slipway needs a fixed name (generateName is not supported)');
  }
  metadata.ignore('uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink');
  metadata.refuse('generateName', 'is not supported: set metadata.name instead');
  metadata.refuse('ownerReferences', 'ties the object to owners in another cluster, which Slipway cannot follow; remove metadata.ownerReferences');
  metadata.refuse('finalizers', "belong to the upstream controller and would block deletion in Slipway forever; remove metadata.finalizers");
  metadata.refuse('deletionTimestamp', 'says the object is being deleted; submit a manifest of a live object');
  metadata.refuse('deletionGracePeriodSeconds', 'says the object is being deleted; submit a manifest of a live object');
  metadata.finish();
  return result;
}
