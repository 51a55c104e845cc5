/**
 * Machines are VMs cloned from a template into the cluster's folder, then tagged, then powered
 * on; the provider ID is vsphere://<config.instanceUuid>. The size (instanceType) is in the clone
 * spec; a VM that did not take it (vcsim ignores the clone spec's config) is reconfigured while it
 * is still powered off. A create looks the VM up by name in
 * the folder first, and a clone that meets DuplicateName takes the VM that is there: a create
 * whose answer was lost, or that was cut short before tagging or powering on, is finished by the
 * next one instead of being repeated. Deleting powers off and destroys; a VM that is gone is done.
 *
 * Only ownership keys are vSphere tags (ownership.ts); the machine tag is read from the VM name,
 * the creation time is the custom attribute `slipway.dev/created-at` set at the first create
 * (else vSphere's own config.createDate), and an orphan sweep's mark the attribute
 * `slipway.dev/sweep-marked`. A deleted VM's cluster and owner tags go once nothing else carries them.
 *
 * Phases: poweredOn is running. A VM of ours that is poweredOff or suspended was stopped by
 * someone after its create finished (a create powers its VM on before it returns), so it is failed.
 */
import { invalidField } from '../http-errors';
import { TAG, matchesTagQuery } from '../tags';
import type { CanonicalTags, CloudMachine, MachineCreateRequest, MachinePhase, TagQuery } from '../types';
import { CREATED_AT_ATTRIBUTE, attributeTagsOf, customValuesOf, type AttributeKeys, type CustomAttributes } from './custom-attributes';
import { CLOUD, faultOf, retryableFailure } from './errors';
import type { ClusterFolders } from './folders';
import type { Inventory } from './inventory';
import { MANAGEMENT_CATEGORY, decodeTags, droppableOf, existingObjects, ownershipCloudTags, tagWhereMissing } from './ownership';
import { SIZE_SYNTAX, machineSize, type MachineSize } from './sizes';
import { morefKey, type CloudTags, type Tagging } from './tagging';
import type { ObjectContent, Vim } from './vim';
import { morefOf, text, type Moref } from './xml';

export interface MachineOperations {
  createMachine(request: MachineCreateRequest): Promise<CloudMachine>;
  describeMachine(name: string): Promise<CloudMachine | undefined>;
  listMachines(query: TagQuery): AsyncGenerator<CloudMachine>;
  /** The machines among these VMs that carry the query's tags (and the management tag), page by page. */
  machinesAmong(operation: string, vms: readonly Moref[], query: TagQuery): AsyncGenerator<CloudMachine>;
  /** Every VM of the datacenter that carries no management tag (templates left out), page by page: what no Slipway made, or whose tagging was lost. */
  untaggedMachines(operation: string): AsyncGenerator<CloudMachine>;
  deleteMachine(providerId: string): Promise<void>;
}

export interface MachineDeps {
  readonly vim: Vim;
  readonly inventory: Inventory;
  readonly folders: ClusterFolders;
  readonly tagging: Tagging;
  readonly attributes: CustomAttributes;
  readonly pageSize: number;
  /** Cloned when a machine's image is empty. */
  readonly defaultTemplate: string | undefined;
}

const PROVIDER_ID_PREFIX = 'vsphere://';
const VM_PATHS = ['name', 'config.instanceUuid', 'config.createDate', 'customValue', 'runtime.powerState', 'guest.ipAddress'];
/** A create also checks the size before it powers a VM on. */
const CREATE_PATHS = [...VM_PATHS, 'config.hardware.numCPU', 'config.hardware.memoryMB'];
/** vCenter 5.0 and later (VMware KB 2051649); these characters it does not escape (KB 2046088). */
const MAX_VM_NAME = 80;
const UNESCAPED_IN_NAMES = /[%&*$#@!\\/:?"<>|;']/;
/** The tags a cluster folder made on a machine's first create gets: those of the cluster, not of the machine. */
const CLUSTER_TAG_KEYS: readonly string[] = [TAG.management, TAG.cluster];
/** The custom attribute holding the creation time the workflow gave the machine. */

function phaseOf(powerState: string | undefined): MachinePhase {
  return powerState === 'poweredOn' ? 'running' : 'failed';
}

function isoTime(value: string | undefined): string | undefined {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * The canonical tags of a VM: its ownership tags, its machine name (the VM name less the
 * cluster's `<infraId>-`), its creation time (the attribute, else vSphere's config.createDate) and
 * a sweep's mark (the attribute; a mark tag from before marks were attributes is read too).
 */
function canonicalTagsOfVm(content: ObjectContent, cloudTags: CloudTags, keys: AttributeKeys): CanonicalTags {
  const tags: Record<string, string> = { ...decodeTags(cloudTags) };
  const name = text(content.props.get('name'));
  const infraId = tags[TAG.cluster];
  if (tags[TAG.machine] === undefined && name !== undefined && infraId !== undefined && name.startsWith(`${infraId}-`)) tags[TAG.machine] = name.slice(infraId.length + 1);
  const recorded = attributeTagsOf(content.props.get('customValue'), keys);
  const createdAt = recorded[TAG.createdAt] ?? tags[TAG.createdAt] ?? isoTime(text(content.props.get('config.createDate')));
  if (createdAt !== undefined) tags[TAG.createdAt] = createdAt;
  const marked = recorded[TAG.sweepMarked] ?? tags[TAG.sweepMarked];
  if (marked !== undefined) tags[TAG.sweepMarked] = marked;
  return tags;
}

function toMachine(content: ObjectContent, cloudTags: CloudTags, keys: AttributeKeys): CloudMachine | undefined {
  const instanceUuid = text(content.props.get('config.instanceUuid'));
  // A VM still being made has no config yet; it is reported once it has.
  if (!instanceUuid) return undefined;
  const tags = canonicalTagsOfVm(content, cloudTags, keys);
  const privateIp = text(content.props.get('guest.ipAddress'));
  const createdAt = tags[TAG.createdAt];
  return {
    providerId: `${PROVIDER_ID_PREFIX}${instanceUuid}`,
    name: text(content.props.get('name')) ?? content.obj.value,
    phase: phaseOf(text(content.props.get('runtime.powerState'))),
    tags,
    ...(createdAt ? { createdAt } : {}),
    ...(privateIp ? { privateIp } : {}),
  };
}

/** Machine names are `<infraId>-<machine>`: every prefix before a '-' may be the infra ID, longest first. */
export function infraIdCandidates(name: string): string[] {
  const candidates: string[] = [];
  for (let index = name.lastIndexOf('-'); index > 0; index = name.lastIndexOf('-', index - 1)) candidates.push(name.slice(0, index));
  return candidates;
}

interface ValidCreate {
  readonly size: MachineSize;
  readonly template: string;
  readonly tags: CloudTags;
  readonly folderTags: CloudTags;
  readonly createdAt: string | undefined;
}

function validate(operation: string, request: MachineCreateRequest, defaultTemplate: string | undefined): ValidCreate {
  if (request.name.length === 0) throw invalidField(CLOUD, operation, 'name', 'must not be empty');
  if (request.name.length > MAX_VM_NAME) throw invalidField(CLOUD, operation, 'name', `"${request.name}" is ${request.name.length} characters; a VM name may have at most ${MAX_VM_NAME}`);
  if (UNESCAPED_IN_NAMES.test(request.name)) throw invalidField(CLOUD, operation, 'name', `"${request.name}" holds a character vCenter does not escape in names (% & * $ # @ ! \\ / : ? " < > | ; ')`);
  if (request.infraId.length === 0) throw invalidField(CLOUD, operation, 'infraId', 'must not be empty');
  const size = machineSize(request.instanceType);
  if (!size) throw invalidField(CLOUD, operation, 'instanceType', `"${request.instanceType}" is not a vSphere machine size: use ${SIZE_SYNTAX}`);
  const template = request.image.trim() || defaultTemplate;
  if (!template) throw invalidField(CLOUD, operation, 'image', 'is empty and no default template is set (SLIPWAY_VSPHERE_TEMPLATE or the secret\'s template field): name the template to clone');
  const clusterTags = Object.fromEntries(Object.entries(request.tags).filter(([key]) => CLUSTER_TAG_KEYS.includes(key)));
  return { size, template, tags: ownershipCloudTags(operation, request.tags), folderTags: ownershipCloudTags(operation, clusterTags), createdAt: request.tags[TAG.createdAt] };
}

export function createMachineOperations(deps: MachineDeps): MachineOperations {
  const { vim, inventory, folders, tagging, attributes, pageSize } = deps;
  const attributeKeys = (operation: string): Promise<AttributeKeys> => attributes.keysOf(operation);

  /** Starts a task and waits for it; a fault in `done` means the work was already done. */
  const runTask = async (operation: string, start: () => Promise<Moref>, done: readonly string[] = []): Promise<void> => {
    try {
      await vim.waitForTask(operation, await start());
    } catch (error) {
      const fault = faultOf(error);
      if (fault === undefined || !done.includes(fault)) throw error;
    }
  };

  const tagsOf = async (operation: string, vm: Moref): Promise<CloudTags> => (await tagging.attachedTags(operation, [vm])).get(morefKey(vm)) ?? {};

  const clone = async (operation: string, request: MachineCreateRequest, valid: ValidCreate, folder: Moref): Promise<{ vm: Moref; fresh: boolean }> => {
    const [source, pool, datastore] = await Promise.all([inventory.template(operation, valid.template), inventory.resourcePool(operation), inventory.datastore(operation)]);
    try {
      const spec = { pool, ...(datastore ? { datastore } : {}), numCpus: valid.size.numCpus, memoryMb: valid.size.memoryMb };
      const vm = morefOf(await vim.waitForTask(operation, await vim.cloneVm(operation, source, folder, request.name, spec)));
      if (!vm) throw retryableFailure(operation, `the clone of ${request.name} succeeded but named no VM`);
      return { vm, fresh: true };
    } catch (error) {
      const fault = faultOf(error);
      if (fault === 'ManagedObjectNotFound') {
        // The folder, template or pool we remembered was removed; look them up afresh next time.
        folders.forget(folder);
        inventory.forget();
        throw retryableFailure(operation, `vCenter no longer has an object the clone of ${request.name} needs (${error instanceof Error ? error.message : fault})`);
      }
      if (fault !== 'DuplicateName') throw error;
    }
    // An earlier create made it, and its answer was lost.
    const vm = await vim.findChild(operation, folder, request.name);
    if (vm?.type !== 'VirtualMachine') throw retryableFailure(operation, `vCenter says ${request.name} exists, but it is not a VM in folder ${request.infraId}`);
    return { vm, fresh: false };
  };

  const machineAt = async (operation: string, vm: Moref, ownedByFolder: boolean): Promise<CloudMachine | undefined> => {
    const content = await vim.retrieveOne(operation, vm, VM_PATHS);
    if (!content) return undefined;
    const machine = toMachine(content, await tagsOf(operation, vm), await attributeKeys(operation));
    if (!machine) return undefined;
    return ownedByFolder || machine.tags[TAG.management] !== undefined ? machine : undefined;
  };

  async function* machinesAmong(operation: string, vms: readonly Moref[], query: TagQuery): AsyncGenerator<CloudMachine> {
    const keys = vms.length > 0 ? await attributeKeys(operation) : {};
    for await (const page of vim.retrieve(operation, vms, { VirtualMachine: VM_PATHS }, pageSize)) {
      const tagsByVm = await tagging.attachedTags(
        operation,
        page.map((content) => content.obj),
      );
      for (const content of page) {
        const machine = toMachine(content, tagsByVm.get(morefKey(content.obj)) ?? {}, keys);
        if (machine && machine.tags[TAG.management] !== undefined && matchesTagQuery(machine.tags, query)) yield machine;
      }
    }
  }

  async function* untaggedMachines(operation: string): AsyncGenerator<CloudMachine> {
    const keys = await attributeKeys(operation);
    for await (const page of vim.retrieveUnder(operation, await inventory.vmFolder(operation), 'VirtualMachine', [...VM_PATHS, 'config.template'], pageSize)) {
      const tagsByVm = await tagging.attachedTags(
        operation,
        page.map((content) => content.obj),
      );
      for (const content of page) {
        if (text(content.props.get('config.template')) === 'true') continue;
        const machine = toMachine(content, tagsByVm.get(morefKey(content.obj)) ?? {}, keys);
        if (machine && machine.tags[TAG.management] === undefined) yield machine;
      }
    }
  }

  return {
    machinesAmong,
    untaggedMachines,

    async createMachine(request) {
      const operation = 'create machine';
      const valid = validate(operation, request, deps.defaultTemplate);
      const folder = await folders.ensure(operation, request.infraId, valid.folderTags);
      const existing = await vim.findChild(operation, folder.ref, request.name);
      if (existing && existing.type !== 'VirtualMachine') throw invalidField(CLOUD, operation, 'name', `"${request.name}" is taken by a ${existing.type} in folder ${request.infraId}`);
      const { vm, fresh } = existing ? { vm: existing, fresh: false } : await clone(operation, request, valid, folder.ref);

      const attached = fresh ? {} : await tagsOf(operation, vm);
      const owner = attached[MANAGEMENT_CATEGORY];
      if (owner !== undefined && owner !== valid.tags[MANAGEMENT_CATEGORY]) {
        throw invalidField(CLOUD, operation, 'name', `"${request.name}" is a VM of another management cluster (${owner}); pick another cluster name`);
      }
      const tags = await tagWhereMissing(tagging, operation, vm, valid.tags, attached);

      let content = await vim.retrieveOne(operation, vm, CREATE_PATHS);
      if (content && text(content.props.get('runtime.powerState')) !== 'poweredOn') {
        // A running VM is never resized; one about to start is, if the clone did not take the size.
        const { numCpus, memoryMb } = valid.size;
        if (text(content.props.get('config.hardware.numCPU')) !== String(numCpus) || text(content.props.get('config.hardware.memoryMB')) !== String(memoryMb)) {
          await runTask(operation, () => vim.resize(operation, vm, numCpus, memoryMb));
        }
        await runTask(operation, () => vim.powerOn(operation, vm), ['InvalidPowerState']);
        content = await vim.retrieveOne(operation, vm, VM_PATHS);
      }
      // The first create's creation time is the one a VM keeps, as its first tags were.
      const key = valid.createdAt === undefined ? undefined : await attributes.ensureKey(operation, CREATED_AT_ATTRIBUTE);
      if (content && key !== undefined && valid.createdAt !== undefined && !customValuesOf(content.props.get('customValue')).has(key)) {
        await attributes.set(operation, vm, key, valid.createdAt);
        content = await vim.retrieveOne(operation, vm, VM_PATHS);
      }
      const machine = content && toMachine(content, tags, await attributeKeys(operation));
      if (!machine) throw retryableFailure(operation, `VM ${request.name} vanished or has no instance UUID yet`);
      return machine;
    },

    async describeMachine(name) {
      const operation = 'describe machine';
      const candidates = infraIdCandidates(name);
      const known = new Set(folders.knownInfraIds());
      const ordered = [...candidates.filter((infraId) => known.has(infraId)), ...candidates.filter((infraId) => !known.has(infraId))];
      for (const infraId of ordered) {
        const vm = await vim.findByInventoryPath(operation, `${inventory.vmFolderPath}/${infraId}/${name}`);
        if (vm?.type === 'VirtualMachine') return machineAt(operation, vm, true);
      }
      // Outside a cluster folder, a VM is ours only with the management tag.
      const loose = await vim.findByInventoryPath(operation, `${inventory.vmFolderPath}/${name}`);
      return loose?.type === 'VirtualMachine' ? machineAt(operation, loose, false) : undefined;
    },

    async *listMachines(query) {
      const operation = 'list machines';
      const objects = await tagging.objectsTagged(operation, ownershipCloudTags(operation, query), MANAGEMENT_CATEGORY);
      yield* machinesAmong(
        operation,
        objects.filter((object) => object.type === 'VirtualMachine'),
        query,
      );
    },

    async deleteMachine(providerId) {
      const operation = 'delete machine';
      const instanceUuid = providerId.startsWith(PROVIDER_ID_PREFIX) ? providerId.slice(PROVIDER_ID_PREFIX.length) : providerId;
      if (!/^[0-9a-fA-F-]{1,64}$/.test(instanceUuid)) throw invalidField(CLOUD, operation, 'providerId', `"${providerId}" is not vsphere://<instance UUID>`);
      const vm = await vim.findVmByInstanceUuid(operation, await inventory.datacenter(operation), instanceUuid);
      if (!vm) return;
      const content = await vim.retrieveOne(operation, vm, ['runtime.powerState']);
      if (!content) return;
      const gone = ['ManagedObjectNotFound'];
      // Read before the VM goes: its cluster and owner tags (and any machine-name or created-at tag from before those were attributes) are removed with it once nothing else carries them.
      const own = (await tagging.attachedTags(operation, [vm])).get(morefKey(vm)) ?? {};
      if (text(content.props.get('runtime.powerState')) !== 'poweredOff') await runTask(operation, () => vim.powerOff(operation, vm), [...gone, 'InvalidPowerState']);
      await runTask(operation, () => vim.destroy(operation, vm), gone);
      await tagging.deleteUnused(operation, droppableOf(own), vm, existingObjects(vim, pageSize));
    },
  };
}
