/**
 * Per-object values that are not ownership: custom attributes (vim25 CustomFieldsManager), the
 * vSphere way to hold a value per object. A Slipway attribute is one global field definition (any
 * managed object: VMs and the cluster's folder) named after the canonical key
 * (`slipway.dev/created-at`, `slipway.dev/sweep-marked`), made once when missing; its value lives
 * on the object and goes with it. A tag would be one more tag per value (per moment, for these
 * two), left behind by the object.
 *
 * An attribute's key is a number vCenter assigns; names are looked up in the manager's `field`
 * list and remembered for the adapter's life (a key never changes).
 */
import { TAG } from '../tags';
import { faultOf, retryableFailure } from './errors';
import type { SoapClient } from './soap';
import type { Vim } from './vim';
import { child, children, morefElement, text, textElement, type Moref, type XmlNode } from './xml';

/** The attribute holding when Slipway made the object (a VM or a cluster folder). */
export const CREATED_AT_ATTRIBUTE = TAG.createdAt;
/** The attribute holding when an orphan sweep marked the object; an empty value is no mark. */
export const SWEEP_MARK_ATTRIBUTE = TAG.sweepMarked;
/** The canonical keys held as custom attributes, never as vSphere tags. */
export const ATTRIBUTE_TAG_KEYS = [CREATED_AT_ATTRIBUTE, SWEEP_MARK_ATTRIBUTE] as const;

/** The attribute keys vCenter assigned, by canonical key; a key is absent while its attribute does not exist. */
export type AttributeKeys = Partial<Record<(typeof ATTRIBUTE_TAG_KEYS)[number], number>>;

export interface CustomAttributes {
  /** The attribute's key, made when missing; undefined where vCenter has no custom attributes (a lone ESXi host). */
  ensureKey(operation: string, name: string): Promise<number | undefined>;
  /** The attribute's key if it exists; undefined otherwise (nothing has one then). */
  findKey(operation: string, name: string): Promise<number | undefined>;
  set(operation: string, entity: Moref, key: number, value: string): Promise<void>;
  /** The keys of the attributes that hold canonical tags (ATTRIBUTE_TAG_KEYS), those that exist. */
  keysOf(operation: string): Promise<AttributeKeys>;
}

/** The canonical tags an object's custom values hold (empty values are none). */
export function attributeTagsOf(customValue: XmlNode | undefined, keys: AttributeKeys): Record<string, string> {
  const values = customValuesOf(customValue);
  const tags: Record<string, string> = {};
  for (const name of ATTRIBUTE_TAG_KEYS) {
    const key = keys[name];
    const value = key === undefined ? undefined : values.get(key);
    if (value !== undefined && value !== '') tags[name] = value;
  }
  return tags;
}

/** An object's `customValue` property as key to value. */
export function customValuesOf(property: XmlNode | undefined): Map<number, string> {
  const values = new Map<number, string>();
  for (const entry of children(property, 'CustomFieldValue')) {
    const key = Number(text(child(entry, 'key')));
    const value = text(child(entry, 'value'));
    if (Number.isInteger(key) && value !== undefined) values.set(key, value);
  }
  return values;
}

/**
 * How long keysOf trusts that an attribute does not exist before reading the field list again: a
 * list must not cost one more call each time while, say, no sweep ever marked anything. Seeing an
 * attribute another worker just made up to this late only makes an object look unmarked (it is
 * marked again, and deleted a run later) or younger than it is (its clone time stands in).
 */
const MISSING_FIELD_TRUST_MS = 30_000;

export function createCustomAttributes(soap: SoapClient, vim: Vim, now: () => number = Date.now): CustomAttributes {
  const keys = new Map<string, number>();
  let fieldsReadAt = Number.NEGATIVE_INFINITY;

  const manager = async (operation: string): Promise<Moref | undefined> => (await soap.serviceContent(operation)).customFieldsManager;

  /** Reads the manager's field list once, learning every global attribute in it (a key never changes). */
  const readFields = async (operation: string): Promise<void> => {
    const ref = await manager(operation);
    if (!ref) return;
    const content = await vim.retrieveOne(operation, ref, ['field']);
    fieldsReadAt = now();
    for (const def of children(content?.props.get('field'), 'CustomFieldDef')) {
      const key = Number(text(child(def, 'key')));
      const name = text(child(def, 'name'));
      if (name !== undefined && text(child(def, 'managedObjectType')) === undefined && Number.isInteger(key)) keys.set(name, key);
    }
  };

  const lookUp = async (operation: string, name: string): Promise<number | undefined> => {
    if (!keys.has(name)) await readFields(operation);
    return keys.get(name);
  };

  return {
    findKey: lookUp,

    async keysOf(operation) {
      if (ATTRIBUTE_TAG_KEYS.some((name) => !keys.has(name)) && now() - fieldsReadAt >= MISSING_FIELD_TRUST_MS) await readFields(operation);
      const found: AttributeKeys = {};
      for (const name of ATTRIBUTE_TAG_KEYS) {
        const key = keys.get(name);
        if (key !== undefined) found[name] = key;
      }
      return found;
    },

    async ensureKey(operation, name) {
      const found = await lookUp(operation, name);
      if (found !== undefined) return found;
      const ref = await manager(operation);
      if (!ref) return undefined;
      try {
        // No moType: the field applies to every kind of managed object.
        const answer = await soap.invoke(operation, 'AddCustomFieldDef', ref, textElement('name', name));
        const key = Number(text(child(child(answer, 'returnval'), 'key')));
        if (Number.isInteger(key)) {
          keys.set(name, key);
          return key;
        }
      } catch (error) {
        // Another worker made it in between.
        if (faultOf(error) !== 'DuplicateName') throw error;
      }
      const made = await lookUp(operation, name);
      if (made === undefined) throw retryableFailure(operation, `vCenter made custom attribute ${name} but does not list it yet`);
      return made;
    },

    async set(operation, entity, key, value) {
      const ref = await manager(operation);
      if (!ref) return;
      await soap.invoke(operation, 'SetField', ref, morefElement('entity', entity) + textElement('key', key) + textElement('value', value));
    },
  };
}
