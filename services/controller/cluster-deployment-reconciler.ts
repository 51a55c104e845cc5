/**
 * Reconciles one ClusterDeployment custom resource with its entity workflow, the same
 * workflow (same ID, same start input, same patch and delete Updates) that REST drives:
 *
 * - a live object gets the finalizer slipway.dev/deprovision, then its workflow is started
 *   (absent) or sent the spec through the patch Update (the CR's generation moved past the
 *   one the workflow last took, which the workflow keeps as an annotation);
 * - a deleted object has the delete Update sent, and loses the finalizer only once the
 *   workflow reports the object deleted, i.e. its cloud side is empty;
 * - `.status` is the workflow's, with observedGeneration in the CR's generations, written
 *   through the status subresource only when it changed; a phase change is an Event.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isPlainObject, jsonEqual, type JsonObject } from '../../crds/json';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import { CLUSTER_DEPLOYMENT_KIND, CLUSTER_DEPLOYMENT_WORKFLOW_TYPE, deleteClusterDeployment, getClusterDeployment, patchClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import type { EntityPatch, EntitySnapshot } from '../../workflows/entity/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { clusterDeploymentStartInput } from '../api/routes/cluster-deployments';
import { acceptManifest } from '../api/routes/entity-routes';
import { ProblemError } from '../api/problem';
import type { SlipwayConfig } from '../common/config';
import type { EventRecorder, RecordedEvent } from './events';
import { CR_GENERATION_ANNOTATION, DEPROVISION_FINALIZER, isNotFound, PAUSED_ANNOTATION, type CustomResource, type CustomResourceClient } from './kube-objects';
import type { ReconcileOutcome } from './work-queue';

export interface ReconcilerDeps {
  readonly temporal: Client;
  readonly resources: CustomResourceClient;
  readonly events: EventRecorder;
  readonly config: Pick<SlipwayConfig, 'taskQueue' | 'managementId'>;
  /** How soon an object still moving (provisioning, scaling, deleting) is looked at again. */
  readonly pollIntervalMs: number;
}

/** kubectl's copy of the last applied manifest: large, and not part of the object. */
const KUBECTL_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Snapshot = EntitySnapshot<ClusterDeployment>;

export function appliedGeneration(object: ClusterDeployment): number {
  return Number(object.metadata.annotations?.[CR_GENERATION_ANNOTATION] ?? 0);
}

function readyCondition(status: unknown): { readonly status: string; readonly reason: string; readonly message: string } | undefined {
  if (!isPlainObject(status) || !Array.isArray(status.conditions)) return undefined;
  const ready = status.conditions.find((condition) => isPlainObject(condition) && condition.type === 'Ready');
  if (!isPlainObject(ready)) return undefined;
  return { status: String(ready.status), reason: String(ready.reason), message: String(ready.message ?? '') };
}

/** The workflow's status in the CR's terms: its generations are the CR's, not the workflow's own. */
export function statusForResource(object: ClusterDeployment): JsonObject {
  const generation = appliedGeneration(object);
  const status: JsonObject = { ...(object.status ?? {}) };
  status.observedGeneration = generation;
  if (Array.isArray(status.conditions)) {
    status.conditions = status.conditions.map((condition: unknown) => (isPlainObject(condition) ? { ...condition, observedGeneration: generation } : condition));
  }
  return status;
}

/** A merge patch taking `current` to `desired`: keys the workflow no longer reports are removed. */
function statusPatch(current: JsonObject | undefined, desired: JsonObject): JsonObject {
  const removed = Object.keys(current ?? {}).filter((key) => !(key in desired));
  return { ...desired, ...Object.fromEntries(removed.map((key) => [key, null])) };
}

/** The CR's labels and annotations as the workflow's object should carry them. */
function carriedAnnotations(object: CustomResource): Record<string, string> {
  return Object.fromEntries(Object.entries(object.metadata.annotations).filter(([key]) => key !== KUBECTL_LAST_APPLIED && key !== CR_GENERATION_ANNOTATION));
}

/** A merge patch of a string map from `current` to `desired`; undefined when they agree. */
function stringMapPatch(current: Readonly<Record<string, string>> | undefined, desired: Readonly<Record<string, string>>, keep: readonly string[] = []): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(desired)) if (current?.[key] !== value) patch[key] = value;
  for (const key of Object.keys(current ?? {})) if (!(key in desired) && !keep.includes(key)) patch[key] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** What to send so the workflow's labels and annotations match the CR's; undefined when they do. */
function metadataPatch(object: CustomResource, workflowObject: ClusterDeployment): EntityPatch['metadata'] | undefined {
  const labels = stringMapPatch(workflowObject.metadata.labels, object.metadata.labels);
  const annotations = stringMapPatch(workflowObject.metadata.annotations, carriedAnnotations(object), [CR_GENERATION_ANNOTATION]);
  if (!labels && !annotations) return undefined;
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

/** An RFC 7386 merge patch taking `current` to `desired` (lists are replaced whole). */
export function specMergePatch(current: unknown, desired: unknown): Record<string, unknown> {
  const from = isPlainObject(current) ? current : {};
  const to = isPlainObject(desired) ? desired : {};
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(to)) {
    if (jsonEqual(from[key], value)) continue;
    patch[key] = isPlainObject(from[key]) && isPlainObject(value) ? specMergePatch(from[key], value) : value;
  }
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  return patch;
}

function updateRefusal(error: unknown): ApplicationFailure | undefined {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure ? error.cause : undefined;
}

export class ClusterDeploymentReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  private handle(namespace: string, name: string): WorkflowHandle {
    return this.deps.temporal.workflow.getHandle(entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, name));
  }

  private async snapshot(handle: WorkflowHandle): Promise<Snapshot | undefined> {
    try {
      return await handle.query(getClusterDeployment);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  private event(object: CustomResource, event: RecordedEvent): Promise<void> {
    return this.deps.events.record(object, event);
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileOutcome> {
    try {
      return await this.reconcileExisting(namespace, name);
    } catch (error) {
      // Deleted while we looked (its finalizer just came off): nothing is left to do.
      if (isNotFound(error)) return {};
      throw error;
    }
  }

  private async reconcileExisting(namespace: string, name: string): Promise<ReconcileOutcome> {
    const found = await this.deps.resources.get(namespace, name);
    if (!found) return {};
    if (found.metadata.annotations[PAUSED_ANNOTATION] === 'true') return {};
    const handle = this.handle(namespace, name);
    if (found.metadata.deletionTimestamp) return this.reconcileDeletion(found, handle);

    const object = found.metadata.finalizers.includes(DEPROVISION_FINALIZER)
      ? found
      : await this.deps.resources.setFinalizers(found, [...found.metadata.finalizers, DEPROVISION_FINALIZER]);
    let snapshot = await this.snapshot(handle);
    if (snapshot && snapshot.object.metadata.uid !== object.metadata.uid && !snapshot.deleted) {
      // A REST-created object of the same name, or this name's previous CR still deprovisioning.
      await this.event(object, { type: 'Warning', reason: 'NameInUse', message: `A ${CLUSTER_DEPLOYMENT_KIND} named ${namespace}/${name} that this resource did not create exists in Slipway; waiting until it is gone.` });
      return { requeueAfterMs: this.deps.pollIntervalMs * 10 };
    }
    if (!snapshot || snapshot.deleted) {
      const started = await this.start(object);
      if (!started) return {};
      snapshot = await this.snapshot(handle);
    } else if (appliedGeneration(snapshot.object) < object.metadata.generation || metadataPatch(object, snapshot.object)) {
      const applied = await this.applySpec(object, snapshot.object, handle);
      if (!applied) return {};
      snapshot = { object: applied, deleted: false };
    }
    if (!snapshot) return { requeueAfterMs: this.deps.pollIntervalMs };
    await this.publishStatus(object, snapshot.object);
    const settled = readyCondition(snapshot.object.status)?.status === 'True' && appliedGeneration(snapshot.object) === object.metadata.generation;
    return settled ? {} : { requeueAfterMs: this.deps.pollIntervalMs };
  }

  /** The CR as REST would accept it (converted, defaults applied); undefined, with a Warning, when it cannot be. */
  private async accept(object: CustomResource): Promise<ClusterDeployment | undefined> {
    const { namespace, name, generation, uid } = object.metadata;
    const manifest = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name, namespace, labels: object.metadata.labels, annotations: { ...carriedAnnotations(object), [CR_GENERATION_ANNOTATION]: String(generation) } },
      spec: object.spec,
    };
    try {
      return acceptManifest(CLUSTER_DEPLOYMENT_KIND, namespace, manifest, uid);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      await this.event(object, { type: 'Warning', reason: 'InvalidSpec', message: error.message });
      return undefined;
    }
  }

  /** Starts the entity workflow as REST would; false when the object cannot be accepted. */
  private async start(object: CustomResource): Promise<boolean> {
    const { namespace, name } = object.metadata;
    const accepted = await this.accept(object);
    if (!accepted) return false;
    try {
      await this.deps.temporal.workflow.start(CLUSTER_DEPLOYMENT_WORKFLOW_TYPE, {
        workflowId: entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, name),
        taskQueue: this.deps.config.taskQueue,
        args: [clusterDeploymentStartInput(accepted, this.deps.config)],
        memo: { object: accepted },
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    } catch (error) {
      // Another replica, or this one before a crash, started it: the next look sees it.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return true;
      throw error;
    }
    await this.event(object, { type: 'Normal', reason: 'Provisioning', message: `Started the entity workflow ${entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, name)}.` });
    return true;
  }

  /**
   * Sends the CR's spec (when its generation moved) and its labels and annotations through the
   * patch Update; undefined when the workflow refused it.
   */
  private async applySpec(object: CustomResource, workflowObject: ClusterDeployment, handle: WorkflowHandle): Promise<ClusterDeployment | undefined> {
    const generation = String(object.metadata.generation);
    const specMoved = appliedGeneration(workflowObject) < object.metadata.generation;
    const metadata = metadataPatch(object, workflowObject) ?? {};
    let patch: EntityPatch = { metadata };
    if (specMoved) {
      const accepted = await this.accept(object);
      if (!accepted) return undefined;
      // The whole spec as REST would accept it, so a field removed from the CR is removed from the workflow's too.
      const spec = specMergePatch(workflowObject.spec, accepted.spec);
      patch = { spec, metadata: { ...metadata, annotations: { ...metadata.annotations, [CR_GENERATION_ANNOTATION]: generation } } };
    }
    try {
      const applied = await handle.executeUpdate(patchClusterDeployment, { args: [patch] });
      if (specMoved) await this.event(object, { type: 'Normal', reason: 'SpecApplied', message: `Generation ${generation} of the spec was handed to the entity workflow.` });
      return applied;
    } catch (error) {
      const refusal = updateRefusal(error);
      if (!refusal) throw error;
      await this.event(object, { type: 'Warning', reason: refusal.type ?? 'SpecRefused', message: `Generation ${generation} of the spec was refused: ${refusal.message}` });
      return undefined;
    }
  }

  private async publishStatus(object: CustomResource, workflowObject: ClusterDeployment): Promise<void> {
    const desired = statusForResource(workflowObject);
    if (!jsonEqual(desired, object.status ?? {})) await this.deps.resources.patchStatus(object, statusPatch(object.status, desired));
    const before = readyCondition(object.status);
    const after = readyCondition(desired);
    if (after && after.reason !== before?.reason) {
      await this.event(object, { type: /Fail/.test(after.reason) ? 'Warning' : 'Normal', reason: after.reason, message: after.message });
    }
  }

  private async reconcileDeletion(object: CustomResource, handle: WorkflowHandle): Promise<ReconcileOutcome> {
    if (!object.metadata.finalizers.includes(DEPROVISION_FINALIZER)) return {};
    const snapshot = await this.snapshot(handle);
    const ours = snapshot !== undefined && snapshot.object.metadata.uid === object.metadata.uid;
    if (!ours || snapshot.deleted) {
      const message = ours ? 'Every cloud resource of the cluster is gone; removing the finalizer.' : 'Slipway holds no cluster of this resource; removing the finalizer.';
      await this.event(object, { type: 'Normal', reason: 'Deprovisioned', message });
      await this.deps.resources.setFinalizers(object, object.metadata.finalizers.filter((finalizer) => finalizer !== DEPROVISION_FINALIZER));
      this.deps.events.forget(object);
      return {};
    }
    let current = snapshot.object;
    if (!current.metadata.deletionTimestamp) {
      const metadata = metadataPatch(object, current);
      try {
        // The CR's annotations decide a protected delete; one removed while it terminates must reach the workflow.
        if (metadata) current = await handle.executeUpdate(patchClusterDeployment, { args: [{ metadata }] });
        current = await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: object.metadata.deletionTimestamp ?? new Date().toISOString() }] });
      } catch (error) {
        const refusal = updateRefusal(error);
        if (!refusal) throw error;
        await this.event(object, { type: 'Warning', reason: refusal.type ?? 'DeleteRefused', message: refusal.message });
        return { requeueAfterMs: this.deps.pollIntervalMs * 10 };
      }
    }
    await this.publishStatus(object, current);
    return { requeueAfterMs: this.deps.pollIntervalMs };
  }
}
