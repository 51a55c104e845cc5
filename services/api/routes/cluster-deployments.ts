/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments[/{name}]
 * Create and change go to the entity workflow; GET of one object is a Query on it; LIST
 * and watch read the Redis projection.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterDeployment } from '../../../crds/schemas/cluster-deployment';
import { DNS_LABEL_PATTERN, GROUP_VERSION } from '../../../crds/schemas/common';
import { convertManifest } from '../../../crds/upstream/index';
import type { FieldError } from '../../../crds/validate';
import {
  CLUSTER_DEPLOYMENT_KIND,
  deleteClusterDeployment,
  entityWorkflowId,
  getClusterDeployment,
  patchClusterDeployment,
} from '../../../workflows/cluster-deployment/definitions';
import type { SlipwayConfig } from '../../common/config';
import { LabelSelectorError } from '../../common/label-selector';
import { workflowsStarted } from '../../common/metrics';
import { ResourceVersionTooOldError, type Projection } from '../../common/projection';
import { entityProblem, notFound } from '../entity-errors';
import type { createIdempotencyStore } from '../idempotency';
import { ProblemError } from '../problem';
import { streamWatch } from '../watch';

export const CLUSTER_DEPLOYMENTS_PATH = `/apis/${GROUP_VERSION}/namespaces/:namespace/clusterdeployments`;
const WORKFLOW_TYPE = 'clusterDeploymentWorkflow';
const NAMESPACE_PATTERN = new RegExp(DNS_LABEL_PATTERN);

export interface ClusterDeploymentRouteDeps {
  readonly temporal: Client;
  readonly projection: Projection;
  readonly idempotency: ReturnType<typeof createIdempotencyStore>;
  readonly config: SlipwayConfig;
}

type Params = { namespace: string; name?: string };
type ListQuery = { labelSelector?: string; limit?: string; continue?: string; watch?: string; resourceVersion?: string };

function checkNamespace(namespace: string): void {
  if (!NAMESPACE_PATTERN.test(namespace) || namespace.length > 63) {
    throw new ProblemError(400, 'invalid-namespace', `namespace "${namespace}" is not a valid name; use lowercase letters, digits and '-' (RFC 1123 label).`, [
      { path: 'path.namespace', message: 'must be an RFC 1123 label' },
    ]);
  }
}

function requireObjectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProblemError(400, 'invalid-body', 'the request body must be one JSON or YAML object. Send a ClusterDeployment manifest.', [
      { path: '(root)', message: 'expected an object' },
    ]);
  }
  return body as Record<string, unknown>;
}

function invalid(errors: readonly FieldError[], what: string): ProblemError {
  return new ProblemError(422, 'invalid-object', `${what} is not valid: ${errors.map((error) => `${error.path}: ${error.message}`).join('; ')}. Fix these fields and send it again.`, errors);
}

export function registerClusterDeploymentRoutes(app: FastifyInstance, deps: ClusterDeploymentRouteDeps): void {
  const handleFor = (namespace: string, name: string) => deps.temporal.workflow.getHandle(entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, name));

  app.post<{ Params: Params }>(CLUSTER_DEPLOYMENTS_PATH, async (request, reply) => {
    const { namespace } = request.params;
    checkNamespace(namespace);
    const body = requireObjectBody(request.body);
    const idempotencyKey = request.headers['idempotency-key'];
    const key = typeof idempotencyKey === 'string' && idempotencyKey ? idempotencyKey : undefined;
    if (key) {
      const earlier = await deps.idempotency.recall(namespace, key, body);
      if (earlier) return reply.code(earlier.status).header('idempotent-replayed', 'true').send(earlier.body);
    }

    const { status: _ignoredStatus, ...manifest } = body;
    const converted = convertManifest(manifest);
    if (!converted.ok) throw invalid(converted.errors, 'the ClusterDeployment');
    if (converted.kind !== CLUSTER_DEPLOYMENT_KIND) {
      throw new ProblemError(422, 'wrong-kind', `this collection holds ClusterDeployments, but the body is a ${converted.kind}. Send it to its own collection.`, [
        { path: 'kind', message: `must be ClusterDeployment (or an upstream kind that converts to it)` },
      ]);
    }
    const submitted = converted.object as ClusterDeployment;
    if (submitted.metadata.namespace && submitted.metadata.namespace !== namespace) {
      throw new ProblemError(422, 'namespace-mismatch', `metadata.namespace "${submitted.metadata.namespace}" differs from the namespace in the path, "${namespace}". Make them agree or leave metadata.namespace out.`, [
        { path: 'metadata.namespace', message: `must be "${namespace}" or absent` },
      ]);
    }
    const object: ClusterDeployment = {
      ...submitted,
      metadata: { ...submitted.metadata, namespace, uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString() },
    };
    const workflowId = entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, object.metadata.name);
    try {
      await deps.temporal.workflow.start(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: deps.config.taskQueue,
        args: [{ object, managementId: deps.config.managementId }],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    } catch (error) {
      throw entityProblem(error, CLUSTER_DEPLOYMENT_KIND, namespace, object.metadata.name);
    }
    workflowsStarted.inc({ kind: CLUSTER_DEPLOYMENT_KIND });
    request.log.info({ workflowId }, 'cluster deployment created');
    if (key) await deps.idempotency.remember(namespace, key, body, { status: 201, body: object });
    return reply.code(201).send(object);
  });

  app.get<{ Params: Params; Querystring: ListQuery }>(CLUSTER_DEPLOYMENTS_PATH, async (request, reply) => {
    const { namespace } = request.params;
    checkNamespace(namespace);
    const query = request.query;
    const watching = query.watch === '1' || query.watch === 'true' || (request.headers.accept ?? '').includes('text/event-stream');
    if (watching) return watch(request, reply, namespace, query);
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
      throw new ProblemError(400, 'invalid-query', `limit must be a whole number from 1 to 1000, not "${query.limit}".`, [{ path: 'query.limit', message: 'expected an integer from 1 to 1000' }]);
    }
    // A no-op unless Redis lost the projection; then lists come back whole, not half.
    await deps.projection.rebuildFromVisibility(deps.temporal, { workflowType: WORKFLOW_TYPE, taskQueue: deps.config.taskQueue }, CLUSTER_DEPLOYMENT_KIND);
    try {
      const page = await deps.projection.list(CLUSTER_DEPLOYMENT_KIND, {
        namespace,
        ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
        ...(limit ? { limit } : {}),
        ...(query.continue ? { continue: query.continue } : {}),
      });
      return { apiVersion: GROUP_VERSION, kind: 'ClusterDeploymentList', metadata: page.metadata, items: page.items };
    } catch (error) {
      if (error instanceof LabelSelectorError) {
        throw new ProblemError(400, 'invalid-label-selector', `${error.message}.`, [{ path: 'query.labelSelector', message: error.message }]);
      }
      throw error;
    }
  });

  const watch = async (request: FastifyRequest, reply: FastifyReply, namespace: string, query: ListQuery) => {
    const lastEventId = request.headers['last-event-id'];
    const resourceVersion = (typeof lastEventId === 'string' && lastEventId) || query.resourceVersion || undefined;
    if (resourceVersion !== undefined && !/^\d+(-\d+)?$/.test(resourceVersion)) {
      throw new ProblemError(400, 'invalid-query', `resourceVersion "${resourceVersion}" is not one this API gave out; use the metadata.resourceVersion of a list or object.`, [
        { path: 'query.resourceVersion', message: 'expected a resourceVersion from a list or object' },
      ]);
    }
    try {
      await deps.projection.assertRetained(CLUSTER_DEPLOYMENT_KIND, resourceVersion ?? '0');
    } catch (error) {
      if (error instanceof ResourceVersionTooOldError) throw new ProblemError(410, 'resource-version-too-old', error.message);
      throw error;
    }
    await streamWatch(request, reply, (signal) => deps.projection.watch(CLUSTER_DEPLOYMENT_KIND, { namespace, ...(resourceVersion ? { resourceVersion } : {}) }, signal));
  };

  app.get<{ Params: Params & { name: string } }>(`${CLUSTER_DEPLOYMENTS_PATH}/:name`, async (request) => {
    const { namespace, name } = request.params;
    checkNamespace(namespace);
    try {
      const snapshot = await handleFor(namespace, name).query(getClusterDeployment);
      if (snapshot.deleted) throw notFound(CLUSTER_DEPLOYMENT_KIND, namespace, name);
      return snapshot.object;
    } catch (error) {
      throw entityProblem(error, CLUSTER_DEPLOYMENT_KIND, namespace, name);
    }
  });

  app.patch<{ Params: Params & { name: string } }>(`${CLUSTER_DEPLOYMENTS_PATH}/:name`, async (request) => {
    const { namespace, name } = request.params;
    checkNamespace(namespace);
    const body = requireObjectBody(request.body);
    const unknownKeys = Object.keys(body).filter((key) => key !== 'spec' && key !== 'metadata');
    const metadata = body.metadata as Record<string, unknown> | undefined;
    const unknownMetadata = metadata && typeof metadata === 'object' ? Object.keys(metadata).filter((key) => key !== 'labels' && key !== 'annotations') : [];
    const errors: FieldError[] = [
      ...unknownKeys.map((key) => ({ path: key, message: 'cannot be patched; a patch may change spec, metadata.labels and metadata.annotations' })),
      ...unknownMetadata.map((key) => ({ path: `metadata.${key}`, message: 'cannot be patched; only metadata.labels and metadata.annotations can' })),
    ];
    if (errors.length > 0) throw invalid(errors, 'the patch');
    try {
      return await handleFor(namespace, name).executeUpdate(patchClusterDeployment, { args: [body] });
    } catch (error) {
      throw entityProblem(error, CLUSTER_DEPLOYMENT_KIND, namespace, name);
    }
  });

  app.delete<{ Params: Params & { name: string } }>(`${CLUSTER_DEPLOYMENTS_PATH}/:name`, async (request, reply) => {
    const { namespace, name } = request.params;
    checkNamespace(namespace);
    try {
      const object = await handleFor(namespace, name).executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
      request.log.info({ workflowId: entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, name) }, 'cluster deployment deletion requested');
      return reply.code(202).send(object);
    } catch (error) {
      throw entityProblem(error, CLUSTER_DEPLOYMENT_KIND, namespace, name);
    }
  });
}
