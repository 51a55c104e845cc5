/** The OpenAPI document served at /openapi.json, built from the same schemas as the CRDs. */
import { GROUP_VERSION } from '../../crds/schemas/common';
import { KINDS } from '../../crds/schemas/index';
import { buildOpenApiComponents } from '../../crds/openapi';
import { NamespaceParams, ScheduleCreateBody, ScheduleItemParams, ScheduleListSchema, ScheduleObjectSchema, SweepCreateBody, SweepItemParams, SweepListQuery, SweepListSchema, SweepObjectSchema } from './routes/sweep-schemas';

type EntityKind = 'ClusterDeployment' | 'MachineDeployment';

const problemResponse = { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const namespaceParam = { name: 'namespace', in: 'path', required: true, schema: { type: 'string' }, example: 'default' };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, example: 'demo' };
/** Problem answers by status code; every operation lists each one it can give. */
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [String(status), problemResponse]));
/** A request that only reads: a bad namespace or query, no token, no such object, a server fault, or an object whose workflow cannot answer (503). */
const READ_ERRORS = problems(400, 401, 404, 500, 503);
/** A request with a body that changes something: also a conflict with the object's state, a body too large, of the wrong type, or invalid. */
const WRITE_ERRORS = problems(400, 401, 404, 409, 413, 415, 422, 500, 503);
/** A change without a body. */
const ACTION_ERRORS = problems(400, 401, 404, 409, 422, 500, 503);
const jsonContent = (schema: object) => ({ 'application/json': { schema } });

function objectContent(kind: EntityKind) {
  const schema = { $ref: `#/components/schemas/${kind}` };
  return { 'application/json': { schema }, 'application/yaml': { schema } };
}

function collectionOf(kind: EntityKind): string {
  return `/apis/${GROUP_VERSION}/namespaces/{namespace}/${KINDS[kind].plural}`;
}

/** The collection and item paths every entity kind has (services/api/routes/entity-routes.ts). */
function entityPaths(kind: EntityKind, upstream: string) {
  const content = objectContent(kind);
  return {
    [collectionOf(kind)]: {
      parameters: [namespaceParam],
      get: {
        summary: `List ${kind}s (from the projection), or watch them as Server-Sent Events with watch=1`,
        parameters: ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion', 'timeoutSeconds', 'allowWatchBookmarks'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
        responses: {
          '200': { description: `A ${KINDS[kind].listKind}, or a text/event-stream of ADDED/MODIFIED/DELETED (and BOOKMARK, ERROR) events` },
          '410': { ...problemResponse, description: 'The resourceVersion or continue token can no longer be served: list again' },
          ...problems(400, 401, 500),
        },
      },
      post: {
        summary: `Create a ${kind} (${GROUP_VERSION} or ${upstream})`,
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
        requestBody: { required: true, content },
        responses: { '201': { description: 'Created', content }, ...problems(400, 401, 409, 413, 415, 422, 500) },
      },
    },
    [`${collectionOf(kind)}/{name}`]: {
      parameters: [namespaceParam, nameParam],
      get: { summary: `Read a ${kind} from its entity workflow`, responses: { '200': { description: 'The object', content }, ...READ_ERRORS } },
      patch: {
        summary: 'Merge-patch spec, metadata.labels and metadata.annotations',
        requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } } },
        responses: { '200': { description: 'The changed object', content }, ...WRITE_ERRORS },
      },
      delete: { summary: 'Deprovision and delete', responses: { '202': { description: 'Deletion started', content }, ...ACTION_ERRORS } },
    },
  };
}

const scaleSchema = {
  type: 'object',
  description: 'A Kubernetes autoscaling/v1 Scale',
  properties: {
    apiVersion: { type: 'string', enum: ['autoscaling/v1'] },
    kind: { type: 'string', enum: ['Scale'] },
    metadata: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' } } },
    spec: { type: 'object', properties: { replicas: { type: 'integer', minimum: 0 } } },
    status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
  },
};

/** The MachineDeployment's scale subresource, its machines, and its :plan and :undo verbs (services/api/routes/machine-deployments.ts). */
function machineDeploymentExtras() {
  const item = `${collectionOf('MachineDeployment')}/{name}`;
  const scale = { $ref: '#/components/schemas/Scale' };
  const scaleWrite = (summary: string) => ({
    summary,
    requestBody: { required: true, content: { ...jsonContent(scale), 'application/merge-patch+json': { schema: scale } } },
    responses: { '200': { description: 'The new Scale', content: jsonContent(scale) }, ...WRITE_ERRORS },
  });
  return {
    [`${item}/scale`]: {
      parameters: [namespaceParam, nameParam],
      get: { summary: 'Read the scale subresource', responses: { '200': { description: 'The Scale', content: jsonContent(scale) }, ...READ_ERRORS } },
      patch: scaleWrite('Set spec.replicas through a merge patch of the Scale'),
      put: scaleWrite('Set spec.replicas through a whole Scale'),
    },
    [`${item}:plan`]: {
      parameters: [namespaceParam, nameParam],
      post: {
        summary: 'Preview the rollout a change would make: waves of machines deleted and created, under maxSurge/maxUnavailable',
        requestBody: {
          required: false,
          content: jsonContent({
            type: 'object',
            properties: { patch: { type: 'object', description: 'A merge patch as for PATCH; the current spec when absent' }, bootSeconds: { type: 'number' }, drainSeconds: { type: 'number' } },
          }),
        },
        responses: { '200': { description: 'A RolloutPreview', content: jsonContent({ $ref: '#/components/schemas/RolloutPreview' }) }, ...WRITE_ERRORS },
      },
    },
    [`${item}/machines/{machine}`]: {
      parameters: [namespaceParam, nameParam, { name: 'machine', in: 'path', required: true, schema: { type: 'string' }, description: 'A name from status.machines' }],
      delete: {
        summary: 'Delete one machine; the MachineDeployment replaces it (under OnDelete, from the new template)',
        responses: { '202': { description: 'The MachineDeployment', content: objectContent('MachineDeployment') }, ...ACTION_ERRORS },
      },
      patch: {
        summary: 'Set or remove (null) annotations of one machine, e.g. slipway.dev/delete-machine or slipway.dev/skip-remediation',
        requestBody: {
          required: true,
          content: jsonContent({ type: 'object', properties: { metadata: { type: 'object', properties: { annotations: { type: 'object', additionalProperties: { type: ['string', 'null'] } } } } } }),
        },
        responses: { '200': { description: 'The MachineDeployment', content: objectContent('MachineDeployment') }, ...WRITE_ERRORS },
      },
    },
    [`${item}:undo`]: {
      parameters: [namespaceParam, nameParam],
      post: {
        summary: 'Roll back to an earlier template revision (the previous one when toRevision is absent)',
        requestBody: { required: false, content: jsonContent({ type: 'object', properties: { toRevision: { type: 'integer', minimum: 1 } } }) },
        responses: { '200': { description: 'The changed object', content: objectContent('MachineDeployment') }, ...WRITE_ERRORS },
      },
    },
  };
}

const rolloutPreviewSchema = {
  type: 'object',
  required: ['waves', 'idealWaves', 'expectedSeconds', 'maxSurge', 'maxUnavailable'],
  properties: {
    waves: {
      type: 'array',
      items: {
        type: 'object',
        properties: { delete: { type: 'array', items: { type: 'string' } }, create: { type: 'array', items: { type: 'string' } }, expectedSeconds: { type: 'number' } },
      },
    },
    idealWaves: { type: 'integer' },
    expectedSeconds: { type: 'number' },
    maxSurge: { type: 'integer' },
    maxUnavailable: { type: 'integer' },
  },
};

/** A TypeBox (JSON Schema 2020) schema as OpenAPI 3.0 reads it: `const` becomes a one-value `enum`. */
function openApi30(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openApi30);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'const') out.enum = [value];
    else out[key] = openApi30(value);
  }
  return out;
}

type ObjectSchema = { readonly properties: Record<string, unknown>; readonly required?: readonly string[] };

/** Path or query parameters from a TypeBox object schema. */
function parametersOf(where: 'path' | 'query', schema: ObjectSchema) {
  return Object.entries(schema.properties).map(([name, property]) => ({ name, in: where, required: where === 'path' || (schema.required ?? []).includes(name), schema: openApi30(property) }));
}

/** The orphan sweep endpoints (services/api/routes/sweeps.ts), from the route's own TypeBox schemas. */
function sweepPaths() {
  const base = `/apis/${GROUP_VERSION}/namespaces/{namespace}`;
  const sweep = jsonContent(openApi30(SweepObjectSchema) as object);
  const schedule = jsonContent(openApi30(ScheduleObjectSchema) as object);
  const body = (schema: unknown) => ({ required: true, content: { 'application/json': { schema: openApi30(schema) }, 'application/yaml': { schema: openApi30(schema) } } });
  const scheduleVerb = (summary: string) => ({ parameters: parametersOf('path', ScheduleItemParams), post: { summary, responses: { '200': { description: 'The schedule', content: schedule }, ...problems(400, 401, 404, 500) } } });
  return {
    [`${base}/sweeps`]: {
      parameters: parametersOf('path', NamespaceParams),
      get: {
        summary: 'List the sweeps (from the projection), or watch them as Server-Sent Events with watch=1',
        parameters: parametersOf('query', SweepListQuery),
        responses: { '200': { description: 'A SweepList, or a text/event-stream of changes', content: { ...jsonContent(openApi30(SweepListSchema) as object), 'text/event-stream': { schema: { type: 'string' } } } }, ...problems(400, 401, 410, 500) },
      },
      post: { summary: 'Start an orphan sweep (a dry run unless spec.mode is delete)', requestBody: body(SweepCreateBody), responses: { '201': { description: 'Started', content: sweep }, ...problems(400, 401, 409, 413, 415, 422, 500) } },
    },
    [`${base}/sweeps/{name}`]: {
      parameters: parametersOf('path', SweepItemParams),
      get: { summary: "A sweep's report: counts per decision, and each decision with its reason", responses: { '200': { description: 'The Sweep', content: sweep }, ...problems(400, 401, 404, 500) } },
    },
    [`${base}/sweepschedules`]: {
      parameters: parametersOf('path', NamespaceParams),
      get: { summary: 'List the sweep schedules', responses: { '200': { description: 'A SweepScheduleList', content: jsonContent(openApi30(ScheduleListSchema) as object) }, ...problems(400, 401, 500) } },
      post: { summary: 'Create a Temporal Schedule that starts a sweep every spec.intervalSeconds (overlap SKIP)', requestBody: body(ScheduleCreateBody), responses: { '201': { description: 'Created', content: schedule }, ...problems(400, 401, 409, 413, 415, 422, 500) } },
    },
    [`${base}/sweepschedules/{name}`]: {
      parameters: parametersOf('path', ScheduleItemParams),
      get: { summary: 'One sweep schedule: its spec, runs and next start', responses: { '200': { description: 'The schedule', content: schedule }, ...problems(400, 401, 404, 500) } },
      delete: { summary: 'Delete the schedule (sweeps it started stay listed)', responses: { '200': { description: 'The schedule as it was', content: schedule }, ...problems(400, 401, 404, 500) } },
    },
    [`${base}/sweepschedules/{name}:pause`]: scheduleVerb('Pause the schedule'),
    [`${base}/sweepschedules/{name}:unpause`]: scheduleVerb('Unpause the schedule'),
  };
}

export function buildOpenApiDocument() {
  const components = buildOpenApiComponents();
  return {
    openapi: '3.0.3',
    info: { title: 'Slipway API', version: GROUP_VERSION, description: 'Cluster lifecycle provisioning on Temporal. Every endpoint but /healthz and /readyz needs `Authorization: Bearer <token>`.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...components.schemas,
        Scale: scaleSchema,
        RolloutPreview: rolloutPreviewSchema,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      ...entityPaths('ClusterDeployment', 'hive.openshift.io/v1'),
      ...entityPaths('MachineDeployment', 'cluster.x-k8s.io/v1beta1 or v1beta2'),
      ...machineDeploymentExtras(),
      ...sweepPaths(),
      '/healthz': { get: { security: [], summary: 'Liveness', responses: { '200': { description: 'The process is up' } } } },
      '/readyz': { get: { security: [], summary: 'Readiness: Temporal and Redis answer', responses: { '200': { description: 'Ready' }, '503': problemResponse } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition format' }, ...problems(401) } } },
    },
  };
}
