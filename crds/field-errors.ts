/**
 * Turns TypeBox value errors into FieldErrors a person can act on: a dotted/bracketed
 * path (`spec.compute[0].replicas`) and a message that says what was expected.
 * Sandbox-safe: no Node modules, no code generation.
 */
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { INT_OR_STRING } from './schemas/common';

export interface FieldError {
  /** Where the problem is, e.g. `spec.compute[0].replicas`; `(root)` for the whole document. */
  readonly path: string;
  /** What was wrong and what was expected. */
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly object: T } | { readonly ok: false; readonly errors: FieldError[] };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** TypeBox leaves formats to the application; register the one our schemas use. */
export function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends one segment to a display path: `a.b`, `a[0]`, or `a["slipway.dev/x"]` for keys that are not identifiers. */
export function joinPath(base: string, segment: string | number): string {
  if (typeof segment === 'number') return `${base}[${segment}]`;
  if (IDENTIFIER.test(segment)) return base === '' ? segment : `${base}.${segment}`;
  return `${base}[${JSON.stringify(segment)}]`;
}

/** `/spec/compute/0/replicas` -> `spec.compute[0].replicas`. */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = joinPath(path, /^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment);
  }
  return path;
}

export function displayPath(path: string): string {
  return path === '' ? '(root)' : path;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

interface SchemaLike {
  readonly const?: unknown;
  readonly anyOf?: readonly SchemaLike[];
  readonly properties?: Record<string, unknown>;
  readonly description?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly [INT_OR_STRING]?: boolean;
}

/** The allowed values of a union of literals, or undefined when the union is anything else. */
export function literalChoices(schema: TSchema): unknown[] | undefined {
  const anyOf = (schema as SchemaLike).anyOf;
  if (!anyOf || !anyOf.every((variant) => 'const' in variant)) return undefined;
  return anyOf.map((variant) => variant.const);
}

function withDescription(message: string, schema: SchemaLike): string {
  return schema.description ? `${message}. ${schema.description}` : message;
}

/** One message per error, phrased as what was expected. */
export function messageFor(error: ValueError): string {
  const schema = error.schema as SchemaLike;
  const got = describeValue(error.value);
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return withDescription('is required', schema);
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys(schema.properties ?? {});
      return `is not a known field here; allowed fields are: ${known.join(', ')}`;
    }
    case ValueErrorType.Object:
      return `expected an object, got ${got}`;
    case ValueErrorType.ObjectMinProperties:
    case ValueErrorType.ObjectMaxProperties: {
      const known = Object.keys(schema.properties ?? {});
      const present = error.value !== null && typeof error.value === 'object' ? Object.keys(error.value) : [];
      if (schema.minProperties === 1 && schema.maxProperties === 1) {
        return `must set exactly one of: ${known.join(', ')}; found ${present.length === 0 ? 'none' : present.join(', ')}`;
      }
      return error.type === ValueErrorType.ObjectMinProperties
        ? `must have at least ${schema.minProperties} fields`
        : `must have at most ${schema.maxProperties} fields`;
    }
    case ValueErrorType.String:
      return `expected a string, got ${got}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters long`;
    case ValueErrorType.StringMaxLength:
      return withDescription(`must be at most ${schema.maxLength} characters long (got ${String(error.value).length})`, schema);
    case ValueErrorType.StringPattern:
      return withDescription(`${got} does not match the pattern ${schema.pattern}`, schema);
    case ValueErrorType.StringFormat:
    case ValueErrorType.StringFormatUnknown:
      return `expected an RFC 3339 date-time such as 2025-01-31T12:00:00Z, got ${got}`;
    case ValueErrorType.Integer:
      return `expected an integer, got ${got}`;
    case ValueErrorType.Number:
      return `expected a number, got ${got}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${schema.minimum} (got ${String(error.value)})`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${schema.maximum} (got ${String(error.value)})`;
    case ValueErrorType.Boolean:
      return `expected true or false, got ${got}`;
    case ValueErrorType.Array:
      return `expected a list, got ${got}`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${schema.minItems} item(s)`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${schema.maxItems} item(s)`;
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}, got ${got}`;
    case ValueErrorType.Union: {
      if (schema[INT_OR_STRING]) return `expected a non-negative integer or a percentage string such as "25%", got ${got}`;
      const choices = literalChoices(error.schema);
      if (choices) return `must be one of: ${choices.map((choice) => String(choice)).join(', ')}; got ${got}`;
      return withDescription(`does not match any allowed form, got ${got}`, schema);
    }
    default:
      return `${error.message}, got ${got}`;
  }
}

/**
 * Converts an error stream to FieldErrors: one per path and message, and only the
 * "is required" message where a property is missing (TypeBox also reports its type).
 */
export function toFieldErrors(errors: Iterable<ValueError>, prefix = ''): FieldError[] {
  const collected: { path: string; type: ValueErrorType; message: string }[] = [];
  for (const error of errors) {
    const path = prefix + pointerToPath(error.path);
    collected.push({ path, type: error.type, message: messageFor(error) });
  }
  const missing = new Set(collected.filter((entry) => entry.type === ValueErrorType.ObjectRequiredProperty).map((entry) => entry.path));
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const entry of collected) {
    if (missing.has(entry.path) && entry.type !== ValueErrorType.ObjectRequiredProperty) continue;
    const key = `${entry.path}\u0000${entry.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ path: displayPath(entry.path), message: entry.message });
  }
  return result;
}
