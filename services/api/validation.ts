/**
 * How the route schemas are applied. Path parameters, query strings and headers are checked
 * against their TypeBox schemas here (query values converted to the declared types first), and
 * a failure becomes a 400 problem naming the parameter: `path.namespace`, `query.limit`,
 * `headers.idempotency-key`. Bodies are not checked here: they are read by our own bounded
 * parsers (body/, crds/bounds.ts) and validated by crds/validate.ts and the route handlers,
 * whose problems name every failing field; the body schemas a route declares document them.
 * Responses are written with JSON.stringify, never filtered through their schemas.
 */
import { Kind, Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import { displayPath, messageFor, pointerToPath } from '../../crds/field-errors';
import type { FieldError } from '../../crds/validate';
import { ProblemError } from './problem';

type CheckedPart = 'params' | 'querystring' | 'headers';

const PARTS: Readonly<Record<CheckedPart, { prefix: string; slug: string; what: string }>> = {
  params: { prefix: 'path.', slug: 'invalid-path', what: 'a path parameter' },
  querystring: { prefix: 'query.', slug: 'invalid-query', what: 'a query parameter' },
  headers: { prefix: 'headers.', slug: 'invalid-header', what: 'a header' },
};

const isCheckedPart = (part: string | undefined): part is CheckedPart => part === 'params' || part === 'querystring' || part === 'headers';

/** A request whose path, query or headers break the route's schema: carried to the error handler, which answers 400. */
export class RequestValidationError extends Error {
  constructor(
    readonly part: CheckedPart,
    readonly fieldErrors: readonly FieldError[],
  ) {
    super(fieldErrors.map((error) => `${error.path}: ${error.message}`).join('; '));
  }
}

/** The problem a RequestValidationError is answered with. */
export function validationProblem(error: RequestValidationError): ProblemError {
  const { slug, what } = PARTS[error.part];
  const detail = `${what} is not valid: ${error.message.replace(/\.$/, '')}. Fix ${error.fieldErrors.length === 1 ? 'it' : 'them'} and send the request again.`;
  return new ProblemError(400, slug, detail.charAt(0).toUpperCase() + detail.slice(1), error.fieldErrors);
}

/** One FieldError per parameter and message; a missing parameter is reported once, as missing. */
function fieldErrorsOf(schema: TSchema, value: unknown, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    // Parameter names are not identifiers (idempotency-key): name them as sent, not as a JSON path.
    const [name = '', ...rest] = error.path.split('/').slice(1);
    const path = `${prefix}${name.replace(/~1/g, '/').replace(/~0/g, '~')}${rest.length > 0 ? `.${pointerToPath(`/${rest.join('/')}`)}` : ''}`;
    const fieldError = { path: name === '' ? displayPath('') : path, message: messageFor(error) };
    const key = `${fieldError.path}\u0000${fieldError.message}`;
    if (seen.has(key) || (errors.some((known) => known.path === fieldError.path) && error.value === undefined)) continue;
    seen.add(key);
    errors.push(fieldError);
  }
  return errors;
}

/** Header names arrive lowercased; the schema may spell them as the documentation does (Idempotency-Key). */
function lowercaseProperties(schema: TObject): TObject {
  const properties = Object.fromEntries(Object.entries(schema.properties).map(([name, property]) => [name.toLowerCase(), property]));
  return Type.Object(properties, { additionalProperties: true });
}

/** The query strings that read as booleans: what kubectl and our CLI send. */
const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false, 1: true, 0: false };
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Query values arrive as strings: those of a number or boolean parameter that spell one
 * (decimal digits; true, false, 1, 0) become it, and anything else is left for the schema to
 * refuse. Stricter than TypeBox's Value.Convert, which reads "true" as the number 1.
 */
function convertQuery(schema: TObject, input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input;
  const query: Record<string, unknown> = { ...input };
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = query[name];
    if (typeof value !== 'string') continue;
    if ((property.type === 'integer' || property.type === 'number') && DECIMAL.test(value)) query[name] = Number(value);
    else if (property.type === 'boolean' && Object.hasOwn(BOOLEANS, value)) query[name] = BOOLEANS[value];
  }
  return query;
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart, method, url }) => {
  // Bodies: documented by the schema, checked by our parser and validator (see the top of this file).
  if (!isCheckedPart(httpPart)) return () => true;
  if (!(Kind in schema) || schema[Kind] !== 'Object') {
    throw new Error(`${method} ${url}: declare ${httpPart} with a TypeBox Type.Object (services/api/routes/schemas.ts has the shared ones)`);
  }
  const { prefix } = PARTS[httpPart];
  const checked = httpPart === 'headers' ? lowercaseProperties(schema as TObject) : schema;
  return (input: unknown) => {
    const value = httpPart === 'querystring' ? convertQuery(checked as TObject, input) : input;
    if (Value.Check(checked, value)) return httpPart === 'querystring' ? { value } : true;
    return { error: new RequestValidationError(httpPart, fieldErrorsOf(checked, value, prefix)) };
  };
};

/** Every answer is plain JSON of what the handler returned: a response schema documents, it never filters. */
/**
 * For a route whose body no parser of ours validates (the sweep routes): the body checked
 * against the schema the route declares, or a 422 problem naming each failing field
 * (`body.spec.platform`).
 */
export function checkBody<T extends TSchema>(schema: T, value: unknown): Static<T> {
  if (Value.Check(schema, value)) return value;
  const errors = fieldErrorsOf(schema, value, 'body.');
  const listed = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
  throw new ProblemError(422, 'invalid-body', `The body is not valid: ${listed}. Fix it and send the request again.`, errors);
}

export const serializerCompiler: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);
