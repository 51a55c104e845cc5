/**
 * A cluster's infrastructure on vSphere is one VM folder, `<infraId>`, directly under the
 * datacenter's VM folder, tagged with the cluster's ownership tags; its machines are cloned
 * into it. vSphere IPI leaves the load balancer and DNS to the site, so there is nothing else.
 * The folder is reported as a resource of kind 'network': the container a sweep deletes last.
 */
import type { CanonicalTags, CloudResource } from '../types';
import { invalidField } from '../http-errors';
import { TAG, isOwned, type OwnershipScope } from '../tags';
import { CREATED_AT_ATTRIBUTE, attributeTagsOf, customValuesOf, type CustomAttributes } from './custom-attributes';
import { CLOUD, faultOf, retryableFailure } from './errors';
import type { Inventory } from './inventory';
import { MANAGEMENT_CATEGORY, decodeTags, droppableOf, existingObjects, tagWhereMissing } from './ownership';
import { morefKey, type CloudTags, type Tagging } from './tagging';
import { sharedPromises } from './shared-promises';
import type { Vim } from './vim';
import { children, morefOf, text, type Moref } from './xml';

export interface ClusterFolder {
  readonly ref: Moref;
  readonly tags: CanonicalTags;
}

export interface ClusterFolders {
  /** Finds or makes the folder, attaches whichever of the tags it lacks, and records its creation time (a custom attribute) if it has none. */
  ensure(operation: string, infraId: string, tags: CloudTags, createdAt?: string): Promise<ClusterFolder>;
  find(operation: string, infraId: string): Promise<Moref | undefined>;
  /** Drops what is remembered of a folder vCenter says is gone. */
  forget(folder: Moref): void;
  /** Infra IDs whose folder this adapter has seen, for finding a machine by name without a search. */
  knownInfraIds(): string[];
  /** Destroys the cluster's folder once it holds no VM, and only when it carries our management tag (the scope's, when given) and the cluster's tag; one still holding a VM is left for the sweep. */
  deleteIfEmpty(operation: string, infraId: string, scope?: OwnershipScope): Promise<void>;
  /** Destroys the folder and whatever is left in it: in the cluster's own folder, that is the cluster's. */
  destroy(operation: string, folder: Moref): Promise<void>;
  resources(operation: string, folders: readonly Moref[], pageSize: number): AsyncGenerator<CloudResource>;
}

export function folderResource(folder: ClusterFolder, name: string, createdAt?: string): CloudResource {
  return { kind: 'network', id: folder.ref.value, name, tags: folder.tags, ...(createdAt ? { createdAt } : {}) };
}

/** Objects a cluster tag may still be on, read a page at a time when a folder goes. */
const PAGE_SIZE = 100;

export function createClusterFolders(vim: Vim, inventory: Inventory, tagging: Tagging, attributes: CustomAttributes): ClusterFolders {
  const found = new Map<string, Moref>();
  const ensured = sharedPromises<ClusterFolder>();

  const forget = (ref: Moref): void => {
    for (const [infraId, known] of found) {
      if (known.value === ref.value) {
        found.delete(infraId);
        ensured.drop(infraId);
      }
    }
  };

  const find = async (operation: string, infraId: string): Promise<Moref | undefined> => {
    const known = found.get(infraId);
    if (known) return known;
    const ref = await vim.findChild(operation, await inventory.vmFolder(operation), infraId);
    if (ref?.type === 'Folder') found.set(infraId, ref);
    return ref?.type === 'Folder' ? ref : undefined;
  };

  const makeOrFind = async (operation: string, infraId: string): Promise<{ ref: Moref; fresh: boolean }> => {
    const existing = await find(operation, infraId);
    if (existing) return { ref: existing, fresh: false };
    try {
      const ref = await vim.createFolder(operation, await inventory.vmFolder(operation), infraId);
      found.set(infraId, ref);
      return { ref, fresh: true };
    } catch (error) {
      if (faultOf(error) !== 'DuplicateName') throw error;
    }
    // Made by a call whose answer was lost, or by another worker in between.
    const made = await find(operation, infraId);
    if (!made) throw retryableFailure(operation, `vCenter says folder ${infraId} exists, but it is not in ${inventory.vmFolderPath}`);
    return { ref: made, fresh: false };
  };

  /** A folder has no creation date of its own in vSphere: the first ensure records one, and a retry keeps it. */
  const recordCreatedAt = async (operation: string, folder: Moref, createdAt: string): Promise<void> => {
    const key = await attributes.ensureKey(operation, CREATED_AT_ATTRIBUTE);
    if (key === undefined) return;
    const content = await vim.retrieveOne(operation, folder, ['customValue']);
    if (customValuesOf(content?.props.get('customValue')).has(key)) return;
    await attributes.set(operation, folder, key, createdAt);
  };

  /** Destroys the folder, then the cluster's tag (and an owner's) once no object carries it any more. */
  const destroy = async (operation: string, folder: Moref): Promise<void> => {
    const own = (await tagging.attachedTags(operation, [folder])).get(morefKey(folder)) ?? {};
    try {
      await vim.waitForTask(operation, await vim.destroy(operation, folder));
    } catch (error) {
      if (faultOf(error) !== 'ManagedObjectNotFound') throw error;
    }
    forget(folder);
    await tagging.deleteUnused(operation, droppableOf(own), folder, existingObjects(vim, PAGE_SIZE));
  };

  return {
    find,
    forget,
    destroy,
    knownInfraIds: () => [...found.keys()],

    ensure: (operation, infraId, wanted, createdAt) =>
      ensured.get(infraId, async () => {
        const { ref, fresh } = await makeOrFind(operation, infraId);
        if (createdAt !== undefined) await recordCreatedAt(operation, ref, createdAt);
        const attached = fresh ? {} : ((await tagging.attachedTags(operation, [ref])).get(morefKey(ref)) ?? {});
        const owner = attached[MANAGEMENT_CATEGORY];
        if (owner !== undefined && owner !== wanted[MANAGEMENT_CATEGORY]) {
          throw invalidField(CLOUD, operation, 'infraId', `"${infraId}" is the folder of a cluster of another management cluster (${owner}); pick another cluster name`);
        }
        const tags = await tagWhereMissing(tagging, operation, ref, wanted, attached);
        return { ref, tags: decodeTags(tags) };
      }),

    async deleteIfEmpty(operation, infraId, scope = {}) {
      const folder = await find(operation, infraId);
      if (!folder) return;
      const tags = decodeTags((await tagging.attachedTags(operation, [folder])).get(morefKey(folder)) ?? {});
      if (!isOwned(tags, infraId, scope)) return;
      const content = await vim.retrieveOne(operation, folder, ['childEntity']);
      if (!content) {
        forget(folder);
        return;
      }
      const held = children(content.props.get('childEntity'), 'ManagedObjectReference').flatMap((node) => morefOf(node) ?? []);
      if (held.some((ref) => ref.type === 'VirtualMachine')) return;
      await destroy(operation, folder);
    },

    async *resources(operation, folders, pageSize) {
      const keys = folders.length > 0 ? await attributes.keysOf(operation) : {};
      for await (const page of vim.retrieve(operation, folders, { Folder: ['name', 'customValue'] }, pageSize)) {
        const tagsByFolder = await tagging.attachedTags(
          operation,
          page.map((content) => content.obj),
        );
        for (const content of page) {
          const name = text(content.props.get('name')) ?? content.obj.value;
          // The creation time and a sweep's mark are attributes (a mark tag from before they were is read too).
          const recorded = attributeTagsOf(content.props.get('customValue'), keys);
          const { [TAG.createdAt]: createdAt, ...others } = recorded;
          const tags = { ...decodeTags(tagsByFolder.get(morefKey(content.obj)) ?? {}), ...others };
          yield folderResource({ ref: content.obj, tags }, name, createdAt);
        }
      }
    },
  };
}
