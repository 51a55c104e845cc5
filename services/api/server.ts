/**
 * The REST API. Kubernetes-style paths, JSON or YAML bodies, RFC 9457 errors, bearer
 * tokens on everything but the health checks.
 */
import type { Client } from '@temporalio/client';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { jsonBoundsErrors } from '../../crds/bounds';
import type { ParseResult } from '../../crds/manifests';
import type { SlipwayConfig } from '../common/config';
import { httpRequestSeconds, httpRequests } from '../common/metrics';
import type { Projection } from '../common/projection';
import { tokenMatches } from './auth';
import { createManifestParser } from './body/manifest-parser';
import { createIdempotencyStore } from './idempotency';
import { sharedSchemas, SWAGGER_OPTIONS } from './openapi';
import { ProblemError, problem, sendProblem } from './problem';
import { clusterDeploymentRoutes } from './routes/cluster-deployments';
import type { EntityRouteDeps } from './routes/entity-routes';
import { createListPages } from './list-pages';
import { hostedClusterRoutes } from './routes/hosted-clusters';
import { machineDeploymentRoutes } from './routes/machine-deployments';
import { nodePoolRoutes } from './routes/node-pools';
import type { SecretStore } from '../worker/secrets';
import type { ControlPlanePlacement } from '../../workflows/hosted-cluster/control-plane-api';
import { operationsRoutes, PUBLIC_PATHS } from './routes/operations';
import { sweepRoutes } from './routes/sweeps';
import { RequestValidationError, serializerCompiler, validationProblem, validatorCompiler } from './validation';
import type { WatchTimings } from './watch';

export interface ApiServerDeps {
  readonly temporal: Client;
  readonly redis: Redis;
  readonly projection: Projection;
  readonly config: SlipwayConfig;
  readonly token: string;
  readonly logger: Logger;
  readonly watchTimings?: WatchTimings;
  /** Where hosted clusters' admin kubeconfigs are read from (the worker's secret store); without one, GET .../kubeconfig answers 503. */
  readonly secrets?: SecretStore;
  /** Where new HostedClusters' control planes run; local when absent. */
  readonly controlPlanePlacement?: ControlPlanePlacement;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, as declared (HEAD routes Fastify adds for GET ones included): what /openapi.json is generated from. */
    readonly declaredRoutes: readonly RouteOptions[];
  }
}

const BODY_LIMIT_BYTES = 1024 * 1024;
/** Room for a dozen or so LIST pages of 500 objects: the pages dashboards and controllers poll. */
const LIST_PAGES_KEPT_BYTES = 64 * 1024 * 1024;

/** An API started without a secret store reads no kubeconfig: it says so instead. */
const NO_SECRET_STORE: SecretStore = {
  read: async () => {
    throw new Error('this API process was started without a secret store; start it with one (services/api/main.ts does) to read kubeconfigs');
  },
};

function yamlBody(parsed: ParseResult): unknown {
  if (!parsed.ok) throw new ProblemError(400, 'invalid-yaml', `the YAML body could not be read: ${parsed.errors.map((error) => `${error.path}: ${error.message}`).join('; ')}. Fix it and send it again.`, parsed.errors);
  if (parsed.documents.length !== 1) {
    throw new ProblemError(400, 'invalid-body', `the body holds ${parsed.documents.length} documents; send exactly one object per request.`, [{ path: '(root)', message: 'expected one document' }]);
  }
  return parsed.documents[0];
}

/**
 * Every route declares what /openapi.json says of it: an operationId, and a response schema
 * for each status code it can answer (services/api/routes/schemas.ts has the pieces). A route
 * without them is refused at start-up, so none goes undocumented.
 */
function requireDeclaredSchema(route: RouteOptions): void {
  const schema = route.schema as { hide?: boolean; operationId?: string; response?: Record<string, unknown>; params?: unknown } | undefined;
  if (route.method === 'HEAD' || schema?.hide === true) return;
  const where = `${String(route.method)} ${route.url}`;
  if (!schema?.operationId) throw new Error(`${where} declares no schema.operationId: every route declares its schema (see services/api/routes/README.md)`);
  if (!schema.response || Object.keys(schema.response).length === 0) throw new Error(`${where} declares no schema.response: list every status code it can answer`);
  if (route.url.includes(':') && !schema.params) throw new Error(`${where} declares no schema.params for its path parameters`);
}

export async function buildApiServer(deps: ApiServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Our compilers in every plugin, also one that adds schemas of its own (Fastify then builds its
    // compilers anew from this factory). Its types assume Ajv's compile function; ours is Fastify's.
    schemaController: { compilersFactory: { buildValidator: (() => validatorCompiler) as never, buildSerializer: (() => serializerCompiler) as never } },
    // A URL that cannot be decoded is a problem like any other bad request.
    frameworkErrors: (error, request, reply) => {
      const instance = request.url.split('?')[0];
      return sendProblem(reply, problem(400, 'bad-request', `${error.message}. Fix the request and send it again.`, [{ path: 'request', message: error.message }], instance));
    },
  });
  const declaredRoutes: RouteOptions[] = [];
  app.decorate('declaredRoutes', declaredRoutes);
  app.addHook('onRoute', (route) => {
    requireDeclaredSchema(route);
    declaredRoutes.push(route);
  });

  const manifestParser = createManifestParser();
  app.addHook('onClose', async () => manifestParser.close());
  for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, async (_request: unknown, body: string | Buffer) => yamlBody(await manifestParser.parse(body.toString())));
  }
  // JSON.parse is iterative and fast; what it returns is then held to the same bounds as YAML.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/merge-patch+json'], { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body.toString(), (error, value) => {
      if (error) return done(error, undefined);
      const errors = jsonBoundsErrors(value);
      if (errors.length > 0) return done(new ProblemError(400, 'body-out-of-bounds', `the JSON body is beyond what this API reads: ${errors.map((problem) => `${problem.path} ${problem.message}`).join('; ')}.`, errors), undefined);
      done(null, value);
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(path)) return;
    if (!tokenMatches(request.headers.authorization, deps.token)) {
      return sendProblem(
        reply,
        problem(401, 'unauthorized', 'a valid bearer token is required. Send "Authorization: Bearer <token>"; the dev stack keeps its token in $SLIPWAY_HOME/token.', undefined, path),
      );
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpRequestSeconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError | ProblemError | RequestValidationError, request, reply) => {
    const instance = request.url.split('?')[0];
    // A path parameter, query parameter or header against the route's schema: 400 naming it.
    if (error instanceof RequestValidationError) error = validationProblem(error);
    if (error instanceof ProblemError) {
      if (error.status >= 500 && error.cause !== undefined) request.log.warn({ err: error.cause }, `answered ${error.status} ${error.slug}`);
      return sendProblem(reply, problem(error.status, error.slug, error.detail, error.errors, instance));
    }
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return sendProblem(reply, problem(413, 'body-too-large', `the request body is larger than ${BODY_LIMIT_BYTES} bytes. Send a smaller object.`, [{ path: '(root)', message: `at most ${BODY_LIMIT_BYTES} bytes` }], instance));
    }
    if (status === 415) {
      return sendProblem(reply, problem(415, 'unsupported-media-type', `content type ${request.headers['content-type'] ?? '(none)'} is not accepted. Use application/json, application/yaml or application/merge-patch+json.`, [{ path: 'headers.content-type', message: 'unsupported' }], instance));
    }
    if (status >= 400 && status < 500) {
      const path = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? '(root)' : 'request';
      return sendProblem(reply, problem(status, 'bad-request', `${error.message}. Fix the request and send it again.`, [{ path, message: error.message }], instance));
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem(500, 'internal', 'the server failed to handle this request; it has been logged. Retry later, and report it if it persists.', undefined, instance));
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, 'no-route', `${request.method} ${request.url.split('?')[0]} is not an endpoint of this API. See /openapi.json for the ones there are.`, undefined, request.url.split('?')[0])),
  );

  // The document is generated from the routes registered below (dynamic mode) and the shared components.
  await app.register(swagger, SWAGGER_OPTIONS);
  for (const schema of sharedSchemas()) app.addSchema(schema);
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const routeDeps: EntityRouteDeps = {
    temporal: deps.temporal,
    projection: deps.projection,
    listPages: createListPages({ maxBytes: LIST_PAGES_KEPT_BYTES }),
    idempotency: createIdempotencyStore(deps.redis, deps.config.redisPrefix),
    config: deps.config,
    ...(deps.watchTimings ? { watchTimings: deps.watchTimings } : {}),
  };
  // Open watches end first (with an ERROR event), or closing would wait for them.
  app.addHook('preClose', async () => deps.projection.closeWatches());

  // One line per route group (services/api/routes/README.md).
  await app.register(operationsRoutes, { temporal: deps.temporal, redis: deps.redis });
  await app.register(clusterDeploymentRoutes, routeDeps);
  await app.register(machineDeploymentRoutes, routeDeps);
  await app.register(hostedClusterRoutes, { ...routeDeps, secrets: deps.secrets ?? NO_SECRET_STORE, ...(deps.controlPlanePlacement ? { controlPlanePlacement: deps.controlPlanePlacement } : {}) });
  await app.register(nodePoolRoutes, routeDeps);
  await app.register(sweepRoutes, { temporal: deps.temporal, redis: deps.redis, projection: deps.projection, config: deps.config, ...(deps.watchTimings ? { watchTimings: deps.watchTimings } : {}) });
  return app;
}
