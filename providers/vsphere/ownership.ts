/**
 * Canonical tags on vSphere objects: encoded with TAG_ENCODINGS.vsphere on the way in, decoded
 * on the way out, and attached where missing. Attaching only the categories an object lacks
 * heals an object whose tagging was cut short, and never puts a second tag into a SINGLE category
 * (vCenter refuses that), so the first created-at an object got is the one it keeps.
 */
import { TAG_ENCODINGS, cloudTagKey } from '../tag-encoding';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags } from '../types';
import { CLOUD } from './errors';
import type { CloudTags, Tagging } from './tagging';
import type { Moref } from './xml';

export const MANAGEMENT_CATEGORY = cloudTagKey('vsphere', TAG.management);

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
