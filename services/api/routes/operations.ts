/** /healthz and /readyz (no token needed), and /metrics: what operators and probes call. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { metricsRegistry } from '../../common/metrics';
import { problem, sendProblem } from '../problem';
import { json, problems } from './schemas';

export interface OperationsDeps {
  readonly temporal: Client;
  readonly redis: Redis;
}

/** The paths that need no bearer token. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

const tags = ['operations'];

export const operationsRoutes: FastifyPluginAsyncTypebox<OperationsDeps> = async (app, deps) => {
  app.get(
    '/healthz',
    { schema: { operationId: 'healthz', summary: 'Liveness: the process is up', tags, security: [], response: { 200: json('The process is up', Type.Object({ status: Type.Literal('ok') })), ...problems(500) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'readyz',
        summary: 'Readiness: Temporal and Redis answer',
        tags,
        security: [],
        response: {
          200: json('Ready', Type.Object({ status: Type.Literal('ready') })),
          503: { description: 'Temporal or Redis does not answer; the detail names which', content: { 'application/problem+json': { schema: Type.Ref('Problem') } } },
          ...problems(500),
        },
      },
    },
    async (_request, reply) => {
      const checks = await Promise.allSettled([deps.temporal.workflowService.getSystemInfo({}), deps.redis.ping()]);
      const failing = ['temporal', 'redis'].filter((_, index) => checks[index]?.status === 'rejected');
      if (failing.length > 0) return sendProblem(reply, problem(503, 'not-ready', `${failing.join(' and ')} did not answer. Check that they are running; the API retries by itself.`));
      return { status: 'ready' as const };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        tags,
        response: { 200: { description: 'The Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } }, ...problems(401, 500) },
      },
    },
    async (_request, reply) => reply.header('content-type', metricsRegistry.contentType).send(await metricsRegistry.metrics()),
  );
};
