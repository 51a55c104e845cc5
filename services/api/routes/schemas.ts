/**
 * The pieces every route schema is made of: path parameters, the list query, the headers,
 * bodies under the media types the server reads, and responses (the problem answers by status
 * code). What they declare is both what /openapi.json says and, for parameters, query and
 * headers, what the server checks (services/api/validation.ts).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { buildOpenApiComponents } from '../../../crds/openapi';
import { DNS_LABEL_PATTERN, GROUP_VERSION } from '../../../crds/schemas/common';
import { KINDS, type KindName } from '../../../crds/schemas/index';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../idempotency';

/** The longest watch a client may ask for with timeoutSeconds. */
export const MAX_WATCH_SECONDS = 24 * 60 * 60;
/** A resourceVersion as lists, objects and watch events carry it (`<ms>-<seq>`); empty means none. */
const RESOURCE_VERSION_PATTERN = '^([0-9]+(-[0-9]+)?)?$';

export const Namespace = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: DNS_LABEL_PATTERN,
  description: 'The namespace: lowercase letters, digits and "-", starting and ending with a letter or digit (RFC 1123 label).',
  examples: ['default'],
});

export const NamespaceParams = Type.Object({ namespace: Namespace });
export const ItemParams = Type.Object({ namespace: Namespace, name: Type.String({ minLength: 1, description: 'metadata.name of the object', examples: ['demo'] }) });

export const ListQuery = Type.Object({
  labelSelector: Type.Optional(Type.String({ description: 'Only objects whose labels match, as Kubernetes: a=b, a!=b, a in (x,y), a notin (x), a, !a; comma-separated, all must hold.' })),
  fieldSelector: Type.Optional(Type.String({ description: 'Only objects whose metadata.name or metadata.namespace match: field=value, field==value or field!=value; comma-separated.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'At most this many objects; metadata.continue of the answer fetches the next page.' })),
  continue: Type.Optional(Type.String({ description: 'metadata.continue of the previous page, unchanged.' })),
  watch: Type.Optional(Type.Boolean({ description: 'Stream changes as Server-Sent Events (ADDED, MODIFIED, DELETED; BOOKMARK and ERROR) instead of listing.' })),
  resourceVersion: Type.Optional(
    Type.String({ pattern: RESOURCE_VERSION_PATTERN, description: 'Watch the changes after this metadata.resourceVersion of a list, object or event; 0 replays every retained change.' }),
  ),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WATCH_SECONDS, description: 'End the watch after this many seconds.' })),
  allowWatchBookmarks: Type.Optional(Type.Boolean({ description: 'Send BOOKMARK events carrying how far the watch has read while nothing it matches changes.' })),
});

export const ListHeaders = Type.Object({
  'Last-Event-ID': Type.Optional(Type.String({ pattern: RESOURCE_VERSION_PATTERN, description: 'Resume a watch after this event id (as EventSource sends it); takes precedence over resourceVersion.' })),
});

export const CreateHeaders = Type.Object({
  'Idempotency-Key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
      description: `Makes the create safe to retry: 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, unique per request (a UUID is a good key); kept 24 hours per collection, never echoed`,
    }),
  ),
});

/** The component schema of a kind (crds/openapi.ts), or of its list. */
export const kindRef = (kind: KindName) => Type.Ref(kind);
export const listRef = (kind: KindName) => Type.Ref(KINDS[kind].listKind);

/** The list of a kind, as its collection answers it (added beside the kind's own component). */
export function listSchema(kind: KindName) {
  const { listKind } = KINDS[kind];
  return Type.Object(
    {
      apiVersion: Type.Literal(GROUP_VERSION),
      kind: Type.Literal(listKind),
      metadata: Type.Object({
        resourceVersion: Type.String({ description: 'Where a watch of this list starts; every page of the list carries the first page\'s.' }),
        continue: Type.Optional(Type.String({ description: 'Pass as continue to get the next page; absent on the last one.' })),
      }),
      items: Type.Array(kindRef(kind)),
    },
    { $id: listKind, description: `A page of ${kind}s` },
  );
}

/**
 * Metadata the server sets, as kube-apiserver does: what a client sends there on create is
 * dropped. (Finalizers too, until CR mode owns them: a client's finalizer would hold deletion forever.)
 */
export const SERVER_OWNED_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'finalizers', 'managedFields', 'selfLink'];

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema> };
const COMPONENTS = buildOpenApiComponents().schemas as Record<string, JsonSchema>;

/**
 * What a create reads, component `<Kind>Manifest`: the kind's object, except that status and
 * the server-owned metadata may hold anything, since what a client sends there is dropped.
 */
export function manifestSchema(kind: KindName): JsonSchema & { $id: string } {
  const object = structuredClone(COMPONENTS[kind]) as JsonSchema;
  const dropped = { description: 'Set by the server: what a client sends is dropped.' };
  const metadata = object.properties?.metadata;
  if (!object.properties || !metadata?.properties) throw new Error(`the ${kind} component has no metadata properties`);
  for (const key of SERVER_OWNED_METADATA) metadata.properties[key] = dropped;
  object.properties.status = { description: 'Written by Slipway: what a client sends is dropped.' };
  const upstream = KINDS[kind].upstream.map((version) => version.apiVersion);
  const also = upstream.length > 0 ? ` An upstream ${upstream.join(' or ')} manifest is accepted too, and converted.` : '';
  return { ...object, $id: `${kind}Manifest`, description: `A ${kind} to create, in ${GROUP_VERSION}.${also}` };
}

export const manifestRef = (kind: KindName) => Type.Ref(`${kind}Manifest`);

/** The media types a body may come in; YAML is parsed on a worker thread, within the same limits as JSON. */
export const JSON_OR_YAML = ['application/json', 'application/yaml'] as const;
export const MERGE_PATCH = ['application/merge-patch+json', 'application/json', 'application/yaml'] as const;

/** A body schema: the same schema under each media type the route reads. */
export function body(schema: TSchema, mediaTypes: readonly string[] = JSON_OR_YAML) {
  return { content: Object.fromEntries(mediaTypes.map((mediaType) => [mediaType, { schema }])) };
}

/** A JSON answer. */
export function json(description: string, schema: TSchema, extra: Record<string, unknown> = {}) {
  return { description, ...extra, content: { 'application/json': { schema } } };
}

const PROBLEMS: Readonly<Record<number, string>> = {
  400: 'The path, query, headers or body cannot be read: a bad parameter, JSON or YAML that does not parse, a body beyond the limits (nesting, values, keys per map), or not one object. errors names the parameter or field.',
  401: 'No valid bearer token.',
  404: 'No such object (or it has finished deleting).',
  409: 'The object\'s state refuses this now: it already exists, is being deleted, is deletion-protected, belongs to a cluster, its cluster is not ready, or a request with this Idempotency-Key is still running.',
  410: 'The resourceVersion or continue token can no longer be served: list again, then watch from the list\'s resourceVersion.',
  413: 'The body is larger than 1 MiB.',
  415: 'The body is not application/json, application/merge-patch+json or YAML.',
  422: 'The object or change is not valid, or names something that does not exist; errors names each failing field.',
  500: 'The server failed to handle the request; it has logged why.',
  503: 'The object\'s workflow cannot answer now (its task is failing, or no worker runs it): retry later.',
};

/** Problem answers (application/problem+json) for the given status codes. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const description = PROBLEMS[status];
      if (!description) throw new Error(`no description of problem status ${status}: add one to PROBLEMS`);
      return [status, { description, content: { 'application/problem+json': { schema: Type.Ref('Problem') } } }];
    }),
  );
}

/**
 * What each kind of route can answer besides success. Every route behind the token can answer
 * 401 and 500; one that reaches an entity workflow 404, 409, 422 and 503; one that reads a
 * body (DELETE too, when a client sends one) 400, 413 and 415.
 */
export const LIST_PROBLEMS = [400, 401, 410, 500] as const;
export const READ_PROBLEMS = [400, 401, 404, 500, 503] as const;
export const CHANGE_PROBLEMS = [400, 401, 404, 409, 413, 415, 422, 500, 503] as const;

/** One Server-Sent Event of a watch, as the watch routes document it. */
export const WATCH_EVENT = Type.Object(
  {
    event: Type.Union(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'].map((type) => Type.Literal(type))),
    id: Type.Optional(Type.String({ description: 'The resourceVersion of the change (absent on ERROR)' })),
    data: Type.String({ description: 'JSON: the object (for BOOKMARK only apiVersion, kind and metadata.resourceVersion; for ERROR a problem)' }),
  },
  {
    description:
      'An event: ADDED, MODIFIED or DELETED with the object; BOOKMARK (with allowWatchBookmarks) with how far the watch has read; a last ERROR with a problem when the watch cannot go on (410: list again; 429: the client read too slowly; 503).',
  },
);
