/**
 * Ownership tags as vSphere tags (REST /rest/com/vmware/cis/tagging/...). Each Slipway key is a
 * category named by TAG_ENCODINGS.vsphere (slipway.dev_cluster, ...), cardinality SINGLE,
 * associable with VirtualMachine and Folder; a value is a tag of that name in its category.
 * Categories and tags are made when missing. vCenter looks neither up by name, so what is learnt
 * (IDs, names) is remembered for the adapter's life: IDs never change, and a listing that was cut
 * short by a failure keeps what it learnt for the next attempt.
 */
import { CANONICAL_TAG_KEYS, cloudTagKey } from '../tag-encoding';
import { ProviderError } from '../types';
import { faultOf, retryableFailure } from './errors';
import type { RestClient } from './rest';
import type { Moref } from './xml';

/** Category name (a Slipway cloud key) to tag name (the encoded value). */
export type CloudTags = Readonly<Record<string, string>>;

export interface Tagging {
  /** The IDs of these tags, making the categories and tags that are missing. */
  ensureTagIds(operation: string, tags: CloudTags): Promise<string[]>;
  attach(operation: string, object: Moref, tagIds: readonly string[]): Promise<void>;
  /** The Slipway tags attached to each object, by moref key (see morefKey); other categories are left out. */
  attachedTags(operation: string, objects: readonly Moref[]): Promise<Map<string, Record<string, string>>>;
  /** The objects carrying every one of the tags; an empty query means any tag of `anyOfCategory`. */
  objectsTagged(operation: string, tags: CloudTags, anyOfCategory: string): Promise<Moref[]>;
  /**
   * Deletes those of the tags that no object but `gone` carries any more. An association naming an
   * object that no longer exists does not count (vcsim keeps those; vCenter drops them).
   */
  deleteUnused(operation: string, tags: CloudTags, gone: Moref, existing: ExistingObjects): Promise<void>;
}

/** The keys (morefKey) of those of the objects that still exist. */
export type ExistingObjects = (operation: string, objects: readonly Moref[]) => Promise<ReadonlySet<string>>;

interface TagInfo {
  readonly categoryId: string;
  readonly name: string;
}

const BASE = '/rest/com/vmware/cis/tagging';
const ASSOCIABLE_TYPES = ['VirtualMachine', 'Folder'];
const SLIPWAY_CATEGORIES = new Set(CANONICAL_TAG_KEYS.map((key) => cloudTagKey('vsphere', key)));

export function morefKey(ref: Moref): string {
  return `${ref.type}:${ref.value}`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function objectIds(value: unknown): Moref[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const { id, type } = record(item);
    return typeof id === 'string' && typeof type === 'string' ? [{ type, value: id }] : [];
  });
}

function idPath(kind: 'category' | 'tag', id: string): string {
  return `${BASE}/${kind}/id:${encodeURIComponent(id)}`;
}

export function createTagging(rest: RestClient): Tagging {
  const categoryNames = new Map<string, string>();
  const categoryIds = new Map<string, string>();
  const tags = new Map<string, TagInfo>();
  const tagIds = new Map<string, string>();
  const inFlight = new Map<string, Promise<string>>();
  const tagKey = (categoryId: string, name: string): string => `${categoryId}\u0000${name}`;

  const once = (key: string, make: () => Promise<string>): Promise<string> => {
    let pending = inFlight.get(key);
    if (!pending) {
      pending = make().finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };

  /** A category's or tag's fields; undefined when vCenter no longer has it. */
  const fieldsOf = async (operation: string, kind: 'category' | 'tag', id: string): Promise<Record<string, unknown> | undefined> => {
    try {
      return record(await rest.call(operation, 'GET', idPath(kind, id)));
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return undefined;
      throw error;
    }
  };

  const learnCategory = async (operation: string, id: string): Promise<string | undefined> => {
    const known = categoryNames.get(id);
    if (known !== undefined) return known;
    const name = (await fieldsOf(operation, 'category', id))?.name;
    if (typeof name !== 'string') return undefined;
    categoryNames.set(id, name);
    categoryIds.set(name, id);
    return name;
  };

  const learnTag = async (operation: string, id: string): Promise<TagInfo | undefined> => {
    const known = tags.get(id);
    if (known) return known;
    const fields = await fieldsOf(operation, 'tag', id);
    const name = fields?.name;
    const categoryId = fields?.category_id;
    if (typeof name !== 'string' || typeof categoryId !== 'string') return undefined;
    const info = { categoryId, name };
    tags.set(id, info);
    tagIds.set(tagKey(categoryId, name), id);
    return info;
  };

  const scanCategories = async (operation: string, name: string): Promise<string | undefined> => {
    for (const id of strings(await rest.call(operation, 'GET', `${BASE}/category`))) {
      if ((await learnCategory(operation, id)) === name) return id;
    }
    return undefined;
  };

  const scanTags = async (operation: string, categoryId: string, name: string): Promise<string | undefined> => {
    const ids = strings(await rest.call(operation, 'POST', `${idPath('tag', categoryId)}?~action=list-tags-for-category`));
    for (const id of ids) {
      if ((await learnTag(operation, id))?.name === name) return id;
    }
    return undefined;
  };

  /** Creates first: a category or tag usually does not exist yet, and the create answers with its ID. */
  const createOrFind = async (operation: string, kind: 'category' | 'tag', spec: Record<string, unknown>, find: () => Promise<string | undefined>): Promise<string> => {
    try {
      const id = await rest.call(operation, 'POST', `${BASE}/${kind}`, { create_spec: spec });
      if (typeof id === 'string' && id !== '') return id;
      throw retryableFailure(operation, `vCenter made a ${kind} but sent no ID`);
    } catch (error) {
      if (faultOf(error) !== 'already_exists') throw error;
    }
    const found = await find();
    if (found === undefined) throw retryableFailure(operation, `vCenter says ${kind} "${String(spec.name)}" exists but it could not be found`);
    return found;
  };

  const ensureCategory = (operation: string, name: string): Promise<string> => {
    const known = categoryIds.get(name);
    if (known !== undefined) return Promise.resolve(known);
    return once(`category\u0000${name}`, async () => {
      const spec = { name, description: `Slipway ownership tag ${name}`, cardinality: 'SINGLE', associable_types: ASSOCIABLE_TYPES };
      const id = await createOrFind(operation, 'category', spec, () => scanCategories(operation, name));
      categoryNames.set(id, name);
      categoryIds.set(name, id);
      return id;
    });
  };

  const ensureTag = async (operation: string, category: string, name: string): Promise<string> => {
    const categoryId = await ensureCategory(operation, category);
    const known = tagIds.get(tagKey(categoryId, name));
    if (known !== undefined) return known;
    return once(`tag\u0000${categoryId}\u0000${name}`, async () => {
      const id = await createOrFind(operation, 'tag', { name, description: '', category_id: categoryId }, () => scanTags(operation, categoryId, name));
      tags.set(id, { categoryId, name });
      tagIds.set(tagKey(categoryId, name), id);
      return id;
    });
  };

  const findCategory = async (operation: string, name: string): Promise<string | undefined> => categoryIds.get(name) ?? (await scanCategories(operation, name));

  const findTag = async (operation: string, category: string, name: string): Promise<string | undefined> => {
    const categoryId = await findCategory(operation, category);
    if (categoryId === undefined) return undefined;
    return tagIds.get(tagKey(categoryId, name)) ?? (await scanTags(operation, categoryId, name));
  };

  /** A tag already gone is deleted: a sibling machine's delete, or this call's earlier attempt whose answer was lost, removed it. */
  const deleteTag = async (operation: string, id: string): Promise<void> => {
    try {
      await rest.call(operation, 'DELETE', idPath('tag', id));
    } catch (error) {
      if (!(error instanceof ProviderError && error.kind === 'notFound')) throw error;
    }
  };

  const attachedObjects = async (operation: string, ids: readonly string[]): Promise<Map<string, Moref[]>> => {
    const value = await rest.call(operation, 'POST', `${BASE}/tag-association?~action=list-attached-objects-on-tags`, { tag_ids: ids });
    const byTag = new Map<string, Moref[]>();
    for (const entry of Array.isArray(value) ? value : []) {
      const { tag_id: tagId, object_ids: objects } = record(entry);
      if (typeof tagId === 'string') byTag.set(tagId, objectIds(objects));
    }
    return byTag;
  };

  return {
    ensureTagIds: (operation, wanted) => Promise.all(Object.entries(wanted).map(([category, name]) => ensureTag(operation, category, name))),

    async attach(operation, object, ids) {
      if (ids.length === 0) return;
      const value = record(
        await rest.call(operation, 'POST', `${BASE}/tag-association?~action=attach-multiple-tags-to-object`, { object_id: { id: object.value, type: object.type }, tag_ids: ids }),
      );
      if (value.success === false) {
        // A tag was deleted behind our back: forget what we knew, so the next attempt makes it again.
        tags.clear();
        tagIds.clear();
        throw retryableFailure(operation, `vCenter did not attach every tag to ${object.value}`);
      }
    },

    async attachedTags(operation, objects) {
      const result = new Map<string, Record<string, string>>();
      if (objects.length === 0) return result;
      const value = await rest.call(operation, 'POST', `${BASE}/tag-association?~action=list-attached-tags-on-objects`, {
        object_ids: objects.map((object) => ({ id: object.value, type: object.type })),
      });
      for (const entry of Array.isArray(value) ? value : []) {
        const { object_id: objectId, tag_ids: ids } = record(entry);
        const [object] = objectIds([objectId]);
        if (!object) continue;
        const cloudTags: Record<string, string> = {};
        for (const id of strings(ids)) {
          const info = await learnTag(operation, id);
          const category = info && (await learnCategory(operation, info.categoryId));
          if (info && category !== undefined && SLIPWAY_CATEGORIES.has(category)) cloudTags[category] = info.name;
        }
        result.set(morefKey(object), cloudTags);
      }
      return result;
    },

    async deleteUnused(operation, unused, gone, existing) {
      const ids: string[] = [];
      for (const [category, name] of Object.entries(unused)) {
        const id = await findTag(operation, category, name);
        if (id !== undefined) ids.push(id);
      }
      if (ids.length === 0) return;
      const byTag = await attachedObjects(operation, ids);
      const others = new Map<string, Moref>();
      for (const objects of byTag.values()) for (const object of objects) if (morefKey(object) !== morefKey(gone)) others.set(morefKey(object), object);
      const live = others.size > 0 ? await existing(operation, [...others.values()]) : new Set<string>();
      for (const id of ids) {
        if ((byTag.get(id) ?? []).some((object) => live.has(morefKey(object)))) continue;
        await deleteTag(operation, id);
        const info = tags.get(id);
        tags.delete(id);
        if (info) tagIds.delete(tagKey(info.categoryId, info.name));
      }
    },

    async objectsTagged(operation, wanted, anyOfCategory) {
      const entries = Object.entries(wanted);
      if (entries.length === 0) {
        const categoryId = await findCategory(operation, anyOfCategory);
        if (categoryId === undefined) return [];
        const ids = strings(await rest.call(operation, 'POST', `${idPath('tag', categoryId)}?~action=list-tags-for-category`));
        if (ids.length === 0) return [];
        const union = new Map<string, Moref>();
        for (const objects of (await attachedObjects(operation, ids)).values()) for (const object of objects) union.set(morefKey(object), object);
        return [...union.values()];
      }
      const ids: string[] = [];
      for (const [category, name] of entries) {
        const id = await findTag(operation, category, name);
        if (id === undefined) return [];
        ids.push(id);
      }
      const byTag = await attachedObjects(operation, ids);
      const [first, ...others] = ids.map((id) => byTag.get(id) ?? []);
      const otherKeys = others.map((objects) => new Set(objects.map(morefKey)));
      return (first ?? []).filter((object) => otherKeys.every((keys) => keys.has(morefKey(object))));
    },
  };
}
