/**
 * The sweep's own record of marks, for resources the cloud cannot tag (adapter.canTag says no: a
 * Compute Engine network, firewall, health check, backend service or instance group keeps its tags
 * in a description that cannot change).
 *
 * Why Redis, and why that is safe: a mark only lets a later run delete a resource that run again
 * finds orphaned, old enough, unprotected and ours; it never decides a deletion alone. So a lost
 * mark (Redis flushed, restored empty, the key expired) only delays a deletion: the next run marks
 * again, and the one after deletes. Nothing that must not be lost lives here, as DESIGN.md asks of
 * Redis; Temporal would give durability the marks do not need, at the cost of another workflow.
 * A mark is keyed by the platform, the management ID, the resource's ID and its creation time (the
 * cloud's, else its created-at tag), so a resource made again under the same name never inherits
 * the mark of the one before it. Marks expire after MARK_TTL_SECONDS, like a tag that was lost.
 *
 * withSweepMarks gives the sweep a view of an adapter in which such a mark reads exactly as the
 * mark tag (withStoredMark), is written instead of the tag, and is forgotten once its resource is
 * deleted. The mark is the only tag the store can hold: any other tag is refused by the adapter.
 */
import type { Redis } from 'ioredis';
import { TAG } from '../../providers/tags';
import type { CanonicalTags, CloudResource, ProviderAdapter, TagQuery } from '../../providers/types';
import { withStoredMark } from '../../workflows/planners/sweep/decision';

/** Two weeks: longer than any sensible interval between two sweeps of one target. */
export const MARK_TTL_SECONDS = 14 * 24 * 60 * 60;

export interface SweepMarkStore {
  markOf(key: string): Promise<string | undefined>;
  mark(key: string, markedAt: string): Promise<void>;
  forget(key: string): Promise<void>;
}

export function redisSweepMarks(redis: Redis, prefix: string, ttlSeconds = MARK_TTL_SECONDS): SweepMarkStore {
  const keyOf = (key: string) => `${prefix}:sweep-mark:${key}`;
  return {
    async markOf(key) {
      return (await redis.get(keyOf(key))) ?? undefined;
    },
    async mark(key, markedAt) {
      await redis.set(keyOf(key), markedAt, 'EX', ttlSeconds);
    },
    async forget(key) {
      await redis.del(keyOf(key));
    },
  };
}

/** Which resource a mark belongs to: this one, not another made later under the same ID. */
export function markKeyOf(platform: string, resource: CloudResource): string {
  const created = resource.createdAt ?? resource.tags[TAG.createdAt] ?? '';
  return [platform, resource.tags[TAG.management] ?? '', resource.id, created].map(encodeURIComponent).join(':');
}

/** What of an adapter a sweep uses. */
export type SweptCloud = Pick<ProviderAdapter, 'listResources' | 'tagResource' | 'deleteResource'>;

export function withSweepMarks(adapter: ProviderAdapter, store: SweepMarkStore): SweptCloud {
  const inStore = (resource: CloudResource) => adapter.canTag?.(resource) === false;
  const keyOf = (resource: CloudResource) => markKeyOf(adapter.platform, resource);
  return {
    async *listResources(query: TagQuery) {
      for await (const resource of adapter.listResources(query)) {
        yield inStore(resource) && resource.tags[TAG.management] !== undefined ? withStoredMark(resource, await store.markOf(keyOf(resource))) : resource;
      }
    },
    async tagResource(resource: CloudResource, tags: CanonicalTags) {
      const { [TAG.sweepMarked]: markedAt, ...others } = tags;
      if (!inStore(resource) || markedAt === undefined || Object.keys(others).length > 0) return adapter.tagResource(resource, tags);
      await store.mark(keyOf(resource), markedAt);
    },
    async deleteResource(resource: CloudResource) {
      await adapter.deleteResource(resource);
      // The resource is gone, so the delete succeeded; a mark left behind names only it, and expires.
      if (inStore(resource)) await store.forget(keyOf(resource)).catch(() => undefined);
    },
  };
}
