/**
 * The Redis projection behind LIST and watch. Workflows hand every status change to the
 * worker through a sink (services/worker/projection-writer.ts writes it here, newest first by
 * the entity's publish sequence), and remove a deleted object through an activity; the API
 * reads lists and watch streams from it and never sends one Query per object. Per kind it keeps:
 *   <prefix>:obj:<kind>:<ns>/<name>   a hash {object, rv, created} (created: the rv of its ADDED)
 *   <prefix>:idx:<kind>[:<ns>]        sorted sets of "<ns>/<name>" (lexicographic), for paging
 *   <prefix>:changes:<kind>           a stream of {type, object}; entry IDs are resourceVersions
 *   <prefix>:initialized:<kind>       set once the kind's projection is whole (see rebuildFromVisibility)
 *   <prefix>:tomb:<kind>:<ns>/<name>   the uid of the object last removed under that name, for a day:
 *                                      a late or repeated write of it can never bring it back
 * It is a cache: when Redis is empty it is rebuilt from the workflows' memos.
 * Watches of every kind share one blocking reader (watch-hub.ts).
 */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { republishSignal } from '../../workflows/entity/definitions';
import { compareResourceVersions as compareIds } from './resource-version';
import { createWatchHub, entriesOf, WatchGoneError, type StreamEntry, type WatchEventType, type WatchQueue } from './watch-hub';

export { WatchGoneError, WatchOverflowError, type WatchEventType } from './watch-hub';

export interface ProjectedObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: ProjectedObject;
}

/** Which objects a list or watch returns (namespace, label and field selectors, already parsed). */
export type ObjectFilter = (object: ProjectedObject) => boolean;

export interface ListOptions {
  readonly namespace?: string;
  readonly filter?: ObjectFilter;
  readonly limit?: number;
  readonly continue?: string;
  /** The kind's latest change as the caller has just read it: a first page is listed at it rather than read again. */
  readonly latestVersion?: string;
}

export interface WatchOptions {
  readonly namespace?: string;
  readonly filter?: ObjectFilter;
  /** Changes after this one; '0' = every retained change; absent = from now. */
  readonly resourceVersion?: string;
}

/** An open watch: the next matching change, or undefined when none came within the wait. */
export interface WatchStream {
  next(waitMs: number): Promise<WatchEvent | undefined>;
  /** The last change this watch has looked at, matching or not: what a bookmark reports. */
  progress(): string;
  /** Resolves with the error that ends the watch (dropped as too slow, or the stream lost). */
  ended(): Promise<Error>;
  close(): void;
}

export interface ListResult {
  readonly items: ProjectedObject[];
  readonly metadata: { readonly continue?: string; readonly resourceVersion: string };
}

export interface ListJsonResult {
  /** Each item's JSON as UTF-8 bytes, as Redis holds it with its resourceVersion put in: never decoded into a string. */
  readonly items: Buffer[];
  readonly metadata: ListResult['metadata'];
}

/** How many index entries one read of a LIST takes from Redis. */
const LIST_CHUNK = 1_000;

/** A list continue token that is malformed or belongs to another list. */
export class ContinueTokenError extends Error {}

const STREAM_MAX_LENGTH = 100_000;
const CATCH_UP_CHUNK = 200;

export interface ProjectionOptions {
  readonly prefix: string;
  /** How long the shared watch reader blocks before it checks the streams are still whole. */
  readonly watchBlockMs?: number;
  /** Changes a watcher may fall behind before it is dropped. */
  readonly watchQueueLimit?: number;
}

interface ContinueToken {
  readonly rv: string;
  readonly after: string;
  readonly ns: string;
}

// One round trip, atomic: record the change in the stream, then store the object with
// the change's ID as its resourceVersion. A write carrying a sequence number (ARGV[6], the
// entity's publish order) is dropped when the stored one is as new or newer: writes from
// several workers may land out of order, and the older must not win.
const PUT_SCRIPT = `
local existed = redis.call('HEXISTS', KEYS[1], 'object')
if ARGV[5] ~= '' and redis.call('GET', KEYS[5]) == ARGV[5] then return false end
if ARGV[4] == 'if-absent' and existed == 1 then return false end
if ARGV[6] ~= '' and existed == 1 then
  local stored = redis.call('HGET', KEYS[1], 'seq')
  if stored and tonumber(stored) >= tonumber(ARGV[6]) then return false end
end
local kind = 'ADDED'
if existed == 1 then kind = 'MODIFIED' end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'type', kind, 'object', ARGV[1])
redis.call('HSET', KEYS[1], 'object', ARGV[1], 'rv', id)
if existed == 0 then redis.call('HSET', KEYS[1], 'created', id) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'seq', ARGV[6]) end
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('ZADD', KEYS[4], 0, ARGV[2])
return id`;

// The DELETED event goes out even when the hash is already gone (lost with Redis, or
// removed by the reconciler): the caller's last copy of the object stands in for it.
const REMOVE_SCRIPT = `
local object = redis.call('HGET', KEYS[1], 'object')
if not object then object = ARGV[3] end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', 'DELETED', 'object', object)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
local ok, decoded = pcall(cjson.decode, object)
if ok and type(decoded.metadata) == 'table' and type(decoded.metadata.uid) == 'string' then
  redis.call('SET', KEYS[5], decoded.metadata.uid, 'EX', ARGV[4])
end
return id`;

const TOMBSTONE_SECONDS = 24 * 60 * 60;

// Raises the object's write floor (the lowest publish sequence that holds every write the API
// acknowledged); never lowers it, since two API processes may record their writes out of order.
// The floor lives in the object's hash, which a removal deletes with it.
const RECORD_WRITE_SCRIPT = `
local floor = redis.call('HGET', KEYS[1], 'floor')
if not floor or tonumber(floor) < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'floor', ARGV[1]) end
return 1`;

/** The object a workflow's memo holds, unless the memo says it is deleted. */
export function liveMemoObject(memo: Record<string, unknown> | undefined): ProjectedObject | undefined {
  const object = memo?.object as ProjectedObject | undefined;
  if (memo?.deleted === true || !object?.metadata?.name) return undefined;
  return object;
}

/**
 * Objects are stored with metadata as their first key and no resourceVersion, so a read can
 * put the version in by joining strings: a LIST of hundreds of objects then neither parses
 * nor serializes them.
 */
const STORED_PREFIX = '{"metadata":{';

function storedJson(object: ProjectedObject): string {
  const { metadata, ...rest } = object;
  const { resourceVersion: _stale, ...unversioned } = metadata;
  return JSON.stringify({ metadata: unversioned, ...rest });
}

/** The stored object's JSON with its resourceVersion in it. */
function versionedJson(json: string, resourceVersion: string): string {
  // Stored before objects were kept this way, or with no metadata field after the name: parse.
  if (!json.startsWith(STORED_PREFIX) || json.startsWith(`${STORED_PREFIX}}`)) return JSON.stringify(withVersionParsed(json, resourceVersion));
  return `${STORED_PREFIX}"resourceVersion":${JSON.stringify(resourceVersion)},${json.slice(STORED_PREFIX.length)}`;
}

const STORED_PREFIX_BYTES = Buffer.from(STORED_PREFIX);
const EMPTY_METADATA_BYTES = Buffer.from(`${STORED_PREFIX}}`);

/** versionedJson on bytes: a LIST page of hundreds of objects then neither decodes nor re-encodes megabytes of text (and leaves no strings for the GC). */
function versionedJsonBytes(json: Buffer, resourceVersion: string): Buffer {
  const prefixed = json.subarray(0, STORED_PREFIX_BYTES.length).equals(STORED_PREFIX_BYTES);
  if (!prefixed || json.subarray(0, EMPTY_METADATA_BYTES.length).equals(EMPTY_METADATA_BYTES)) return Buffer.from(versionedJson(json.toString('utf8'), resourceVersion));
  return Buffer.concat([STORED_PREFIX_BYTES, Buffer.from(`"resourceVersion":${JSON.stringify(resourceVersion)},`), json.subarray(STORED_PREFIX_BYTES.length)]);
}

const COMMA = Buffer.from(',');

/** One JSON document of a list: head, the items' bytes separated by commas, tail; one copy of each item. */
export function joinJsonList(head: string, items: readonly Buffer[], tail: string): Buffer {
  const parts: Buffer[] = [Buffer.from(head)];
  for (const [index, item] of items.entries()) {
    if (index > 0) parts.push(COMMA);
    parts.push(item);
  }
  parts.push(Buffer.from(tail));
  return Buffer.concat(parts);
}

function withVersionParsed(json: string, resourceVersion: string): ProjectedObject {
  const object = JSON.parse(json) as ProjectedObject;
  return { ...object, metadata: { ...object.metadata, resourceVersion } };
}

function withVersion(json: string, resourceVersion: string): ProjectedObject {
  return JSON.parse(versionedJson(json, resourceVersion)) as ProjectedObject;
}

function encodeToken(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: string, namespace: string): ContinueToken {
  let token: Partial<ContinueToken> = {};
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ContinueToken>;
  } catch {
    // refused below
  }
  if (typeof token.rv !== 'string' || typeof token.after !== 'string' || typeof token.ns !== 'string') {
    throw new ContinueTokenError('the continue token is not one this API gave out; pass metadata.continue of the previous page unchanged');
  }
  if (token.ns !== namespace) throw new ContinueTokenError('the continue token belongs to a list of another namespace; continue a list with the query that started it');
  return token as ContinueToken;
}

export function createProjection(redis: Redis, options: ProjectionOptions) {
  const { prefix } = options;
  const hub = createWatchHub(redis, { blockMs: options.watchBlockMs ?? 1_000, queueLimit: options.watchQueueLimit ?? 1_000 });
  const objectKey = (kind: string, namespace: string, name: string) => `${prefix}:obj:${kind}:${namespace}/${name}`;
  const indexKey = (kind: string, namespace?: string) => (namespace ? `${prefix}:idx:${kind}:${namespace}` : `${prefix}:idx:${kind}`);
  const streamKey = (kind: string) => `${prefix}:changes:${kind}`;
  // Per kind, so each kind is rebuilt from its own workflows.
  const markerKey = (kind: string) => `${prefix}:initialized:${kind}`;
  const tombKey = (kind: string, namespace: string, name: string) => `${prefix}:tomb:${kind}:${namespace}/${name}`;

  /** Puts the object unless it was removed before (same uid); with ifAbsent, also unless the projection holds it. Returns its resourceVersion, or undefined. */
  const write = async (kind: string, object: ProjectedObject, ifAbsent: boolean, sequence?: number): Promise<string | undefined> => {
    const namespace = object.metadata.namespace ?? 'default';
    const { name } = object.metadata;
    const keys = [objectKey(kind, namespace, name), streamKey(kind), indexKey(kind), indexKey(kind, namespace), tombKey(kind, namespace, name)];
    const uid = typeof object.metadata.uid === 'string' ? object.metadata.uid : '';
    const id = await redis.eval(PUT_SCRIPT, keys.length, ...keys, storedJson(object), `${namespace}/${name}`, STREAM_MAX_LENGTH, ifAbsent ? 'if-absent' : 'always', uid, sequence === undefined ? '' : String(sequence));
    return typeof id === 'string' ? id : undefined;
  };

  const latestVersion = async (kind: string): Promise<string> => {
    const [last] = (await redis.xrevrange(streamKey(kind), '+', '-', 'COUNT', 1)) as [string, string[]][];
    return last?.[0] ?? '0';
  };

  /**
   * Throws WatchGoneError unless every change after `resourceVersion` is still in the
   * stream: not trimmed away, not lost with Redis, and not a version from the future.
   */
  const assertServable = async (kind: string, resourceVersion: string): Promise<void> => {
    if (resourceVersion === '0') return;
    const ends = (await Promise.all([redis.xrange(streamKey(kind), '-', '+', 'COUNT', 1), redis.xrevrange(streamKey(kind), '+', '-', 'COUNT', 1)])) as [string, string[]][][];
    const first = ends[0]?.[0];
    const last = ends[1]?.[0];
    const again = "list again and watch from the list's resourceVersion";
    if (!first || !last) throw new WatchGoneError(`resourceVersion ${resourceVersion} cannot be served: the change stream is empty (Redis was emptied or replaced); ${again}`);
    if (compareIds(resourceVersion, last[0]) > 0) throw new WatchGoneError(`resourceVersion ${resourceVersion} is newer than the latest change ${last[0]}; ${again}`);
    if (compareIds(resourceVersion, first[0]) < 0) throw new WatchGoneError(`resourceVersion ${resourceVersion} is older than the oldest retained change ${first[0]}; ${again}`);
  };

  /**
   * Pages in name order, all at the resourceVersion of the first page: `continue` carries
   * it, so an object created after it shows up only in a watch from it, never on a later
   * page. Throws WatchGoneError when that version has left the stream (list again).
   */
  const listJson = async (kind: string, listOptions: ListOptions = {}): Promise<ListJsonResult> => {
    const limit = listOptions.limit && listOptions.limit > 0 ? listOptions.limit : Number.POSITIVE_INFINITY;
    const namespace = listOptions.namespace ?? '';
    const token = listOptions.continue ? decodeToken(listOptions.continue, namespace) : undefined;
    if (token) await assertServable(kind, token.rv);
    const resourceVersion = token?.rv ?? listOptions.latestVersion ?? (await latestVersion(kind));
    // One more than a page, so the last read also tells whether there is a next one.
    const chunk = Math.min(limit + 1, LIST_CHUNK);
    const items: Buffer[] = [];
    let cursor = token ? `(${token.after}` : '-';
    for (;;) {
      const members = await redis.zrangebylex(indexKey(kind, listOptions.namespace), cursor, '+', 'LIMIT', 0, chunk);
      if (members.length === 0) return { items, metadata: { resourceVersion } };
      const pipeline = redis.pipeline();
      for (const member of members) {
        const [memberNamespace = '', name = ''] = member.split('/');
        pipeline.hmgetBuffer(objectKey(kind, memberNamespace, name), 'object', 'rv', 'created');
      }
      const rows = (await pipeline.exec()) ?? [];
      for (const [index, [, row]] of rows.entries()) {
        const [json, rvBytes, createdBytes] = (row as [Buffer | null, Buffer | null, Buffer | null] | null) ?? [null, null, null];
        const rv = rvBytes?.toString('latin1');
        if (!json || !rv || compareIds(createdBytes?.toString('latin1') ?? '0', resourceVersion) > 0) continue;
        if (items.length === limit) {
          // A further object exists: this page ends at the one before it.
          const after = members[index - 1] ?? cursor.slice(1);
          return { items, metadata: { resourceVersion, continue: encodeToken({ rv: resourceVersion, after, ns: namespace }) } };
        }
        const itemJson = versionedJsonBytes(json, rv);
        if (listOptions.filter && !listOptions.filter(JSON.parse(itemJson.toString('utf8')) as ProjectedObject)) continue;
        items.push(itemJson);
      }
      cursor = `(${members.at(-1) ?? ''}`;
    }
  };

  const openWatch = async (kind: string, watchOptions: WatchOptions): Promise<WatchStream> => {
    const key = streamKey(kind);
    if (watchOptions.resourceVersion !== undefined) await assertServable(kind, watchOptions.resourceVersion);
    const { queue, cursor } = await hub.subscribe(key);
    let progress = watchOptions.resourceVersion ?? cursor;
    // Changes up to the hub's cursor are read from the stream here, in chunks as the client
    // takes them; the hub queues the ones after it.
    let catchingUp = compareIds(progress, cursor) < 0;
    let backlog: StreamEntry[] = [];
    const matches = (object: ProjectedObject) =>
      (!watchOptions.namespace || (object.metadata.namespace ?? 'default') === watchOptions.namespace) && (watchOptions.filter?.(object) ?? true);
    const nextEntry = async (waitMs: number, from: WatchQueue): Promise<StreamEntry | undefined> => {
      while (catchingUp && backlog.length === 0) {
        backlog = entriesOf((await redis.xrange(key, `(${progress}`, cursor, 'COUNT', CATCH_UP_CHUNK)) as [string, string[]][]);
        if (backlog.length === 0) catchingUp = false;
      }
      return backlog.shift() ?? from.take(waitMs);
    };
    return {
      async next(waitMs) {
        const deadline = Date.now() + waitMs;
        for (;;) {
          const entry = await nextEntry(Math.max(0, deadline - Date.now()), queue);
          if (!entry) return undefined;
          if (compareIds(entry.id, progress) <= 0) continue;
          progress = entry.id;
          const object = withVersion(entry.json, entry.id);
          if (matches(object)) return { type: entry.type, object };
        }
      },
      progress: () => progress,
      ended: () => queue.ended(),
      close: () => hub.unsubscribe(key, queue),
    };
  };

  return {
    assertServable,
    openWatch,
    /** Ends every open watch (with an error event) and the shared reader. */
    closeWatches: () => hub.close(),

    /**
     * Stores the object and records the change; undefined when the object was removed before
     * (a late write of it), or when `sequence` is given and a write at least as new is stored.
     */
    async put(kind: string, object: ProjectedObject, sequence?: number): Promise<string | undefined> {
      return write(kind, object, false, sequence);
    },

    /** As put, but only when the projection holds no object of that name: how repairs add what is missing without overwriting a fresher write. */
    async putIfAbsent(kind: string, object: ProjectedObject): Promise<string | undefined> {
      return write(kind, object, true);
    },

    /** How many objects the projection holds for the kind. */
    async memberCount(kind: string): Promise<number> {
      return redis.zcard(indexKey(kind));
    },

    /** Claims a named task for `ms` among every process sharing this projection: true for the one that got it. */
    async claim(task: string, ms: number): Promise<boolean> {
      return (await redis.set(`${prefix}:claim:${task}`, String(process.pid), 'PX', Math.max(1, Math.round(ms)), 'NX')) === 'OK';
    },

    /** Every "<ns>/<name>" the projection holds for the kind. */
    async members(kind: string): Promise<string[]> {
      return redis.zrange(indexKey(kind), 0, -1);
    },

    /** Removes the object and records its DELETED change; `last` is the caller's copy, used when the hash is already gone. */
    async remove(kind: string, namespace: string, name: string, last?: ProjectedObject): Promise<void> {
      const member = `${namespace}/${name}`;
      const standIn = JSON.stringify(last ?? { metadata: { name, namespace } });
      const keys = [objectKey(kind, namespace, name), streamKey(kind), indexKey(kind), indexKey(kind, namespace), tombKey(kind, namespace, name)];
      await redis.eval(REMOVE_SCRIPT, keys.length, ...keys, member, STREAM_MAX_LENGTH, standIn, TOMBSTONE_SECONDS);
    },

    /** Records that a write the API acknowledged is held by the object's publications numbered `publishedFrom` and up (EntityWrite). */
    async recordWrite(kind: string, namespace: string, name: string, publishedFrom: number): Promise<void> {
      await redis.eval(RECORD_WRITE_SCRIPT, 1, objectKey(kind, namespace, name), String(publishedFrom));
    },

    /**
     * What a GET of one object needs, in one read. `current`: the object's JSON with its
     * resourceVersion, when the projection's copy is the entity's own publication and holds
     * every write recorded for it. Absent otherwise (the entity workflow must answer then): no
     * copy; a copy from before a recorded write; or a repair's copy from a memo (a rebuild
     * after Redis was lost), whose status may be old. `resourceVersion`: the object's latest
     * change either way.
     */
    async readForGet(kind: string, namespace: string, name: string): Promise<{ readonly current?: Buffer; readonly resourceVersion?: string }> {
      const [json, rv, sequence, floor] = await redis.hmgetBuffer(objectKey(kind, namespace, name), 'object', 'rv', 'seq', 'floor');
      if (!rv) return {};
      const resourceVersion = rv.toString();
      const holdsEveryWrite = sequence ? !floor || Number(sequence.toString()) >= Number(floor.toString()) : false;
      return json && holdsEveryWrite ? { current: versionedJsonBytes(json, resourceVersion), resourceVersion } : { resourceVersion };
    },

    async get(kind: string, namespace: string, name: string): Promise<ProjectedObject | undefined> {
      const [json, rv] = await redis.hmget(objectKey(kind, namespace, name), 'object', 'rv');
      return json && rv ? withVersion(json, rv) : undefined;
    },

    /**
     * Pages in name order, all at the resourceVersion of the first page: `continue` carries
     * it, so an object created after it shows up only in a watch from it, never on a later
     * page. Throws WatchGoneError when that version has left the stream (list again).
     */
    async list(kind: string, listOptions: ListOptions = {}): Promise<ListResult> {
      const page = await listJson(kind, listOptions);
      return { items: page.items.map((json) => JSON.parse(json.toString('utf8')) as ProjectedObject), metadata: page.metadata };
    },

    /** As list, with each item as its JSON bytes: what the REST API sends without parsing or decoding it. */
    listJson,

    /** The id of the kind's latest change ('0' when none is retained): every put and remove moves it. */
    latestVersion,

    /** Changes after `resourceVersion` ('0' = the whole retained stream; absent = from now), until the signal aborts. */
    async *watch(kind: string, watchOptions: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent> {
      const stream = await openWatch(kind, watchOptions);
      try {
        while (!signal.aborted) {
          const event = await stream.next(100);
          if (event) yield event;
        }
      } finally {
        stream.close();
      }
    },

    /**
     * When the kind's projection has no marker (Redis was emptied or lost), puts every running
     * workflow's memo object that the projection does not already hold (a workflow's own
     * later write is fresher than its memo), then sets the marker. Returns how many it put.
     */
    async rebuildFromVisibility(client: Client, source: { readonly workflowType: string; readonly taskQueue: string }, kind: string): Promise<number> {
      if ((await redis.exists(markerKey(kind))) === 1) return 0;
      const rebuilt: string[] = [];
      const query = `WorkflowType = '${source.workflowType}' AND TaskQueue = '${source.taskQueue}' AND ExecutionStatus = 'Running'`;
      for await (const execution of client.workflow.list({ query })) {
        const object = liveMemoObject(execution.memo);
        if (object && (await write(kind, object, true))) rebuilt.push(execution.workflowId);
      }
      await redis.set(markerKey(kind), '1');
      // A memo's status can be old: each entity publishes its own copy again. In the background,
      // so the list that noticed the loss is not held up by one signal per object.
      void republishAll(client, rebuilt);
      return rebuilt.length;
    },
  };
}

export type Projection = ReturnType<typeof createProjection>;

const REPUBLISH_AT_ONCE = 16;

/** Signals each workflow to publish its object again; one that has finished since is skipped. */
export async function republishAll(client: Client, workflowIds: readonly string[]): Promise<void> {
  for (let start = 0; start < workflowIds.length; start += REPUBLISH_AT_ONCE) {
    await Promise.all(workflowIds.slice(start, start + REPUBLISH_AT_ONCE).map((workflowId) => client.workflow.getHandle(workflowId).signal(republishSignal).catch(() => undefined)));
  }
}

/** The worker's activity that mirrors an entity's object into the projection. */
export function createProjectionActivities(projection: Projection) {
  return {
    async projectObject(input: { readonly kind: string; readonly object: unknown; readonly deleted: boolean }): Promise<void> {
      const object = input.object as ProjectedObject;
      if (input.deleted) await projection.remove(input.kind, object.metadata.namespace ?? 'default', object.metadata.name, object);
      else await projection.put(input.kind, object);
    },
  };
}
