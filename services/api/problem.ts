/**
 * RFC 9457 problem details. Every error the API returns is one of these, names the
 * failing field paths where there are any, and says what to do next.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { FieldError } from '../../crds/validate';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The schema of every problem answer (component Problem of /openapi.json); FieldError comes from crds/openapi.ts. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'https://slipway.dev/problems/<slug>: what kind of problem this is, e.g. not-found or invalid-object.' }),
    title: Type.String({ description: 'The HTTP status as words.' }),
    status: Type.Integer({ description: 'The HTTP status code.' }),
    detail: Type.String({ description: 'What went wrong and what to do next.' }),
    instance: Type.Optional(Type.String({ description: 'The request path.' })),
    errors: Type.Optional(Type.Array(Type.Ref('FieldError'), { description: 'The failing field paths, e.g. spec.compute[0].replicas, query.limit or headers.idempotency-key.' })),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details', additionalProperties: false },
);

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly detail: string,
    readonly errors?: readonly FieldError[],
    /** What caused a 5xx: the server logs it, the client never sees it. */
    cause?: unknown,
  ) {
    super(detail, cause === undefined ? undefined : { cause });
  }
}

export function problem(status: number, slug: string, detail: string, errors?: readonly FieldError[], instance?: string): Problem {
  return {
    type: `https://slipway.dev/problems/${slug}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(instance ? { instance } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).header('content-type', 'application/problem+json').send(body);
}
