/**
 * Every route the server registers declares its parameters and responses by schema, and
 * /openapi.json is generated from exactly those routes, listing every status code each can
 * answer. The server is built on stand-in peers: nothing here sends a request that reaches them.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../../services/api/server';
import { loadConfig } from '../../services/common/config';
import type { Projection } from '../../services/common/projection';
import { documentOf, type OpenApiDocument, type Operation } from '../support/openapi';

let app: FastifyInstance;
let document: OpenApiDocument;

async function buildServer(): Promise<FastifyInstance> {
  return buildApiServer({
    temporal: {} as Client,
    redis: {} as Redis,
    projection: { closeWatches: () => undefined } as unknown as Projection,
    config: loadConfig({}),
    token: 'test-token',
    logger: pino({ level: 'silent' }),
  });
}

beforeAll(async () => {
  app = await buildServer();
  await app.ready();
  document = documentOf(app);
});
afterAll(async () => app?.close());

type Declared = { operationId?: string; summary?: string; tags?: string[]; hide?: boolean; params?: { properties?: Record<string, unknown> }; body?: unknown; response?: Record<string, unknown> };
const schemaOf = (route: RouteOptions) => (route.schema ?? {}) as Declared;
const methodsOf = (route: RouteOptions) => (Array.isArray(route.method) ? route.method : [route.method]);
/** The routes an operator or client calls: not the documentation's own, not the HEAD routes Fastify adds for GET ones. */
const apiRoutes = () => app.declaredRoutes.filter((route) => !schemaOf(route).hide && !methodsOf(route).every((method) => method === 'HEAD'));
/** Fastify's path as OpenAPI writes it: /x/:name([^:/]+)::plan -> /x/{name}:plan. */
const openApiPath = (url: string) => url.replace(/::/g, '\u0000').replace(/:([A-Za-z]+)(\([^)]*\))?/g, '{$1}').replace(/\u0000/g, ':');
const PUBLIC = new Set(['/healthz', '/readyz']);

describe('declared routes', () => {
  it('declares an operationId, summary, tags, its path parameters and a response schema per status code', () => {
    expect(apiRoutes().length).toBeGreaterThanOrEqual(19);
    for (const route of apiRoutes()) {
      const schema = schemaOf(route);
      const where = `${String(route.method)} ${route.url}`;
      expect(schema.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(schema.summary, where).toBeTruthy();
      expect(schema.tags?.length, where).toBeGreaterThan(0);
      const pathParameters = [...route.url.replace(/::/g, '').matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]).sort();
      expect(Object.keys(schema.params?.properties ?? {}).sort(), where).toEqual(pathParameters);
      const statuses = Object.keys(schema.response ?? {});
      expect(statuses.some((status) => status.startsWith('2')), `${where} declares a success`).toBe(true);
      expect(statuses, where).toContain('500');
      if (!PUBLIC.has(route.url)) expect(statuses, `${where} is behind the token`).toContain('401');
      if (pathParameters.length > 0) expect(statuses, `${where} checks its path parameters`).toContain('400');
      // A body may come with any but GET: it can be too large, of a type the server does not read, or unreadable.
      if (methodsOf(route).some((method) => method !== 'GET' && method !== 'HEAD')) expect(statuses, `${where} reads a body`).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
  });

  it('gives each operation its own operationId', () => {
    const ids = apiRoutes().flatMap((route) => methodsOf(route).map(() => schemaOf(route).operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('generates /openapi.json from exactly these routes, with every status code each declares', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({ path, method, operation })));
    const declared = apiRoutes().flatMap((route) => methodsOf(route).map((method) => ({ path: openApiPath(route.url), method: method.toLowerCase(), schema: schemaOf(route) })));
    expect(documented.map(({ path, method }) => `${method} ${path}`).sort()).toEqual(declared.map(({ path, method }) => `${method} ${path}`).sort());
    for (const { path, method, schema } of declared) {
      const operation = document.paths[path]?.[method] as Operation;
      expect(operation.operationId).toBe(schema.operationId);
      expect(Object.keys(operation.responses).sort()).toEqual(Object.keys(schema.response ?? {}).sort());
      const parameters = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
      expect(parameters.sort(), `${method} ${path}`).toEqual([...path.matchAll(/\{([A-Za-z]+)\}/g)].map((match) => match[1]).sort());
      if (schema.body) expect(Object.keys(operation.requestBody?.content ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
    }
  });

  it('documents every problem answer as application/problem+json of the Problem schema, and every schema it refers to', () => {
    const text = JSON.stringify(document);
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) expect(document.components.schemas, `components.schemas.${name}`).toHaveProperty(name as string);
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          expect(response.content, `${method} ${path} ${status}`).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
        }
      }
    }
    expect(document.components.schemas).toHaveProperty('ClusterDeployment');
    expect(document.components.schemas).toHaveProperty('MachineDeploymentList');
  });

  it('documents the list query and the Idempotency-Key header with the limits the server checks', () => {
    const list = document.paths['/apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments']?.get as Operation;
    const limit = list.parameters?.find((parameter) => parameter.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } });
    const create = document.paths['/apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments']?.post as Operation;
    expect(create.parameters?.find((parameter) => parameter.name === 'Idempotency-Key')).toMatchObject({ in: 'header', required: false, schema: { minLength: 1, maxLength: 255 } });
    const plan = Object.entries(document.paths).find(([path]) => path.endsWith('{name}:plan'))?.[1].post as Operation;
    expect(plan.requestBody?.required).toBe(false);
  });

  it('refuses to start with a route that declares no response schema', async () => {
    const server = await buildServer();
    try {
      expect(() => server.get('/undeclared', async () => ({}))).toThrow(/operationId/);
      expect(() => server.get('/half-declared/:id', { schema: { operationId: 'halfDeclared' } }, async () => ({}))).toThrow(/schema\.response/);
    } finally {
      await server.close();
    }
  });
});

describe('parameters checked against the declared schemas', () => {
  const CDS = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';
  const refusal = async (url: string, options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; payload?: string } = {}) => {
    const response = await app.inject({ method: options.method ?? 'GET', url, headers: { authorization: 'Bearer test-token', ...options.headers }, ...(options.payload ? { payload: options.payload } : {}) });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    return { text: response.body, problem: JSON.parse(response.body) as { type: string; errors: { path: string; message: string }[] } };
  };

  it.each([
    [`${CDS}?limit=0`, ['query.limit']],
    [`${CDS}?limit=1001`, ['query.limit']],
    [`${CDS}?limit=1.5`, ['query.limit']],
    // Read as a number, "true" would be 1: a boolean where a count belongs is refused.
    [`${CDS}?watch=true&timeoutSeconds=true`, ['query.timeoutSeconds']],
    [`${CDS}?watch=maybe&limit=ten`, ['query.limit', 'query.watch']],
    [`${CDS}?limit=1&limit=2`, ['query.limit']],
    [`${CDS}?watch=1&resourceVersion=latest`, ['query.resourceVersion']],
    ['/apis/slipway.dev/v1alpha1/namespaces/Not_A_Label/clusterdeployments', ['path.namespace']],
    [`/apis/slipway.dev/v1alpha1/namespaces/${'n'.repeat(64)}/machinedeployments/web/scale`, ['path.namespace']],
  ])('refuses %s with a 400 problem naming %j', async (url, paths) => {
    const { problem } = await refusal(url);
    expect(problem.errors.map((error) => error.path)).toEqual(paths);
    expect(problem.type).toMatch(/invalid-(query|path)$/);
  });

  it('refuses an over-long Idempotency-Key, naming the header and never repeating the key', async () => {
    const key = `secret-${'k'.repeat(300)}`;
    const { text, problem } = await refusal(CDS, { method: 'POST', headers: { 'idempotency-key': key, 'content-type': 'application/json' }, payload: '{}' });
    expect(problem.errors.map((error) => error.path)).toEqual(['headers.idempotency-key']);
    expect(text).not.toContain('secret-');
  });
});
