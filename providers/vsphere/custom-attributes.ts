/**
 * Per-VM values that are not ownership: custom attributes (vim25 CustomFieldsManager), the vSphere
 * way to hold a value per object. A Slipway attribute is one field definition for VirtualMachine
 * named after the canonical key (`slipway.dev/created-at`), made once when missing; its value lives
 * on the VM and goes with it. A tag would be one more tag per value, left behind by the VM.
 *
 * An attribute's key is a number vCenter assigns; names are looked up in the manager's `field`
 * list and remembered for the adapter's life (a key never changes).
 */
import { faultOf, retryableFailure } from './errors';
import type { SoapClient } from './soap';
import type { Vim } from './vim';
import { child, children, morefElement, text, textElement, type Moref, type XmlNode } from './xml';

export interface CustomAttributes {
  /** The attribute's key, made when missing; undefined where vCenter has no custom attributes (a lone ESXi host). */
  ensureKey(operation: string, name: string): Promise<number | undefined>;
  /** The attribute's key if it exists; undefined otherwise (nothing has one then). */
  findKey(operation: string, name: string): Promise<number | undefined>;
  set(operation: string, entity: Moref, key: number, value: string): Promise<void>;
}

const MANAGED_TYPE = 'VirtualMachine';

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
      if (text(child(def, 'name')) === name && (type === undefined || type === MANAGED_TYPE) && Number.isInteger(key)) {
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
        const answer = await soap.invoke(operation, 'AddCustomFieldDef', ref, textElement('name', name) + textElement('moType', MANAGED_TYPE));
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
