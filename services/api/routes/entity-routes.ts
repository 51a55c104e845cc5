/**
 * The REST machinery every entity kind shares, under
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/{plural}[/{name}]: create (JSON or
 * YAML, ours or an upstream apiVersion, with Idempotency-Key) starts the entity workflow;
 * PATCH and DELETE are Updates; LIST and watch read the Redis projection; GET of one object
 * reads the projection when it holds every write acknowledged for the object, and is a
 * Query on the workflow otherwise. A kind plugs in its workflow's names and how to build its start
 * input (entityRoutes(definition) is its plugin), and may add routes of its own on
 * entityAccess(deps, definition).
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPlainObject } from '../../../crds/json';
import { GROUP_VERSION } from '../../../crds/schemas/common';
import { KINDS, type KindName, type KindObjects } from '../../../crds/schemas/index';
import { convertManifest } from '../../../crds/upstream/index';
import type { FieldError } from '../../../crds/validate';
import { entityWorkflowId } from '../../../workflows/entity/ids';
import { type DeleteRequest, type EntityPatch, type EntitySnapshot, type EntityWrite } from '../../../workflows/entity/definitions';
import { OWNER_ANNOTATION, OWNER_SIDES, SLIPWAY_BOOKKEEPING_ANNOTATIONS, isOwnerSide, type OwnerSide } from '../../../workflows/entity/ownership';
import { DEFAULT_API_READ_TIMEOUT_SECONDS, type SlipwayConfig } from '../../common/config';
import { objectReads, workflowsStarted } from '../../common/metrics';
import { ContinueTokenError, WatchGoneError, joinJsonList, type Projection } from '../../common/projection';
import type { ListPages } from '../list-pages';
import { entityProblem, notFound, readProblem } from '../entity-errors';
import type { IdempotencyStore } from '../idempotency';
import { ProblemError } from '../problem';
import { selectorFilter } from '../selectors';
import { DEFAULT_WATCH_TIMINGS, streamWatch, type WatchTimings } from '../watch';
import {
  body,
  CHANGE_PROBLEMS,
  CreateHeaders,
  ItemParams,
  json,
  kindRef,
  LIST_PROBLEMS,
  ListHeaders,
  ListQuery,
  listRef,
  listSchema,
  manifestRef,
  manifestSchema,
  MERGE_PATCH,
  NamespaceParams,
  problems,
  READ_PROBLEMS,
  SERVER_OWNED_METADATA,
  WATCH_EVENT,
} from './schemas';

export interface EntityRouteDeps {
  readonly temporal: Client;
  readonly projection: Projection;
  /** LIST pages kept for as long as their kind has not changed. */
  readonly listPages: ListPages;
  readonly idempotency: IdempotencyStore;
  readonly config: SlipwayConfig;
  /** Heartbeat and bookmark intervals of watch streams (tests shorten them). */
  readonly watchTimings?: WatchTimings;
}

/** What a kind's start input may need besides the object: REST and the controller both supply it. */
export type StartInputDeps = Pick<EntityRouteDeps, 'temporal'> & {
  readonly config: Pick<SlipwayConfig, 'managementId'> & Partial<Pick<SlipwayConfig, 'nodePoolScaleUpAfterSeconds' | 'nodePoolScaleDownAfterSeconds' | 'apiReadTimeoutSeconds'>>;
};

/**
 * Reads an entity through its workflow's Query, within the API's read deadline: a workflow that
 * is failing, or that no worker runs, never answers, and the deadline turns that into a 503.
 * Undefined when no such workflow exists; any other failure becomes the problem a read answers.
 */
export async function queryEntityWorkflow<T>(deps: StartInputDeps, kind: string, namespace: string, name: string, query: QueryDefinition<T>): Promise<T | undefined> {
  const deadline = Date.now() + (deps.config.apiReadTimeoutSeconds ?? DEFAULT_API_READ_TIMEOUT_SECONDS) * 1000;
  try {
    return await deps.temporal.withDeadline(deadline, () => deps.temporal.workflow.getHandle(entityWorkflowId(kind, namespace, name)).query(query));
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw readProblem(error, kind, namespace, name);
  }
}

/** What a kind tells the shared routes about its entity workflow. */
export interface EntityDefinition<K extends KindName> {
  readonly kind: K;
  readonly workflowType: string;
  readonly getObject: QueryDefinition<EntitySnapshot<KindObjects[K]>>;
  readonly patchObject: UpdateDefinition<EntityWrite<KindObjects[K]>, [EntityPatch]>;
  readonly deleteObject: UpdateDefinition<EntityWrite<KindObjects[K]>, [DeleteRequest]>;
  /**
   * The workflow's start input for an accepted object (defaults applied, metadata set).
   * May refuse the object with a ProblemError (e.g. a reference to something missing).
   */
  startInput(object: KindObjects[K], deps: StartInputDeps): Promise<unknown>;
}

/** What a kind's own extra routes build on. */
export interface EntityAccess<K extends KindName> {
  /** Fastify path of the collection, with :namespace. */
  readonly collectionPath: string;
  /** Fastify path of one object, with :namespace and :name. */
  readonly itemPath: string;
  handleFor(namespace: string, name: string): WorkflowHandle;
  /** The object as its workflow holds it; 404 when it does not exist or has finished deleting. */
  read(namespace: string, name: string): Promise<KindObjects[K]>;
  /** As GET answers: the projection's bytes when they hold every acknowledged write, else read() with the resourceVersion. */
  readCurrent(namespace: string, name: string): Promise<Buffer | KindObjects[K]>;
  /**
   * Sends a write (an Update answering EntityWrite) and records it for reads before answering
   * the object, so every GET from then on shows it. Errors are left to the caller.
   */
  write<A extends [unknown, ...unknown[]]>(namespace: string, name: string, update: UpdateDefinition<EntityWrite<KindObjects[K]>, A>, args: A): Promise<KindObjects[K]>;
  /** Sends a validated patch to the workflow, as REST (which may change only what it owns), and answers the changed object. */
  patch(namespace: string, name: string, patch: EntityPatch): Promise<KindObjects[K]>;
  /** Moves the object to the side named; either side may. */
  handOver(namespace: string, name: string, to: OwnerSide): Promise<KindObjects[K]>;
}

export type { EntityPatch };

export function collectionPathOf(kind: KindName): string {
  return `/apis/${GROUP_VERSION}/namespaces/:namespace/${KINDS[kind].plural}`;
}

/** The body as an object; `what` names what to send instead (e.g. "a MachineDeployment manifest"). */
export function requireObjectBody(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProblemError(400, 'invalid-body', `the request body must be one JSON or YAML object. Send ${what}.`, [{ path: '(root)', message: 'expected an object' }]);
  }
  return body as Record<string, unknown>;
}

/** An optional body: absent (or empty) reads as {}. */
export function optionalObjectBody(body: unknown, what: string): Record<string, unknown> {
  return body === undefined || body === null || body === '' ? {} : requireObjectBody(body, what);
}

export function invalid(errors: readonly FieldError[], what: string): ProblemError {
  return new ProblemError(422, 'invalid-object', `${what} is not valid: ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}. Fix these fields and send it again.`, errors);
}

/**
 * Checks that a patch body changes only spec, metadata.labels and metadata.annotations;
 * the workflow's Update validator checks the rest. `prefix` is prepended to field paths
 * (for a patch nested in another body).
 */
export function checkPatchShape(body: Record<string, unknown>, prefix = ''): EntityPatch {
  const unknownKeys = Object.keys(body).filter((key) => key !== 'spec' && key !== 'metadata');
  const metadata = body.metadata;
  const unknownMetadata = metadata && typeof metadata === 'object' ? Object.keys(metadata).filter((key) => key !== 'labels' && key !== 'annotations') : [];
  const errors: FieldError[] = [
    ...unknownKeys.map((key) => ({ path: `${prefix}${key}`, message: 'cannot be patched; a patch may change spec, metadata.labels and metadata.annotations' })),
    ...unknownMetadata.map((key) => ({ path: `${prefix}metadata.${key}`, message: 'cannot be patched; only metadata.labels and metadata.annotations can' })),
  ];
  if (errors.length > 0) throw invalid(errors, 'the patch');
  return body as EntityPatch;
}

function withoutServerOwnedFields(body: Record<string, unknown>): Record<string, unknown> {
  const { status: _ignoredStatus, ...manifest } = body;
  if (!isPlainObject(manifest.metadata)) return manifest;
  const metadata = Object.fromEntries(Object.entries(manifest.metadata).filter(([key]) => !SERVER_OWNED_METADATA.includes(key)));
  return { ...manifest, metadata };
}

/** The manifest converted to the kind, in the path's namespace, with server-set metadata (the controller accepts a CR through it too). */
export function acceptManifest<K extends KindName>(kind: K, namespace: string, body: Record<string, unknown>, uid: string): KindObjects[K] {
  const converted = convertManifest(withoutServerOwnedFields(body));
  if (!converted.ok) throw invalid(converted.errors, `the ${kind}`);
  if (converted.kind !== kind) {
    throw new ProblemError(422, 'wrong-kind', `this collection holds ${kind}s, but the body is a ${converted.kind}. Send it to its own collection.`, [
      { path: 'kind', message: `must be ${kind} (or an upstream kind that converts to it)` },
    ]);
  }
  const submitted = converted.object as KindObjects[K];
  if (submitted.metadata.namespace && submitted.metadata.namespace !== namespace) {
    throw new ProblemError(422, 'namespace-mismatch', `metadata.namespace "${submitted.metadata.namespace}" differs from the namespace in the path, "${namespace}". Make them agree or leave metadata.namespace out.`, [
      { path: 'metadata.namespace', message: `must be "${namespace}" or absent` },
    ]);
  }
  return { ...submitted, metadata: { ...submitted.metadata, namespace, uid, generation: 1, creationTimestamp: new Date().toISOString() } };
}

/**
 * A REST-created object is REST's: Slipway's own annotations in its manifest (a copy of another
 * object, from `slipway get -o yaml`) must not make it look owned by a custom resource.
 */
function withoutBookkeeping<T extends { readonly metadata: { readonly annotations?: Readonly<Record<string, string>> } }>(object: T): T {
  const annotations = object.metadata.annotations;
  if (!annotations || !SLIPWAY_BOOKKEEPING_ANNOTATIONS.some((key) => key in annotations)) return object;
  const kept = Object.fromEntries(Object.entries(annotations).filter(([key]) => !SLIPWAY_BOOKKEEPING_ANNOTATIONS.includes(key)));
  return { ...object, metadata: { ...object.metadata, annotations: kept } };
}

/** A projection error a client can act on: 410 Gone (list again) or a bad continue token. */
function projectionProblem(error: unknown): unknown {
  if (error instanceof WatchGoneError) return new ProblemError(410, 'resource-version-gone', error.message, [{ path: 'query.resourceVersion', message: 'cannot be served; list again' }]);
  if (error instanceof ContinueTokenError) return new ProblemError(400, 'invalid-continue', error.message, [{ path: 'query.continue', message: error.message }]);
  return error;
}

/** A JSON merge patch of spec, labels and annotations, documented loosely: the workflow's validator names what is wrong in it. */
const PatchBody = Type.Object(
  {},
  { additionalProperties: true, description: 'A JSON merge patch (RFC 7386) of spec, metadata.labels and metadata.annotations: { spec?, metadata?: { labels?, annotations? } }; null removes a key.' },
);

/** One event of a watch stream, as a Server-Sent Events client reads it. */

/** Reads and patches of one kind's objects through their entity workflows. */
export function entityAccess<K extends KindName>(deps: EntityRouteDeps, entity: EntityDefinition<K>): EntityAccess<K> {
  const { kind } = entity;
  const collectionPath = collectionPathOf(kind);
  const itemPath = `${collectionPath}/:name`;
  const handleFor = (namespace: string, name: string) => deps.temporal.workflow.getHandle(entityWorkflowId(kind, namespace, name));

  const read = async (namespace: string, name: string): Promise<KindObjects[K]> => {
    const snapshot = await queryEntityWorkflow(deps, kind, namespace, name, entity.getObject);
    if (!snapshot || snapshot.deleted) throw notFound(kind, namespace, name);
    return snapshot.object;
  };

  const write = async <A extends [unknown, ...unknown[]]>(namespace: string, name: string, definition: UpdateDefinition<EntityWrite<KindObjects[K]>, A>, args: A): Promise<KindObjects[K]> => {
    const written = await handleFor(namespace, name).executeUpdate(definition, { args });
    try {
      await deps.projection.recordWrite(kind, namespace, name, written.publishedFrom);
    } catch (error) {
      throw new ProblemError(
        503,
        'write-not-recorded',
        `The change to ${kind} ${namespace}/${name} was applied, but the API could not record it for reads, so a GET might not show it yet. Read the object again in a few seconds; do not send the change again unless it is missing.`,
        undefined,
        error,
      );
    }
    return written.object;
  };

  const update = async (namespace: string, name: string, body: EntityPatch): Promise<KindObjects[K]> => {
    try {
      return await write(namespace, name, entity.patchObject, [body]);
    } catch (error) {
      throw entityProblem(error, kind, namespace, name);
    }
  };
  const patch = (namespace: string, name: string, body: EntityPatch) => update(namespace, name, { ...body, from: 'rest' });
  const handOver = (namespace: string, name: string, to: OwnerSide) => update(namespace, name, { metadata: { annotations: { [OWNER_ANNOTATION]: to } }, handover: true });

  /** The object's JSON from the projection when it holds every acknowledged write (a Redis read); otherwise the workflow's answer. */
  const readCurrent = async (namespace: string, name: string): Promise<Buffer | KindObjects[K]> => {
    // The resourceVersion is read before the workflow is asked, so the object answered holds
    // at least the change it names: a client that watches from it (the CLI does) then misses
    // nothing. Read after, it could name a change made in between, whose event the watch skips.
    const { current, resourceVersion } = await deps.projection.readForGet(kind, namespace, name);
    objectReads.inc({ kind, source: current ? 'projection' : 'workflow' });
    if (current) return current;
    const object = await read(namespace, name);
    return resourceVersion ? { ...object, metadata: { ...object.metadata, resourceVersion } } : object;
  };

  return { collectionPath, itemPath, handleFor, read, readCurrent, write, patch, handOver };
}

/**
 * The plugin of a kind's collection and item routes: list and watch, create, read, patch
 * and delete. Its options are the routes' dependencies.
 */
export function entityRoutes<K extends KindName>(entity: EntityDefinition<K>): FastifyPluginAsyncTypebox<EntityRouteDeps> {
  return async (app, deps) => {
    const { kind } = entity;
    const { collectionPath, itemPath, handleFor, read, readCurrent, write, patch, handOver } = entityAccess(deps, entity);
    const source = { workflowType: entity.workflowType, taskQueue: deps.config.taskQueue };
    const tags = [kind];
    app.addSchema(listSchema(kind));
    app.addSchema(manifestSchema(kind));

    /**
     * On a name conflict, the object already there is this request's own when it carries the
     * uid the request reserved (an Idempotency-Key retry after a crash): answer it as created.
     */
    const createdEarlier = async (namespace: string, name: string, uid: string): Promise<KindObjects[K] | undefined> => {
      const description = await handleFor(namespace, name).describe();
      const memo = description.memo?.object as KindObjects[K] | undefined;
      const object = memo?.metadata.uid ? memo : await read(namespace, name);
      return object.metadata.uid === uid ? object : undefined;
    };

    const create = async (request: FastifyRequest, namespace: string, body: Record<string, unknown>, uid: string, idempotent: boolean): Promise<KindObjects[K]> => {
      const object = withoutBookkeeping(acceptManifest(kind, namespace, body, uid));
      const input = await entity.startInput(object, deps);
      const workflowId = entityWorkflowId(kind, namespace, object.metadata.name);
      try {
        await deps.temporal.workflow.start(entity.workflowType, {
          workflowId,
          taskQueue: deps.config.taskQueue,
          args: [input],
          // Visibility holds the object from the start, so a projection rebuild finds it before its first status.
          memo: { object },
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
      } catch (error) {
        const earlier = idempotent && error instanceof WorkflowExecutionAlreadyStartedError ? await createdEarlier(namespace, object.metadata.name, uid) : undefined;
        if (earlier) return earlier;
        throw entityProblem(error, kind, namespace, object.metadata.name);
      }
      workflowsStarted.inc({ kind });
      request.log.info({ workflowId }, `${kind} created`);
      return object;
    };

    const watch = async (request: FastifyRequest, reply: FastifyReply, namespace: string, query: Static<typeof ListQuery>) => {
      const lastEventId = request.headers['last-event-id'];
      const resourceVersion = (typeof lastEventId === 'string' && lastEventId) || query.resourceVersion || undefined;
      const timings = deps.watchTimings ?? DEFAULT_WATCH_TIMINGS;
      const filter = selectorFilter(query);
      const stream = await deps.projection.openWatch(kind, { namespace, ...(filter ? { filter } : {}), ...(resourceVersion ? { resourceVersion } : {}) }).catch((error: unknown) => {
        throw projectionProblem(error);
      });
      await streamWatch(request, reply, stream, {
        ...(query.timeoutSeconds !== undefined ? { timeoutSeconds: query.timeoutSeconds } : {}),
        bookmarks: query.allowWatchBookmarks === true,
        timings,
        bookmarkOf: (version) => ({ apiVersion: GROUP_VERSION, kind, metadata: { resourceVersion: version } }),
      });
    };

    const upstream = KINDS[kind].upstream.map((version) => version.apiVersion).join(' or ');

    app.get(
      collectionPath,
      {
        schema: {
          operationId: `list${kind}s`,
          summary: `List ${kind}s (from the projection), or watch them as Server-Sent Events with watch=true`,
          tags,
          params: NamespaceParams,
          querystring: ListQuery,
          headers: ListHeaders,
          response: {
            200: { description: `A ${KINDS[kind].listKind}, or with watch=true (or Accept: text/event-stream) a stream of events`, content: { 'application/json': { schema: listRef(kind) }, 'text/event-stream': { schema: WATCH_EVENT } } },
            ...problems(...LIST_PROBLEMS),
          },
        },
      },
      async (request, reply) => {
        const { namespace } = request.params;
        const query = request.query;
        const watching = query.watch === true || (request.headers.accept ?? '').includes('text/event-stream');
        if (watching) return watch(request, reply, namespace, query);
        const filter = selectorFilter(query);
        // A no-op unless Redis lost this kind's projection; then lists come back whole, not half.
        await deps.projection.rebuildFromVisibility(deps.temporal, source, kind);
        try {
          const version = await deps.projection.latestVersion(kind);
          const bytes = await deps.listPages.page(kind, { namespace, ...query }, version, async () => {
            const page = await deps.projection.listJson(kind, { namespace, latestVersion: version, ...(filter ? { filter } : {}), ...(query.limit ? { limit: query.limit } : {}), ...(query.continue ? { continue: query.continue } : {}) });
            // The items go out as the bytes Redis holds, joined rather than decoded, parsed and serialized again.
            const head = JSON.stringify({ apiVersion: GROUP_VERSION, kind: KINDS[kind].listKind, metadata: page.metadata });
            return joinJsonList(`${head.slice(0, -1)},"items":[`, page.items, ']}');
          });
          return reply.type('application/json; charset=utf-8').send(bytes);
        } catch (error) {
          throw projectionProblem(error);
        }
      },
    );

    app.post(
      collectionPath,
      {
        schema: {
          operationId: `create${kind}`,
          summary: `Create a ${kind} (${GROUP_VERSION}${upstream ? `, or ${upstream}, converted` : ''})`,
          tags,
          params: NamespaceParams,
          headers: CreateHeaders,
          body: body(manifestRef(kind)),
          response: {
            201: json('Created; a retry with the same Idempotency-Key and body gets the first answer', kindRef(kind), {
              headers: { 'Idempotent-Replayed': Type.String({ description: '"true" on an answer replayed for a retried Idempotency-Key' }) },
            }),
            ...problems(...CHANGE_PROBLEMS),
          },
        },
      },
      async (request, reply) => {
        const { namespace } = request.params;
        const manifest = requireObjectBody(request.body, `a ${kind} manifest`);
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string') return reply.code(201).send(await create(request, namespace, manifest, randomUUID(), false));
        const scope = { kind, namespace, key };
        const claim = await deps.idempotency.claim(scope, manifest);
        // What is stored is a 201 (below); no other answer is kept.
        if ('replay' in claim) return reply.code(claim.replay.status as 201).header('idempotent-replayed', 'true').send(claim.replay.body);
        let object: KindObjects[K];
        try {
          object = await create(request, namespace, manifest, claim.uid, true);
        } catch (error) {
          await deps.idempotency.release(scope, claim.uid);
          throw error;
        }
        await deps.idempotency.complete(scope, claim.uid, manifest, { status: 201, body: object });
        return reply.code(201).send(object);
      },
    );

    app.get(
      itemPath,
      {
        schema: {
          operationId: `read${kind}`,
          summary: `Read a ${kind}: from the projection when it holds every acknowledged write, else from its entity workflow`,
          tags,
          params: ItemParams,
          response: { 200: json('The object, with the resourceVersion of its latest change', kindRef(kind)), ...problems(...READ_PROBLEMS) },
        },
      },
      async (request, reply) => {
        const { namespace, name } = request.params;
        const current = await readCurrent(namespace, name);
        // The projection's bytes go out as they are, like a LIST page's items.
        return Buffer.isBuffer(current) ? reply.type('application/json; charset=utf-8').send(current) : current;
      },
    );

    app.patch(
      itemPath,
      {
        schema: {
          operationId: `patch${kind}`,
          summary: 'Merge-patch spec, metadata.labels and metadata.annotations',
          tags,
          params: ItemParams,
          body: body(PatchBody, MERGE_PATCH),
          response: { 200: json('The changed object', kindRef(kind)), ...problems(...CHANGE_PROBLEMS) },
        },
      },
      async (request) => {
        const { namespace, name } = request.params;
        return patch(namespace, name, checkPatchShape(requireObjectBody(request.body, 'a merge patch of spec, metadata.labels or metadata.annotations')));
      },
    );

    app.delete(
      itemPath,
      {
        schema: {
          operationId: `delete${kind}`,
          summary: 'Deprovision and delete',
          tags,
          params: ItemParams,
          response: { 202: json('Deletion started: the object, with deletionTimestamp set', kindRef(kind)), ...problems(...CHANGE_PROBLEMS) },
        },
      },
      async (request, reply) => {
        const { namespace, name } = request.params;
        try {
          const object = await write(namespace, name, entity.deleteObject, [{ requestedAt: new Date().toISOString(), from: 'rest' }]);
          request.log.info({ workflowId: entityWorkflowId(kind, namespace, name) }, `${kind} deletion requested`);
          return reply.code(202).send(object);
        } catch (error) {
          throw entityProblem(error, kind, namespace, name);
        }
      },
    );

    app.post(
      `${collectionPath}/:name([^:/]+)::handover`,
      {
        schema: {
          operationId: `handOver${kind}`,
          summary: 'Move ownership to REST or to the Kubernetes custom resource of the same name; the other side then reads it but does not change it',
          tags,
          params: ItemParams,
          body: body(HandoverBody),
          response: { 200: json('The object, with its new owner in metadata.annotations["slipway.dev/owner"]', kindRef(kind)), ...problems(...CHANGE_PROBLEMS) },
        },
      },
      async (request) => {
        const { namespace, name } = request.params;
        const to = handoverTarget(requireObjectBody(request.body, `a handover: { "to": "${OWNER_SIDES.join('" or "')}" }`));
        const object = await handOver(namespace, name, to);
        request.log.info({ workflowId: entityWorkflowId(kind, namespace, name), to }, `${kind} handed over`);
        return object;
      },
    );
  };
}

const HandoverBody = Type.Object(
  { to: Type.Union(OWNER_SIDES.map((side) => Type.Literal(side)), { description: 'The side that owns the object from now on' }) },
  { additionalProperties: false, description: 'Whom to hand the object over to' },
);

/** The side a handover body names. */
export function handoverTarget(body: Record<string, unknown>): OwnerSide {
  const errors: FieldError[] = Object.keys(body)
    .filter((key) => key !== 'to')
    .map((key) => ({ path: key, message: 'is not a field of a handover; send { "to": "rest" } or { "to": "kubernetes" }' }));
  const sides = OWNER_SIDES.map((side) => `"${side}"`).join(' or ');
  if (!isOwnerSide(body.to)) errors.push({ path: 'to', message: body.to === undefined ? `is required: ${sides}` : `must be ${sides}` });
  if (errors.length > 0 || !isOwnerSide(body.to)) throw invalid(errors, 'the handover');
  return body.to;
}
