/**
 * Reading manifests from text, for the REST API and the CLI (not for workflows): YAML or
 * JSON, several YAML documents separated by `---`, a JSON array, or a Kubernetes `List`
 * (as `kubectl get -o yaml` prints).
 */
import { parseAllDocuments } from 'yaml';
import { BODY_LIMITS, yamlBoundsErrors } from './bounds';
import type { FieldError } from './field-errors';
import { isPlainObject } from './json';
import type { KindName, KindObjects } from './schemas/index';
import { convertManifest } from './upstream/index';

export type ParseResult = { readonly ok: true; readonly documents: unknown[] } | { readonly ok: false; readonly errors: FieldError[] };

/** Guards against documents that expand to huge trees through YAML aliases. */
const MAX_ALIAS_COUNT = 100;

/**
 * YAML 1.2's core schema with no YAML 1.1 extras (!!omap, !!set, !!timestamp, !!binary would
 * become values JSON cannot hold: they are refused by name instead), no merge keys, and
 * duplicate keys found by yamlBoundsErrors in linear time rather than by the parser's
 * pairwise check.
 */
const YAML_OPTIONS = { prettyErrors: true, uniqueKeys: false, merge: false, schema: 'core', resolveKnownTags: false } as const;

function firstLineOf(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:\s*$/, '');
}

function flatten(value: unknown, into: unknown[]): void {
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, into);
  } else if (isPlainObject(value) && value.kind === 'List' && Array.isArray(value.items)) {
    for (const item of value.items) flatten(item, into);
  } else if (value !== null && value !== undefined) {
    into.push(value);
  }
}

/** Parses every document in the text; empty documents are skipped. Errors give document number, line and column. */
export function parseManifests(text: string): ParseResult {
  const documents = parseAllDocuments(text, YAML_OPTIONS);
  const parsedDocuments = Array.isArray(documents) ? documents : [];
  const errors: FieldError[] = [];
  const values: unknown[] = [];
  parsedDocuments.forEach((document, index) => {
    const problem = document.errors[0];
    if (problem?.code === 'RESOURCE_EXHAUSTION') {
      errors.push({ path: `documents[${index}]`, message: `is nested too deeply to read (at most ${BODY_LIMITS.maxDepth} levels are accepted)` });
      return;
    }
    if (problem) {
      errors.push({ path: `documents[${index}]`, message: `is not valid YAML or JSON: ${firstLineOf(problem.message)}` });
      return;
    }
    const bounds = yamlBoundsErrors(document, `documents[${index}]`);
    if (bounds.length > 0) {
      errors.push(...bounds);
      return;
    }
    try {
      flatten(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), values);
    } catch (error) {
      errors.push({ path: `documents[${index}]`, message: `could not be read: ${error instanceof Error ? error.message : String(error)}` });
    }
  });
  if (!Array.isArray(documents)) {
    errors.push({ path: 'documents', message: 'could not be read as YAML or JSON' });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, documents: values };
}

export interface AcceptedManifest {
  readonly kind: KindName;
  readonly object: KindObjects[KindName];
  readonly sourceApiVersion: string;
}

export type IntakeResult = { readonly ok: true; readonly objects: AcceptedManifest[] } | { readonly ok: false; readonly errors: FieldError[] };

/**
 * Parses, converts and validates every manifest in the text. All or nothing: when any
 * document fails, every error is returned, each path prefixed with its document
 * (`documents[1].spec.replicas`) when there is more than one.
 */
export function intakeManifests(text: string): IntakeResult {
  const parsed = parseManifests(text);
  if (!parsed.ok) return parsed;
  if (parsed.documents.length === 0) return { ok: false, errors: [{ path: 'documents', message: 'no manifest found: the text holds no YAML or JSON object' }] };
  const objects: AcceptedManifest[] = [];
  const errors: FieldError[] = [];
  const prefix = (index: number, path: string) =>
    parsed.documents.length === 1 ? path : `documents[${index}]${path === '(root)' ? '' : path.startsWith('[') ? path : `.${path}`}`;
  parsed.documents.forEach((document, index) => {
    const result = convertManifest(document);
    if (result.ok) objects.push({ kind: result.kind, object: result.object, sourceApiVersion: result.sourceApiVersion });
    else for (const error of result.errors) errors.push({ path: prefix(index, error.path), message: error.message });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, objects };
}
