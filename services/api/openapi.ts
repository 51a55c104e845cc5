/** The OpenAPI document served at /openapi.json, built from the same schemas as the CRDs. */
import { GROUP_VERSION } from '../../crds/schemas/common';
import { buildOpenApiComponents } from '../../crds/openapi';

const problemResponse = { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const objectContent = {
  'application/json': { schema: { $ref: '#/components/schemas/ClusterDeployment' } },
  'application/yaml': { schema: { $ref: '#/components/schemas/ClusterDeployment' } },
};
const namespaceParam = { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } };
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const errors = { '400': problemResponse, '401': problemResponse, '404': problemResponse, '409': problemResponse, '422': problemResponse };

export function buildOpenApiDocument() {
  const components = buildOpenApiComponents();
  const collection = `/apis/${GROUP_VERSION}/namespaces/{namespace}/clusterdeployments`;
  return {
    openapi: '3.0.3',
    info: { title: 'Slipway API', version: GROUP_VERSION, description: 'Cluster lifecycle provisioning on Temporal. Every endpoint but /healthz and /readyz needs `Authorization: Bearer <token>`.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...components.schemas,
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
      [collection]: {
        parameters: [namespaceParam],
        get: {
          summary: 'List ClusterDeployments (from the projection), or watch them as Server-Sent Events with watch=1',
          parameters: ['labelSelector', 'limit', 'continue', 'watch', 'resourceVersion'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { '200': { description: 'A ClusterDeploymentList, or a text/event-stream of ADDED/MODIFIED/DELETED events' }, ...errors },
        },
        post: {
          summary: 'Create a ClusterDeployment (slipway.dev/v1alpha1 or hive.openshift.io/v1)',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { required: true, content: objectContent },
          responses: { '201': { description: 'Created', content: objectContent }, ...errors },
        },
      },
      [`${collection}/{name}`]: {
        parameters: [namespaceParam, nameParam],
        get: { summary: 'Read a ClusterDeployment from its entity workflow', responses: { '200': { description: 'The object', content: objectContent }, ...errors } },
        patch: {
          summary: 'Merge-patch spec, metadata.labels and metadata.annotations',
          requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } } },
          responses: { '200': { description: 'The changed object', content: objectContent }, ...errors },
        },
        delete: { summary: 'Deprovision and delete', responses: { '202': { description: 'Deletion started', content: objectContent }, ...errors } },
      },
      '/healthz': { get: { security: [], summary: 'Liveness', responses: { '200': { description: 'The process is up' } } } },
      '/readyz': { get: { security: [], summary: 'Readiness: Temporal and Redis answer', responses: { '200': { description: 'Ready' }, '503': problemResponse } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition format' } } } },
    },
  };
}
