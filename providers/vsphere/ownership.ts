/**
 * Canonical tags on vSphere objects: encoded with TAG_ENCODINGS.vsphere on the way in, decoded
 * on the way out, and attached where missing. Only ownership keys become tags, whose values are
 * few (a management plane, a cluster, a role, an owner): a machine's name is its VM's name, and its
 * creation time and an orphan sweep's mark are custom attributes (custom-attributes.ts), since a
 * tag per machine or per moment would be one more vSphere tag for every machine ever made (and
 * for every sweep run that marked something). Attaching only the categories an object lacks
 * heals an object whose tagging was cut short, and never puts a second tag into a SINGLE category
 * (vCenter refuses that), so the first created-at an object got is the one it keeps.
 */
import { TAG_ENCODINGS, cloudTagKey } from '../tag-encoding';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags } from '../types';
import { CLOUD } from './errors';
import { morefKey, type CloudTags, type ExistingObjects, type Tagging } from './tagging';
import type { Vim } from './vim';
import type { Moref } from './xml';

export const MANAGEMENT_CATEGORY = cloudTagKey('vsphere', TAG.management);

/** Canonical keys never written as vSphere tags. */
export const UNTAGGED_KEYS = [TAG.machine, TAG.createdAt, TAG.sweepMarked] as const;

/**
 * Keys whose tags come and go with clusters and machines: deleted once the last object carrying one
 * goes (the machine, created-at and sweep-marked ones only exist from before they stopped being tags).
 */
export const DROPPABLE_CATEGORIES: readonly string[] = ([TAG.cluster, TAG.owner, TAG.machine, TAG.createdAt, TAG.sweepMarked] as const).map((key) => cloudTagKey('vsphere', key));

/** The tags of these canonical tags, leaving out what is not a tag on vSphere; every value is checked as if it were. */
export function ownershipCloudTags(operation: string, tags: Readonly<Record<string, string>>): CloudTags {
  const untagged = new Set(UNTAGGED_KEYS.map((key) => cloudTagKey('vsphere', key)));
  return Object.fromEntries(Object.entries(encodeTags(operation, tags)).filter(([category]) => !untagged.has(category)));
}

/** The droppable ones among an object's tags, to delete once it is gone and nothing else carries them. */
export function droppableOf(attached: CloudTags): CloudTags {
  return Object.fromEntries(Object.entries(attached).filter(([category]) => DROPPABLE_CATEGORIES.includes(category)));
}

export function encodeTags(operation: string, tags: Readonly<Record<string, string>>): CloudTags {
  try {
    return TAG_ENCODINGS.vsphere.encode(tags);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProviderError('invalid', `${CLOUD} ${operation}: tags cannot be written as vSphere tags: ${reason}`, { operation });
  }
}

export function decodeTags(cloudTags: CloudTags): CanonicalTags {
  return TAG_ENCODINGS.vsphere.decode(cloudTags);
}

/** Attaches the wanted tags whose category the object has no tag of; the object's tags afterwards. */
export async function tagWhereMissing(tagging: Tagging, operation: string, object: Moref, wanted: CloudTags, attached: CloudTags): Promise<CloudTags> {
  const missing = Object.fromEntries(Object.entries(wanted).filter(([category]) => !Object.hasOwn(attached, category)));
  if (Object.keys(missing).length > 0) await tagging.attach(operation, object, await tagging.ensureTagIds(operation, missing));
  return { ...missing, ...attached };
}

/** Which of the objects (VMs and folders, what Slipway tags) still exist, read through the PropertyCollector, which leaves out missing ones. */
export function existingObjects(vim: Vim, pageSize: number): ExistingObjects {
  return async (operation, objects) => {
    const found = new Set<string>();
    const types = [...new Set(objects.map((object) => object.type))];
    for await (const page of vim.retrieve(operation, objects, Object.fromEntries(types.map((type) => [type, ['name']])), pageSize)) {
      for (const content of page) found.add(morefKey(content.obj));
    }
    return found;
  };
}
