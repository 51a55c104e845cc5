/**
 * Reconciles one custom resource of any entity kind with its entity workflow, the same
 * workflow (same ID, same start input, same patch and delete Updates) that REST drives. A
 * kind comes in as its EntityDefinition (services/api/routes), the table REST uses too.
 *
 * - a live object gets the finalizer slipway.dev/deprovision, then, by its relation to the
 *   entity of its name (resource-ownership.ts): its workflow is started (none lives) by one
 *   Update-with-Start, or sent the spec through the patch Update (the CR's generation moved
 *   past the one the workflow last took, or the CR takes over an object handed to
 *   Kubernetes), or, when REST owns the object, the CR only mirrors its status with a
 *   ReadOnly condition;
 * - a deleted object it drives has the delete Update sent, and loses the finalizer only once
 *   the workflow reports the object deleted, i.e. its cloud side is empty; one it does not
 *   drive just loses the finalizer;
 * - `.status` is the workflow's, with observedGeneration in the CR's generations, written
 *   through the status subresource only when it changed; a phase change is an Event;
 * - a workflow that cannot answer (its task keeps failing, or no worker runs it) is named in a
 *   Warning Event and looked at again later; a deleted object keeps its finalizer meanwhile.
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { jsonEqual, type JsonObject } from '../../crds/json';
import type { KindName, KindObjects } from '../../crds/schemas/index';
import type { EntityPatch, EntitySnapshot } from '../../workflows/entity/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { CR_GENERATION_ANNOTATION, CR_UID_ANNOTATION, OWNER_ANNOTATION, ownedElsewhereMessage } from '../../workflows/entity/ownership';
import { acceptManifest, type EntityDefinition } from '../api/routes/entity-routes';
import { readProblem } from '../api/entity-errors';
import { ProblemError } from '../api/problem';
import type { SlipwayConfig } from '../common/config';
import type { EventRecorder, RecordedEvent } from './events';
import { DEPROVISION_FINALIZER, isNotFound, PAUSED_ANNOTATION, type CustomResource, type CustomResourceClient } from './kube-objects';
import { relationOf } from './resource-ownership';
import { appliedGeneration, carriedAnnotations, metadataPatch, OWNED_BY_REST_REASON, readOnlyStatus, readyCondition, specMergePatch, statusForResource, statusPatch, type EntityObjectShape } from './resource-sync';
import type { ReconcileOutcome } from './work-queue';

export interface ReconcilerDeps<K extends KindName> {
  readonly entity: EntityDefinition<K>;
  readonly temporal: Client;
  readonly resources: CustomResourceClient;
  readonly events: EventRecorder;
  readonly config: Pick<SlipwayConfig, 'taskQueue' | 'managementId'> & Partial<Pick<SlipwayConfig, 'nodePoolScaleUpAfterSeconds' | 'nodePoolScaleDownAfterSeconds' | 'apiReadTimeoutSeconds'>>;
  /** How soon an object still moving (provisioning, scaling, deleting) is looked at again. */
  readonly pollIntervalMs: number;
}

/** A start the kind refused (its cluster is not ready, a name is reserved) is tried again after this many poll intervals. */
const START_RETRY_POLLS = 5;
/** A CR waiting for a name held elsewhere, or a delete refused, is looked at again after this many. */
const WAIT_POLLS = 10;

/** What starting an entity from its CR came to (EntityReconciler.start). */
type StartResult<T> = { readonly result: 'started'; readonly object: T } | { readonly result: 'invalid' } | { readonly result: 'refused' } | { readonly result: 'held' };

function updateRefusal(error: unknown): ApplicationFailure | undefined {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure ? error.cause : undefined;
}

export class EntityReconciler<K extends KindName> {
  private readonly kind: K;

  constructor(private readonly deps: ReconcilerDeps<K>) {
    this.kind = deps.entity.kind;
  }

  private workflowId(namespace: string, name: string): string {
    return entityWorkflowId(this.kind, namespace, name);
  }

  private async snapshot(handle: WorkflowHandle): Promise<EntitySnapshot<KindObjects[K]> | undefined> {
    try {
      return await handle.query(this.deps.entity.getObject);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** The workflow's snapshot (undefined: none lives), or, when it cannot answer, what the reconcile comes to instead. */
  private async look(resource: CustomResource, handle: WorkflowHandle): Promise<{ readonly snapshot: EntitySnapshot<KindObjects[K]> | undefined } | { readonly outcome: ReconcileOutcome }> {
    try {
      return { snapshot: await this.snapshot(handle) };
    } catch (error) {
      return { outcome: await this.reportUnavailable(resource, error) };
    }
  }

  /**
   * The workflow exists but cannot answer (its task keeps failing, or no worker runs it): the
   * resource says so in an Event, so `kubectl describe` shows why nothing moves, and it is
   * looked at again later. An error that is not Temporal's answer is thrown, for the queue's retries.
   */
  private async reportUnavailable(resource: CustomResource, error: unknown): Promise<ReconcileOutcome> {
    const { namespace, name } = resource.metadata;
    if (readProblem(error, this.kind, namespace, name).status !== 503) throw error;
    const message = `The entity workflow ${this.workflowId(namespace, name)} cannot answer: its workflow task keeps failing, or no worker runs it. Nothing of this resource is applied until it answers (looked at again shortly); check that a Slipway worker runs, and the workflow in the Temporal UI.`;
    await this.event(resource, { type: 'Warning', reason: 'EntityUnavailable', message });
    return { requeueAfterMs: this.deps.pollIntervalMs * WAIT_POLLS };
  }

  private event(resource: CustomResource, event: RecordedEvent): Promise<void> {
    return this.deps.events.record(resource, event);
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
    const handle = this.deps.temporal.workflow.getHandle(this.workflowId(namespace, name));
    if (found.metadata.deletionTimestamp) return this.reconcileDeletion(found, handle);

    const resource = found.metadata.finalizers.includes(DEPROVISION_FINALIZER)
      ? found
      : await this.deps.resources.setFinalizers(found, [...found.metadata.finalizers, DEPROVISION_FINALIZER]);
    const looked = await this.look(resource, handle);
    if ('outcome' in looked) return looked.outcome;
    let { snapshot } = looked;
    const relation = relationOf(snapshot, resource.metadata.uid);
    if (relation === 'name-in-use') {
      await this.event(resource, { type: 'Warning', reason: 'NameInUse', message: `A ${this.kind} named ${namespace}/${name} that this resource did not create is being deleted in Slipway; waiting until it is gone.` });
      return { requeueAfterMs: this.deps.pollIntervalMs * WAIT_POLLS };
    }
    if (relation === 'read-only' && snapshot) return this.mirrorReadOnly(resource, snapshot.object);
    if (relation === 'absent') {
      const started = await this.start(resource);
      if (started.result === 'invalid') return {};
      if (started.result === 'refused') return { requeueAfterMs: this.deps.pollIntervalMs * START_RETRY_POLLS };
      if (started.result === 'held') return { requeueAfterMs: this.deps.pollIntervalMs * WAIT_POLLS };
      // The name was taken between our look and the start (the Update went to that workflow): look again.
      if (relationOf({ object: started.object, deleted: false }, resource.metadata.uid) !== 'drives') return { requeueAfterMs: this.deps.pollIntervalMs };
      snapshot = { object: started.object, deleted: false };
    } else if (snapshot && (relation === 'adopts' || appliedGeneration(snapshot.object) < resource.metadata.generation || metadataPatch(resource, snapshot.object))) {
      const applied = await this.applySpec(resource, snapshot.object, handle, relation === 'adopts');
      if (!applied) return {};
      snapshot = { object: applied, deleted: false };
    }
    if (!snapshot) return { requeueAfterMs: this.deps.pollIntervalMs };
    await this.publishStatus(resource, statusForResource(snapshot.object));
    const settled = readyCondition(snapshot.object.status)?.status === 'True' && appliedGeneration(snapshot.object) === resource.metadata.generation;
    return settled ? {} : { requeueAfterMs: this.deps.pollIntervalMs };
  }

  /** REST owns the object: the CR shows its status, read-only, and its spec is not applied. */
  private async mirrorReadOnly(resource: CustomResource, object: EntityObjectShape): Promise<ReconcileOutcome> {
    const { namespace, name } = resource.metadata;
    await this.event(resource, { type: 'Warning', reason: OWNED_BY_REST_REASON, message: ownedElsewhereMessage(this.kind, namespace, name, 'rest') });
    await this.publishStatus(resource, readOnlyStatus(this.kind, object, resource, new Date().toISOString()));
    // Still moving: follow it; settled: the informer's resync looks again (and sees a handover).
    return readyCondition(object.status)?.status === 'True' ? {} : { requeueAfterMs: this.deps.pollIntervalMs };
  }

  /** The CR as REST would accept it (converted, defaults applied); undefined, with a Warning, when it cannot be. */
  private async accept(resource: CustomResource): Promise<KindObjects[K] | undefined> {
    const { namespace, name, generation, uid } = resource.metadata;
    const manifest = {
      apiVersion: resource.apiVersion,
      kind: resource.kind,
      metadata: {
        name,
        namespace,
        labels: resource.metadata.labels,
        annotations: { ...carriedAnnotations(resource), [CR_GENERATION_ANNOTATION]: String(generation), [OWNER_ANNOTATION]: 'kubernetes' },
      },
      spec: resource.spec,
    };
    try {
      return acceptManifest(this.kind, namespace, manifest, uid);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      await this.event(resource, { type: 'Warning', reason: 'InvalidSpec', message: error.message });
      return undefined;
    }
  }

  /**
   * Starts the entity workflow as REST would, owned by Kubernetes, in one Update-with-Start
   * (workflowIdConflictPolicy USE_EXISTING) whose patch Update is empty: the start input is
   * already the CR's whole accepted spec, so Temporal's starting the workflow even when the
   * Update is refused never leaves it half-made, and a workflow that took the name since we
   * looked is left unchanged (the next look applies the spec to it). `invalid`: the CR
   * cannot be accepted (a new generation may fix it); `refused`: the kind cannot start it
   * yet (e.g. its cluster has no infrastructure ID), so it is tried again; `held`: the
   * Update was refused, by a workflow already holding the name (REST owns it, or it is being
   * deleted) or, were it ever, by the new one, which is whole from its input: looked at again.
   */
  private async start(resource: CustomResource): Promise<StartResult<KindObjects[K]>> {
    const { namespace, name } = resource.metadata;
    const accepted = await this.accept(resource);
    if (!accepted) return { result: 'invalid' };
    let input: unknown;
    try {
      input = await this.deps.entity.startInput(accepted, { temporal: this.deps.temporal, config: this.deps.config });
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      await this.event(resource, { type: 'Warning', reason: 'Waiting', message: `${error.message} (looked at again shortly)` });
      return { result: 'refused' };
    }
    const workflowId = this.workflowId(namespace, name);
    const startWorkflowOperation = new WithStartWorkflowOperation(this.deps.entity.workflowType, {
      workflowId,
      taskQueue: this.deps.config.taskQueue,
      args: [input],
      // Visibility holds the object from the start, as REST's create leaves it.
      memo: { object: accepted },
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    let object: KindObjects[K];
    try {
      ({ object } = await this.deps.temporal.workflow.executeUpdateWithStart(this.deps.entity.patchObject, { args: [{ from: 'kubernetes' }], startWorkflowOperation }));
    } catch (error) {
      const refusal = updateRefusal(error);
      if (!refusal) throw error;
      await this.event(resource, { type: 'Warning', reason: refusal.type ?? 'StartRefused', message: `${refusal.message} (looked at again shortly)` });
      return { result: 'held' };
    }
    // Another replica, or this one before a crash, may have started it from this CR too: an Event twice says nothing wrong.
    if (object.metadata.uid === resource.metadata.uid) await this.event(resource, { type: 'Normal', reason: 'Provisioning', message: `Started the entity workflow ${workflowId}.` });
    return { result: 'started', object };
  }

  /**
   * Sends the CR's spec (when its generation moved, or the CR takes the object over) and its
   * labels and annotations through the patch Update, as Kubernetes; undefined when refused.
   */
  private async applySpec(resource: CustomResource, object: KindObjects[K], handle: WorkflowHandle, adopting: boolean): Promise<KindObjects[K] | undefined> {
    const generation = String(resource.metadata.generation);
    const specMoved = adopting || appliedGeneration(object) < resource.metadata.generation;
    const metadata = metadataPatch(resource, object) ?? {};
    let patch: EntityPatch = { metadata, from: 'kubernetes' };
    if (specMoved) {
      const accepted = await this.accept(resource);
      if (!accepted) return undefined;
      const bookkeeping = { [CR_GENERATION_ANNOTATION]: generation, ...(adopting ? { [CR_UID_ANNOTATION]: resource.metadata.uid } : {}) };
      // The whole spec as REST would accept it, so a field removed from the CR is removed from the workflow's too.
      patch = { spec: specMergePatch(object.spec, accepted.spec), metadata: { ...metadata, annotations: { ...metadata.annotations, ...bookkeeping } }, from: 'kubernetes' };
    }
    try {
      const { object: applied } = await handle.executeUpdate(this.deps.entity.patchObject, { args: [patch] });
      if (adopting) await this.event(resource, { type: 'Normal', reason: 'TookOver', message: `This resource now drives ${this.workflowId(resource.metadata.namespace, resource.metadata.name)}, handed over to Kubernetes.` });
      if (specMoved) await this.event(resource, { type: 'Normal', reason: 'SpecApplied', message: `Generation ${generation} of the spec was handed to the entity workflow.` });
      return applied;
    } catch (error) {
      const refusal = updateRefusal(error);
      if (!refusal) throw error;
      await this.event(resource, { type: 'Warning', reason: refusal.type ?? 'SpecRefused', message: `Generation ${generation} of the spec was refused: ${refusal.message}` });
      return undefined;
    }
  }

  private async publishStatus(resource: CustomResource, desired: JsonObject): Promise<void> {
    if (!jsonEqual(desired, resource.status ?? {})) await this.deps.resources.patchStatus(resource, statusPatch(resource.status, desired));
    const before = readyCondition(resource.status);
    const after = readyCondition(desired);
    if (after && after.reason !== before?.reason) {
      await this.event(resource, { type: /Fail/.test(after.reason) ? 'Warning' : 'Normal', reason: after.reason, message: after.message });
    }
  }

  private async reconcileDeletion(resource: CustomResource, handle: WorkflowHandle): Promise<ReconcileOutcome> {
    if (!resource.metadata.finalizers.includes(DEPROVISION_FINALIZER)) return {};
    // Unanswered, the finalizer stays: whether the cloud side is empty cannot be known until the workflow answers.
    const looked = await this.look(resource, handle);
    if ('outcome' in looked) return looked.outcome;
    const { snapshot } = looked;
    // Whether this CR drove the object, even if the object has finished deleting since.
    const drove = snapshot !== undefined && relationOf({ object: snapshot.object, deleted: false }, resource.metadata.uid) === 'drives';
    if (!drove || snapshot.deleted) {
      const message = drove ? 'Every cloud resource is gone; removing the finalizer.' : 'This resource does not drive an object in Slipway; removing the finalizer and leaving Slipway alone.';
      await this.event(resource, { type: 'Normal', reason: 'Deprovisioned', message });
      await this.deps.resources.setFinalizers(resource, resource.metadata.finalizers.filter((finalizer) => finalizer !== DEPROVISION_FINALIZER));
      this.deps.events.forget(resource);
      return {};
    }
    let current = snapshot.object;
    if (!current.metadata.deletionTimestamp) {
      const metadata = metadataPatch(resource, current);
      try {
        // The CR's annotations decide a protected delete; one removed while it terminates must reach the workflow.
        if (metadata) ({ object: current } = await handle.executeUpdate(this.deps.entity.patchObject, { args: [{ metadata, from: 'kubernetes' }] }));
        ({ object: current } = await handle.executeUpdate(this.deps.entity.deleteObject, { args: [{ requestedAt: resource.metadata.deletionTimestamp ?? new Date().toISOString(), from: 'kubernetes' }] }));
      } catch (error) {
        const refusal = updateRefusal(error);
        if (!refusal) throw error;
        await this.event(resource, { type: 'Warning', reason: refusal.type ?? 'DeleteRefused', message: refusal.message });
        return { requeueAfterMs: this.deps.pollIntervalMs * WAIT_POLLS };
      }
    }
    await this.publishStatus(resource, statusForResource(current));
    return { requeueAfterMs: this.deps.pollIntervalMs };
  }
}
