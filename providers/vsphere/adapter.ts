/**
 * The vSphere provider adapter. VM work speaks vim25 SOAP at <endpoint>/sdk (soap.ts, vim.ts);
 * ownership tags are vSphere tags through the REST tagging API at <endpoint>/rest (tagging.ts),
 * encoded with TAG_ENCODINGS.vsphere. Machines are clones of a template in the cluster's VM
 * folder (machines.ts); the folder is the cluster's infrastructure (folders.ts). Credentials,
 * endpoint, placement and the environment variables a worker reads: options.ts.
 */
import { TAG, matchesTagQuery } from '../tags';
import { ProviderError, type CloudResource, type ClusterInfra, type ProviderAdapter } from '../types';
import { createRedactor } from './errors';
import { CREATED_AT_ATTRIBUTE, SWEEP_MARK_ATTRIBUTE, createCustomAttributes, customValuesOf } from './custom-attributes';
import { createClusterFolders, folderResource } from './folders';
import { createHttpTransport } from './http';
import { createInventory } from './inventory';
import { createMachineOperations } from './machines';
import { pageSizeOf, requestTimeoutOf, taskTimeoutOf, type VsphereAdapterOptions } from './options';
import { MANAGEMENT_CATEGORY, encodeTags, ownershipCloudTags, tagWhereMissing } from './ownership';
import { createRestClient } from './rest';
import { createSoapClient } from './soap';
import { createTagging, morefKey } from './tagging';
import { createVim } from './vim';
import type { Moref } from './xml';

export {
  VCSIM_PLACEMENT,
  VSPHERE_ENDPOINT_ENV,
  VSPHERE_ENV,
  VSPHERE_SECRET_FIELDS,
  vsphereAdapterOptionsFrom,
  type VsphereAdapterOptions,
  type VsphereAdapterOptionsInput,
  type VsphereCredentials,
  type VsphereCredentialsProvider,
  type VspherePlacement,
} from './options';

export function createVsphereAdapter(options: VsphereAdapterOptions): ProviderAdapter {
  const redactor = createRedactor();
  const transport = createHttpTransport(options.endpoint, requestTimeoutOf(options), options.caCertificate, {
    ...(options.allowInsecureEndpoints !== undefined ? { allowInsecureEndpoints: options.allowInsecureEndpoints } : {}),
    ...(options.maxResponseBytes !== undefined ? { maxResponseBytes: options.maxResponseBytes } : {}),
    ...(options.meter !== undefined ? { meter: options.meter } : {}),
  });
  const soap = createSoapClient(transport, options.credentials, redactor.redact, redactor.remember);
  const vim = createVim(soap, { taskTimeoutMs: taskTimeoutOf(options), redact: redactor.redact });
  const tagging = createTagging(createRestClient(transport, options.credentials, redactor.redact, redactor.remember));
  const inventory = createInventory(vim, options.placement);
  const pageSize = pageSizeOf(options);
  const attributes = createCustomAttributes(soap, vim);
  const folders = createClusterFolders(vim, inventory, tagging, attributes);
  const machines = createMachineOperations({ vim, inventory, folders, tagging, attributes, pageSize, defaultTemplate: options.placement.template });

  /** Sets a custom attribute on the object; where `overwrite` is false, only if the object has no value for it. */
  const setAttribute = async (operation: string, object: Moref, name: string, value: string, overwrite: boolean): Promise<void> => {
    const key = await attributes.ensureKey(operation, name);
    if (key === undefined) throw new ProviderError('invalid', `vsphere ${operation}: this endpoint has no custom attributes (a lone ESXi host?), so ${name} cannot be recorded; point Slipway at vCenter`, { operation });
    if (!overwrite) {
      const content = await vim.retrieveOne(operation, object, ['customValue']);
      if (!content) throw new ProviderError('notFound', `vsphere ${operation}: ${object.value} does not exist`, { operation });
      if (customValuesOf(content.props.get('customValue')).get(key)) return;
    }
    // An object that is gone answers ManagedObjectNotFound: a notFound ProviderError (errors.ts).
    await attributes.set(operation, object, key, value);
  };

  return {
    platform: 'vsphere',
    createMachine: machines.createMachine,
    describeMachine: machines.describeMachine,
    listMachines: machines.listMachines,
    deleteMachine: machines.deleteMachine,

    async ensureClusterInfra(request): Promise<ClusterInfra> {
      const operation = 'ensure cluster infrastructure';
      const createdAt = request.tags[TAG.createdAt];
      const folder = await folders.ensure(operation, request.infraId, ownershipCloudTags(operation, request.tags), createdAt);
      return { apiURL: `https://api.${request.clusterName}.${request.baseDomain}:6443`, resources: [folderResource(folder, request.infraId, createdAt)] };
    },

    async deleteClusterInfra(infraId, scope = {}) {
      await folders.deleteIfEmpty('delete cluster infrastructure', infraId, scope);
    },

    /**
     * The objects carrying the management tag category (and the query's tags), found through the
     * tagging API; an empty query adds the datacenter's VMs that carry none, which an orphan sweep
     * reports as kept-untagged. A folder nobody tagged is not listed.
     */
    async *listResources(query) {
      const operation = 'list resources';
      if (Object.keys(query).length === 0) {
        for await (const machine of machines.untaggedMachines(operation)) yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags } satisfies CloudResource;
      }
      const objects = await tagging.objectsTagged(operation, ownershipCloudTags(operation, query), MANAGEMENT_CATEGORY);
      const vms = objects.filter((object) => object.type === 'VirtualMachine');
      for await (const machine of machines.machinesAmong(operation, vms, query)) {
        yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags } satisfies CloudResource;
      }
      const clusterFolders = objects.filter((object) => object.type === 'Folder');
      for await (const resource of folders.resources(operation, clusterFolders, pageSize)) {
        if (resource.tags[TAG.management] !== undefined && matchesTagQuery(resource.tags, query)) yield resource;
      }
    },

    /**
     * A category holds one tag per object, so a key the resource already carries keeps its value.
     * A sweep's mark (and a creation time) is a custom attribute on the object, not a tag: the mark
     * is overwritten, a creation time only set where there is none. The machine key is the VM's name
     * and is not written.
     */
    async tagResource(resource, tags) {
      const operation = `tag ${resource.kind}`;
      encodeTags(operation, tags); // every value is checked, whatever holds it
      let object: Moref | undefined;
      if (resource.kind === 'machine') {
        const instanceUuid = resource.id.replace(/^vsphere:\/\//, '');
        object = await vim.findVmByInstanceUuid(operation, await inventory.datacenter(operation), instanceUuid);
      } else if (resource.kind === 'network') {
        object = { type: 'Folder', value: resource.id };
      }
      if (!object) throw new ProviderError('notFound', `vsphere ${operation}: ${resource.id} does not exist`, { operation });
      const wanted = ownershipCloudTags(operation, tags);
      if (Object.keys(wanted).length > 0) {
        const attached = (await tagging.attachedTags(operation, [object])).get(morefKey(object)) ?? {};
        await tagWhereMissing(tagging, operation, object, wanted, attached);
      }
      const markedAt = tags[TAG.sweepMarked];
      const createdAt = tags[TAG.createdAt];
      if (markedAt !== undefined) await setAttribute(operation, object, SWEEP_MARK_ATTRIBUTE, markedAt, true);
      if (createdAt !== undefined) await setAttribute(operation, object, CREATED_AT_ATTRIBUTE, createdAt, false);
    },

    async deleteResource(resource) {
      if (resource.kind === 'machine') return machines.deleteMachine(resource.id);
      if (resource.kind === 'network') return folders.destroy('delete resource', { type: 'Folder', value: resource.id });
      // This adapter makes no other kind, so there is nothing of it to delete.
    },
  };
}
