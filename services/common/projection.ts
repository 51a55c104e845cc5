/**
 * The Redis projection behind LIST and watch. Workflows push every status change here
 * through a local activity; the API reads lists and watch streams from it and never
 * sends one Query per object. Per kind it keeps:
 *   <prefix>:obj:<kind>:<ns>/<name>   a hash {object, rv}
 *   <prefix>:idx:<kind>[:<ns>]        sorted sets of "<ns>/<name>" (lexicographic), for paging
 *   <prefix>:changes:<kind>           a stream of {type, object}; entry IDs are resourceVersions
 *   <prefix>:initialized:<kind>       set once the kind's projection is whole (see rebuildFromVisibility)
 * It is a cache: when Redis is empty it is rebuilt from the workflows' memos.
 */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { matchesLabels, parseLabelSelector } from './label-selector';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ProjectedObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: ProjectedObject;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
}

export interface ListResult {
  readonly items: ProjectedObject[];
  readonly metadata: { readonly continue?: string; readonly resourceVersion: string };
}

/** A watch asked to resume from a resourceVersion the change stream no longer holds. */
export class ResourceVersionTooOldError extends Error {}

const STREAM_MAX_LENGTH = 100_000;
const WATCH_BLOCK_MS = 1_000;

// One round trip, atomic: record the change in the stream, then store the object with
// the change's ID as its resourceVersion.
const PUT_SCRIPT = `
local existed = redis.call('EXISTS', KEYS[1])
local kind = 'ADDED'
if existed == 1 then kind = 'MODIFIED' end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', kind, 'object', ARGV[1])
redis.call('HSET', KEYS[1], 'object', ARGV[1], 'rv', id)
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('ZADD', KEYS[4], 0, ARGV[2])
return id`;

const REMOVE_SCRIPT = `
local object = redis.call('HGET', KEYS[1], 'object')
if not object then return false end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', 'DELETED', 'object', object)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return id`;

function withVersion(json: string, resourceVersion: string): ProjectedObject {
  const object = JSON.parse(json) as ProjectedObject;
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

/** Compares stream IDs ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

export function createProjection(redis: Redis, options: { readonly prefix: string }) {
  const { prefix } = options;
  const objectKey = (kind: string, namespace: string, name: string) => `${prefix}:obj:${kind}:${namespace}/${name}`;
  const indexKey = (kind: string, namespace?: string) => (namespace ? `${prefix}:idx:${kind}:${namespace}` : `${prefix}:idx:${kind}`);
  const streamKey = (kind: string) => `${prefix}:changes:${kind}`;
  // Per kind, so each kind is rebuilt from its own workflows.
  const markerKey = (kind: string) => `${prefix}:initialized:${kind}`;

  const latestVersion = async (kind: string): Promise<string> => {
    const [last] = (await redis.xrevrange(streamKey(kind), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return last?.[0] ?? '0';
  };

  /** Throws when changes after `resourceVersion` may have been trimmed from the stream. */
  const assertRetained = async (kind: string, resourceVersion: string): Promise<void> => {
    if (resourceVersion === '0') return;
    const [first] = (await redis.xrange(streamKey(kind), '-', '+', 'COUNT', 1)) as [string, string[]][];
    if (first && compareIds(resourceVersion, first[0]) < 0) {
      throw new ResourceVersionTooOldError(
        `resourceVersion ${resourceVersion} is older than the oldest retained change ${first[0]}; list again and watch from the list's resourceVersion`,
      );
    }
  };

  return {
    assertRetained,

    async put(kind: string, object: ProjectedObject): Promise<string> {
      const namespace = object.metadata.namespace ?? 'default';
      const member = `${namespace}/${object.metadata.name}`;
      const { resourceVersion: _stale, ...metadata } = object.metadata;
      return (await redis.eval(
        PUT_SCRIPT,
        4,
        objectKey(kind, namespace, object.metadata.name),
        streamKey(kind),
        indexKey(kind),
        indexKey(kind, namespace),
        JSON.stringify({ ...object, metadata }),
        member,
        STREAM_MAX_LENGTH,
      )) as string;
    },

    async remove(kind: string, namespace: string, name: string): Promise<void> {
      const member = `${namespace}/${name}`;
      await redis.eval(REMOVE_SCRIPT, 4, objectKey(kind, namespace, name), streamKey(kind), indexKey(kind), indexKey(kind, namespace), member, STREAM_MAX_LENGTH);
    },

    async get(kind: string, namespace: string, name: string): Promise<ProjectedObject | undefined> {
      const [json, rv] = await redis.hmget(objectKey(kind, namespace, name), 'object', 'rv');
      return json && rv ? withVersion(json, rv) : undefined;
    },

    /** Pages in name order; `continue` is the last "<ns>/<name>" of the previous page. */
    async list(kind: string, listOptions: ListOptions = {}): Promise<ListResult> {
      const requirements = parseLabelSelector(listOptions.labelSelector ?? '');
      const limit = listOptions.limit && listOptions.limit > 0 ? listOptions.limit : Number.POSITIVE_INFINITY;
      const resourceVersion = await latestVersion(kind);
      const items: ProjectedObject[] = [];
      let cursor = listOptions.continue ? `(${listOptions.continue}` : '-';
      for (;;) {
        const members = await redis.zrangebylex(indexKey(kind, listOptions.namespace), cursor, '+', 'LIMIT', 0, 200);
        if (members.length === 0) return { items, metadata: { resourceVersion } };
        const pipeline = redis.pipeline();
        for (const member of members) {
          const [namespace = '', name = ''] = member.split('/');
          pipeline.hmget(objectKey(kind, namespace, name), 'object', 'rv');
        }
        const rows = (await pipeline.exec()) ?? [];
        for (const [index, [, row]] of rows.entries()) {
          const [json, rv] = (row as [string | null, string | null] | null) ?? [null, null];
          if (!json || !rv) continue;
          const object = withVersion(json, rv);
          if (!matchesLabels(requirements, object.metadata.labels)) continue;
          items.push(object);
          if (items.length === limit) {
            const member = members[index] ?? '';
            const more = await redis.zrangebylex(indexKey(kind, listOptions.namespace), `(${member}`, '+', 'LIMIT', 0, 1);
            return { items, metadata: { resourceVersion, ...(more.length > 0 ? { continue: member } : {}) } };
          }
        }
        cursor = `(${members.at(-1) ?? ''}`;
      }
    },

    /**
     * Changes after `resourceVersion` ('0' = the whole retained stream; absent = from now),
     * until the signal aborts. Blocks on a connection of its own.
     */
    async *watch(kind: string, watchOptions: { readonly namespace?: string; readonly resourceVersion?: string }, signal: AbortSignal): AsyncGenerator<WatchEvent> {
      let lastId = watchOptions.resourceVersion ?? (await latestVersion(kind));
      await assertRetained(kind, lastId);
      const blocking = redis.duplicate();
      blocking.on('error', () => undefined);
      const abort = () => blocking.disconnect();
      signal.addEventListener('abort', abort, { once: true });
      try {
        while (!signal.aborted) {
          const reply = (await blocking.xread('COUNT', 200, 'BLOCK', WATCH_BLOCK_MS, 'STREAMS', streamKey(kind), lastId).catch(() => null)) as
            | [string, [string, string[]][]][]
            | null;
          for (const [, entries] of reply ?? []) {
            for (const [id, fields] of entries) {
              lastId = id;
              const type = fields[fields.indexOf('type') + 1] as WatchEventType;
              const object = withVersion(fields[fields.indexOf('object') + 1] ?? '{}', id);
              if (watchOptions.namespace && (object.metadata.namespace ?? 'default') !== watchOptions.namespace) continue;
              yield { type, object };
            }
          }
        }
      } finally {
        signal.removeEventListener('abort', abort);
        blocking.disconnect();
      }
    },

    /**
     * When the kind's projection has no marker (Redis was emptied or lost), puts every running
     * workflow's memo object that the projection does not already hold (a workflow's own
     * later write is fresher than its memo), then sets the marker. Returns how many it put.
     */
    async rebuildFromVisibility(client: Client, source: { readonly workflowType: string; readonly taskQueue: string }, kind: string): Promise<number> {
      if ((await redis.exists(markerKey(kind))) === 1) return 0;
      let count = 0;
      const query = `WorkflowType = '${source.workflowType}' AND TaskQueue = '${source.taskQueue}' AND ExecutionStatus = 'Running'`;
      for await (const execution of client.workflow.list({ query })) {
        const object = execution.memo?.object as ProjectedObject | undefined;
        if (!object?.metadata?.name) continue;
        if ((await redis.exists(objectKey(kind, object.metadata.namespace ?? 'default', object.metadata.name))) === 1) continue;
        await this.put(kind, object);
        count += 1;
      }
      await redis.set(markerKey(kind), '1');
      return count;
    },
  };
}

export type Projection = ReturnType<typeof createProjection>;

/** The worker's local activity: mirrors an entity's object into the projection. */
export function createProjectionActivities(projection: Projection) {
  return {
    async projectObject(input: { readonly kind: string; readonly object: unknown; readonly deleted: boolean }): Promise<void> {
      const object = input.object as ProjectedObject;
      if (input.deleted) await projection.remove(input.kind, object.metadata.namespace ?? 'default', object.metadata.name);
      else await projection.put(input.kind, object);
    },
  };
}
