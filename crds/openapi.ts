/**
 * Turns the TypeBox schemas into (a) Kubernetes CustomResourceDefinitions with structural
 * OpenAPI v3 schemas and (b) OpenAPI 3.0 component schemas for the REST API's document.
 * Pure: no file access (crds/generate.ts writes the files).
 */
import { stringify } from 'yaml';
import { API_GROUP, API_VERSION, INT_OR_STRING } from './schemas/common';
import { KINDS, KIND_NAMES, type KindDefinition, type KindName } from './schemas/index';

type Schema = { [key: string]: unknown };

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Record's TypeBox form: patternProperties with the match-anything key. */
function recordValues(schema: Schema): Schema | undefined {
  const patterns = schema.patternProperties;
  if (!isSchema(patterns)) return undefined;
  const keys = Object.keys(patterns);
  if (keys.length !== 1 || (keys[0] !== '^(.*)$' && keys[0] !== '^.*$')) {
    throw new Error(`unsupported patternProperties ${JSON.stringify(keys)}: only string-keyed records convert to additionalProperties`);
  }
  const values = patterns[keys[0] as string];
  if (!isSchema(values)) throw new Error('record value schema must be an object');
  return values;
}

function constType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  throw new Error(`unsupported literal ${JSON.stringify(value)}`);
}

export type Dialect = 'crd' | 'openapi';

const VALUE_KEYWORDS = [
  'description',
  'format',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'default',
] as const;

const LIST_KEYWORDS = ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys'] as const;

function copyKeywords(from: Schema, to: Schema, keywords: readonly string[]): void {
  for (const keyword of keywords) if (from[keyword] !== undefined) to[keyword] = from[keyword];
}

/**
 * Converts one TypeBox (JSON Schema) node. Only keywords on an allow-list are copied, so
 * TypeBox's symbols and anything Kubernetes would reject never leak into the output.
 * - crd: structural; no additionalProperties:false (Kubernetes prunes unknown fields
 *   instead), literals become enums, int-or-string becomes x-kubernetes-int-or-string.
 * - openapi: OpenAPI 3.0; keeps additionalProperties:false so clients see unknown fields are errors.
 */
export function convertSchema(schema: Schema, dialect: Dialect, path = '(root)'): Schema {
  const out: Schema = {};
  if (schema[INT_OR_STRING] === true) {
    const anyOf = schema.anyOf;
    if (!Array.isArray(anyOf)) throw new Error(`${path}: int-or-string without anyOf`);
    if (dialect === 'crd') {
      out[INT_OR_STRING] = true;
      out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    } else {
      out.anyOf = anyOf.map((variant: unknown, index) => convertSchema(variant as Schema, dialect, `${path}.anyOf[${index}]`));
    }
    copyKeywords(schema, out, ['description', 'default']);
    return out;
  }
  if (schema.const !== undefined) {
    out.type = constType(schema.const);
    out.enum = [schema.const];
    copyKeywords(schema, out, VALUE_KEYWORDS);
    return out;
  }
  if (Array.isArray(schema.anyOf)) {
    const variants = schema.anyOf as Schema[];
    if (!variants.every((variant) => variant.const !== undefined)) {
      throw new Error(`${path}: unions other than literal enums and int-or-string are not structural; restructure the schema`);
    }
    const types = new Set(variants.map((variant) => constType(variant.const)));
    if (types.size !== 1) throw new Error(`${path}: enum mixes types`);
    out.type = [...types][0];
    out.enum = variants.map((variant) => variant.const);
    copyKeywords(schema, out, VALUE_KEYWORDS);
    return out;
  }
  const type = schema.type;
  if (typeof type !== 'string') throw new Error(`${path}: every node needs a single type (got ${JSON.stringify(type)})`);
  out.type = type;
  copyKeywords(schema, out, VALUE_KEYWORDS);
  if (type === 'object') {
    const values = recordValues(schema);
    if (values !== undefined) {
      out.additionalProperties = convertSchema(values, dialect, `${path}.*`);
      return out;
    }
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const converted: Schema = {};
    for (const [key, value] of Object.entries(properties)) {
      converted[key] = convertSchema(value as Schema, dialect, path === '(root)' ? key : `${path}.${key}`);
    }
    out.properties = converted;
    // A field with a default is optional to the client: the server fills it in.
    const required = (Array.isArray(schema.required) ? (schema.required as string[]) : []).filter(
      (key) => isSchema(properties[key]) && (properties[key] as Schema).default === undefined,
    );
    if (required.length > 0) out.required = required;
    if (dialect === 'openapi' && schema.additionalProperties === false) out.additionalProperties = false;
    return out;
  }
  if (type === 'array') {
    if (!isSchema(schema.items)) throw new Error(`${path}: array without a single items schema`);
    out.items = convertSchema(schema.items, dialect, `${path}[]`);
    if (dialect === 'crd') copyKeywords(schema, out, LIST_KEYWORDS);
    return out;
  }
  return out;
}

function plainJson(schema: unknown): Schema {
  return JSON.parse(JSON.stringify(schema)) as Schema;
}

/** The CRD's openAPIV3Schema: metadata is left to the API server, as Kubernetes requires. */
function crdSchema(definition: KindDefinition): Schema {
  return {
    type: 'object',
    description: `${definition.kind} (${API_GROUP}/${API_VERSION}). Generated from crds/schemas; do not edit.`,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: convertSchema(plainJson(definition.spec), 'crd', 'spec'),
      status: convertSchema(plainJson(definition.status), 'crd', 'status'),
    },
    required: ['spec'],
  };
}

export interface CrdFile {
  readonly kind: KindName;
  /** e.g. clusterdeployments.slipway.dev.yaml */
  readonly fileName: string;
  readonly document: Schema;
  readonly yaml: string;
}

export const GENERATED_HEADER = '# Generated by crds/generate.ts from crds/schemas. Do not edit: change the schema and run `npm run generate`.\n';

export function buildCrd(kind: KindName): CrdFile {
  const definition: KindDefinition = KINDS[kind];
  const subresources: Schema = { status: {} };
  if (definition.scale) subresources.scale = { ...definition.scale };
  const document: Schema = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${definition.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names: {
        kind: definition.kind,
        listKind: definition.listKind,
        plural: definition.plural,
        singular: definition.singular,
        shortNames: [...definition.shortNames],
        categories: ['slipway'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources,
          additionalPrinterColumns: definition.printerColumns.map((column) => ({ ...column })),
          schema: { openAPIV3Schema: crdSchema(definition) },
        },
      ],
    },
  };
  const yaml = GENERATED_HEADER + stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
  return { kind, fileName: `${definition.plural}.${API_GROUP}.yaml`, document, yaml };
}

/** One CRD per kind, in registry order. */
export function buildCrds(): CrdFile[] {
  return KIND_NAMES.map((kind) => buildCrd(kind));
}

/**
 * OpenAPI 3.0 component schemas: one per kind (the full object, with metadata), plus
 * FieldError, the shape of every validation error the API returns.
 */
export function buildOpenApiComponents(): { schemas: Record<string, Schema> } {
  const schemas: Record<string, Schema> = {};
  for (const kind of KIND_NAMES) {
    const definition: KindDefinition = KINDS[kind];
    schemas[kind] = convertSchema(plainJson(definition.schema), 'openapi', kind);
  }
  schemas.FieldError = {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Where the problem is, e.g. spec.compute[0].replicas; (root) for the whole document.' },
      message: { type: 'string', description: 'What was wrong and what was expected.' },
    },
    required: ['path', 'message'],
    additionalProperties: false,
  };
  return { schemas };
}
