/**
 * Per-object values that are not ownership: custom attributes (vim25 CustomFieldsManager), the
 * vSphere way to hold a value per object. A Slipway attribute is one global field definition (any
 * managed object: VMs and the cluster's folder) named after the canonical key
 * (`slipway.dev/created-at`), made once when missing; its value lives on the object and goes with
 * it. A tag would be one more tag per value, left behind by the object.
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

export interface CustomAttributes {
  /** The attribute's key, made when missing; undefined where vCenter has no custom attributes (a lone ESXi host). */
  ensureKey(operation: string, name: string): Promise<number | undefined>;
  /** The attribute's key if it exists; undefined otherwise (nothing has one then). */
  findKey(operation: string, name: string): Promise<number | undefined>;
  set(operation: string, entity: Moref, key: number, value: string): Promise<void>;
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

export function createCustomAttributes(soap: SoapClient, vim: Vim): CustomAttributes {
  const keys = new Map<string, number>();

  const manager = async (operation: string): Promise<Moref | undefined> => (await soap.serviceContent(operation)).customFieldsManager;

  const lookUp = async (operation: string, name: string): Promise<number | undefined> => {
    const known = keys.get(name);
    if (known !== undefined) return known;
    const ref = await manager(operation);
    if (!ref) return undefined;
    const content = await vim.retrieveOne(operation, ref, ['field']);
    for (const def of children(content?.props.get('field'), 'CustomFieldDef')) {
      const key = Number(text(child(def, 'key')));
      const type = text(child(def, 'managedObjectType'));
      if (text(child(def, 'name')) === name && type === undefined && Number.isInteger(key)) {
        keys.set(name, key);
        return key;
      }
    }
    return undefined;
  };

  return {
    findKey: lookUp,

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
