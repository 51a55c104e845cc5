/**
 * Reads /openapi.json the way a client would: which operation a request is, which status codes
 * it documents, and whether an answer matches the schema documented for its status and media type.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { SseParser } from '../../services/cli/sse';

type Schema = Record<string, unknown>;
export interface Operation {
  readonly operationId?: string;
  readonly parameters?: readonly { name: string; in: string; required?: boolean; schema?: Schema }[];
  readonly requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { schemas: Record<string, Schema> };
}

/** The document the server generates from its routes (what GET /openapi.json answers). */
export function documentOf(app: FastifyInstance): OpenApiDocument {
  return app.swagger() as unknown as OpenApiDocument;
}

/** A path template as a pattern: {name} matches one segment (not across / or the : before a verb). */
function templatePattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/:]+')}$`);
}

/** The operation that `method path` is in the document, with its path template. */
export function operationOf(document: OpenApiDocument, method: string, path: string): { template: string; operation: Operation } | undefined {
  const bare = path.split('?')[0] ?? '';
  for (const [template, operations] of Object.entries(document.paths)) {
    if (!templatePattern(template).test(bare)) continue;
    const operation = operations[method.toLowerCase()];
    if (operation) return { template, operation };
  }
  return undefined;
}

/** The status codes `method path` documents. */
export function documentedStatuses(document: OpenApiDocument, method: string, path: string): string[] {
  return Object.keys(operationOf(document, method, path)?.operation.responses ?? {});
}

const validators = new WeakMap<OpenApiDocument, Map<string, ValidateFunction>>();

/** A validator of the document's schemas (OpenAPI 3.0: nullable, refs to #/components/schemas). */
function validatorFor(document: OpenApiDocument, key: string, schema: Schema): ValidateFunction {
  let cache = validators.get(document);
  if (!cache) validators.set(document, (cache = new Map()));
  let validate = cache.get(key);
  if (!validate) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
    validate = ajv.compile({ components: document.components, allOf: [schema] });
    cache.set(key, validate);
  }
  return validate;
}

/**
 * What is wrong with an answer as the document describes `method path`: its status undocumented,
 * its media type not among the status's, or its body off the schema. Empty when nothing is.
 */
export function answerProblems(document: OpenApiDocument, method: string, path: string, answer: { status: number; contentType: string; body: unknown }): string[] {
  const found = operationOf(document, method, path);
  if (!found) return [`${method} ${path} is no operation of the document`];
  const response = found.operation.responses[String(answer.status)];
  if (!response) return [`${found.operation.operationId}: status ${answer.status} is not documented (it documents ${Object.keys(found.operation.responses).join(', ')})`];
  const mediaType = answer.contentType.split(';')[0]?.trim() ?? '';
  const content = response.content ?? {};
  const media = content[mediaType];
  if (!media) return [`${found.operation.operationId} ${answer.status}: media type ${mediaType} is not documented (${Object.keys(content).join(', ') || 'none'})`];
  if (!media.schema) return [];
  const validate = validatorFor(document, `${found.template} ${method} ${answer.status} ${mediaType}`, media.schema);
  // An event stream's schema is that of each event, as an EventSource reads them.
  const values = mediaType === 'text/event-stream' ? new SseParser().push(String(answer.body)) : [answer.body];
  return values.flatMap((value, index) =>
    validate(value) ? [] : (validate.errors ?? []).map((error) => `${found.operation.operationId} ${answer.status}${values.length > 1 ? ` event ${index}` : ''}: ${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`),
  );
}
