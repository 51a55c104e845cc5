/**
 * Where things are in the vCenter inventory: the datacenter, its VM folder, the resource pool
 * and datastore clones go to, and templates, each found by inventory path through the
 * SearchIndex once and then remembered (what was found; never what was missing).
 */
import { ProviderError } from '../types';
import { CLOUD } from './errors';
import { VSPHERE_ENV, VSPHERE_SECRET_FIELDS, type VspherePlacement } from './options';
import { sharedPromises } from './shared-promises';
import type { Vim } from './vim';
import type { Moref } from './xml';

export interface Inventory {
  /** `/<datacenter>/vm`: the folder cluster folders live in. */
  readonly vmFolderPath: string;
  datacenter(operation: string): Promise<Moref>;
  vmFolder(operation: string): Promise<Moref>;
  resourcePool(operation: string): Promise<Moref>;
  datastore(operation: string): Promise<Moref | undefined>;
  /** A template by its path under the VM folder (or an absolute inventory path starting with '/'). */
  template(operation: string, name: string): Promise<Moref>;
  /** Forgets every lookup, after vCenter said something remembered is gone. */
  forget(): void;
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

export function createInventory(vim: Vim, placement: VspherePlacement): Inventory {
  const datacenterPath = `/${trimSlashes(placement.datacenter)}`;
  const vmFolderPath = `${datacenterPath}/vm`;
  const remembered = sharedPromises<Moref>();

  const lookup = (operation: string, path: string, missing: () => ProviderError): Promise<Moref> =>
    remembered.get(path, async () => {
      const found = await vim.findByInventoryPath(operation, path);
      if (!found) throw missing();
      return found;
    });

  const placementError = (operation: string, what: string, value: string, field: keyof typeof VSPHERE_ENV & keyof typeof VSPHERE_SECRET_FIELDS) =>
    new ProviderError(
      'invalid',
      `${CLOUD} ${operation}: ${what} "${value}" is not in vCenter's inventory; set the credentials secret's ${VSPHERE_SECRET_FIELDS[field]} field or ${VSPHERE_ENV[field]} on the worker`,
      { operation },
    );

  return {
    vmFolderPath,
    forget: () => remembered.clear(),
    datacenter: (operation) => lookup(operation, datacenterPath, () => placementError(operation, 'the datacenter', placement.datacenter, 'datacenter')),
    vmFolder: (operation) => lookup(operation, vmFolderPath, () => placementError(operation, "the datacenter's VM folder of", placement.datacenter, 'datacenter')),
    resourcePool: (operation) =>
      lookup(operation, `${datacenterPath}/host/${trimSlashes(placement.resourcePool)}`, () => placementError(operation, 'the resource pool', placement.resourcePool, 'resourcePool')),
    async datastore(operation) {
      const name = placement.datastore;
      if (name === undefined) return undefined;
      return lookup(operation, `${datacenterPath}/datastore/${trimSlashes(name)}`, () => placementError(operation, 'the datastore', name, 'datastore'));
    },
    template(operation, name) {
      const path = name.startsWith('/') ? name : `${vmFolderPath}/${trimSlashes(name)}`;
      return lookup(
        operation,
        path,
        () =>
          new ProviderError(
            'invalid',
            `${CLOUD} ${operation}: image "${name}" names no VM or template at ${path}; import the template (e.g. the RHCOS OVA) there, or fix the machine template's image`,
            { operation },
          ),
      );
    },
  };
}
