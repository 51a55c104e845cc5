/**
 * The vim25 methods the adapter uses, typed: inventory lookups through the SearchIndex, folder
 * and VM tasks, the PropertyCollector (paged with maxObjects and ContinueRetrievePropertiesEx),
 * and waiting for a task by polling its info through the PropertyCollector. Parameters are
 * written in the order the vim25 schema declares them.
 */
import { retryableFailure, soapFailure, type Redact } from './errors';
import { pageGuard } from '../paging';
import type { SoapClient } from './soap';
import { attribute, child, children, element, morefElement, morefOf, text, textElement, type Moref, type XmlNode } from './xml';

export interface ObjectContent {
  readonly obj: Moref;
  readonly props: ReadonlyMap<string, XmlNode>;
}

export interface CloneSpec {
  readonly datastore?: Moref;
  readonly pool: Moref;
  readonly numCpus?: number;
  readonly memoryMb?: number;
  readonly template?: boolean;
}

export interface Vim {
  findByInventoryPath(operation: string, path: string): Promise<Moref | undefined>;
  findChild(operation: string, parent: Moref, name: string): Promise<Moref | undefined>;
  findVmByInstanceUuid(operation: string, datacenter: Moref, instanceUuid: string): Promise<Moref | undefined>;
  /** Fails with the DuplicateName fault when the parent already holds something of that name. */
  createFolder(operation: string, parent: Moref, name: string): Promise<Moref>;
  cloneVm(operation: string, source: Moref, folder: Moref, name: string, spec: CloneSpec): Promise<Moref>;
  /** Sets the VM's vCPUs and memory; the VM must be powered off. */
  resize(operation: string, vm: Moref, numCpus: number, memoryMb: number): Promise<Moref>;
  powerOn(operation: string, vm: Moref): Promise<Moref>;
  powerOff(operation: string, vm: Moref): Promise<Moref>;
  destroy(operation: string, entity: Moref): Promise<Moref>;
  /** Streams the objects' properties a page (at most `pageSize` objects) at a time; objects that no longer exist are left out. */
  retrieve(operation: string, objects: readonly Moref[], paths: Readonly<Record<string, readonly string[]>>, pageSize: number): AsyncGenerator<ObjectContent[]>;
  retrieveOne(operation: string, object: Moref, paths: readonly string[]): Promise<ObjectContent | undefined>;
  /**
   * Streams the properties of every object of `type` anywhere under `container` (a ContainerView,
   * destroyed once the stream ends), a page at a time.
   */
  retrieveUnder(operation: string, container: Moref, type: string, paths: readonly string[], pageSize: number): AsyncGenerator<ObjectContent[]>;
  /** Waits for the task to end; its result on success, its fault (classified) on error. */
  waitForTask(operation: string, task: Moref): Promise<XmlNode | undefined>;
}

export interface VimOptions {
  readonly taskTimeoutMs: number;
  readonly redact: Redact;
}

const FIRST_POLL_MS = 50;
/** A bound on a container view's pages (a million objects at the largest page): past it vCenter is looping. */
const MAX_VIEW_PAGES = 10_000;
const LONGEST_POLL_MS = 1_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function returnedMoref(operation: string, response: XmlNode | undefined, what: string): Moref {
  const ref = morefOf(child(response, 'returnval'));
  if (!ref) throw retryableFailure(operation, `vCenter's answer held no ${what}`);
  return ref;
}

function objectContents(returnval: XmlNode | undefined): ObjectContent[] {
  return children(returnval, 'objects').flatMap((object) => {
    const obj = morefOf(child(object, 'obj'));
    if (!obj) return [];
    // A missing object is omitted by vCenter, but a property of a half-made one may be reported missing.
    const props = new Map<string, XmlNode>();
    for (const prop of children(object, 'propSet')) {
      const name = text(child(prop, 'name'));
      const value = child(prop, 'val');
      if (name !== undefined && value !== undefined) props.set(name, value);
    }
    return [{ obj, props }];
  });
}

function filterSpec(objects: readonly Moref[], paths: Readonly<Record<string, readonly string[]>>): string {
  const propSets = Object.entries(paths).map(([type, pathSet]) => element('propSet', textElement('type', type), ...pathSet.map((path) => textElement('pathSet', path))));
  const objectSets = objects.map((obj) => element('objectSet', morefElement('obj', obj)));
  return element('specSet', ...propSets, ...objectSets, textElement('reportMissingObjectsInResults', true));
}

function cloneSpecXml(spec: CloneSpec): string {
  const location = element('location', ...(spec.datastore ? [morefElement('datastore', spec.datastore)] : []), morefElement('pool', spec.pool));
  const config =
    spec.numCpus !== undefined || spec.memoryMb !== undefined
      ? element('config', ...(spec.numCpus !== undefined ? [textElement('numCPUs', spec.numCpus)] : []), ...(spec.memoryMb !== undefined ? [textElement('memoryMB', spec.memoryMb)] : []))
      : '';
  // Powered on separately, after the ownership tags are attached.
  return element('spec', location, textElement('template', spec.template ?? false), config, textElement('powerOn', false));
}

export function createVim(soap: SoapClient, options: VimOptions): Vim {
  const searchIndex = async (operation: string): Promise<Moref> => (await soap.serviceContent(operation)).searchIndex;
  const propertyCollector = async (operation: string): Promise<Moref> => (await soap.serviceContent(operation)).propertyCollector;

  const task = async (operation: string, method: string, target: Moref, parameters = ''): Promise<Moref> =>
    returnedMoref(operation, await soap.invoke(operation, method, target, parameters), 'task');

  /** RetrievePropertiesEx and its continuations, at most `maxPages` pages. */
  async function* pages(operation: string, spec: string, pageSize: number, maxPages: number): AsyncGenerator<ObjectContent[]> {
    const collector = await propertyCollector(operation);
    let response = await soap.invoke(operation, 'RetrievePropertiesEx', collector, spec + element('options', textElement('maxObjects', pageSize)));
    const guard = pageGuard('vsphere', operation);
    for (let read = 1; read <= maxPages; read += 1) {
      const returnval = child(response, 'returnval');
      const page = objectContents(returnval);
      if (page.length > 0) yield page;
      const token = text(child(returnval, 'token'));
      if (token === undefined || token === '') return;
      guard.next(token);
      response = await soap.invoke(operation, 'ContinueRetrievePropertiesEx', collector, textElement('token', token));
    }
    throw retryableFailure(operation, `vCenter kept sending continuation tokens past ${maxPages} pages`);
  }

  async function* retrieve(operation: string, objects: readonly Moref[], paths: Readonly<Record<string, readonly string[]>>, pageSize: number): AsyncGenerator<ObjectContent[]> {
    if (objects.length === 0) return;
    // Every page but the last holds at least one object, so there are never more pages than objects.
    yield* pages(operation, filterSpec(objects, paths), pageSize, objects.length);
  }

  async function* retrieveUnder(operation: string, container: Moref, type: string, paths: readonly string[], pageSize: number): AsyncGenerator<ObjectContent[]> {
    const { viewManager } = await soap.serviceContent(operation);
    if (!viewManager) return;
    const view = returnedMoref(operation, await soap.invoke(operation, 'CreateContainerView', viewManager, morefElement('container', container) + textElement('type', type) + textElement('recursive', true)), 'container view');
    try {
      const spec = element(
        'specSet',
        element('propSet', textElement('type', type), ...paths.map((path) => textElement('pathSet', path))),
        element('objectSet', morefElement('obj', view), textElement('skip', true), '<selectSet xsi:type="TraversalSpec">' + textElement('type', 'ContainerView') + textElement('path', 'view') + textElement('skip', false) + '</selectSet>'),
      );
      yield* pages(operation, spec, pageSize, MAX_VIEW_PAGES);
    } finally {
      await soap.invoke(operation, 'DestroyView', view).catch(() => undefined);
    }
  }

  const retrieveOne = async (operation: string, object: Moref, paths: readonly string[]): Promise<ObjectContent | undefined> => {
    for await (const page of retrieve(operation, [object], { [object.type]: paths }, 1)) return page[0];
    return undefined;
  };

  return {
    async findByInventoryPath(operation, path) {
      return morefOf(child(await soap.invoke(operation, 'FindByInventoryPath', await searchIndex(operation), textElement('inventoryPath', path)), 'returnval'));
    },
    async findChild(operation, parent, name) {
      return morefOf(child(await soap.invoke(operation, 'FindChild', await searchIndex(operation), morefElement('entity', parent) + textElement('name', name)), 'returnval'));
    },
    async findVmByInstanceUuid(operation, datacenter, instanceUuid) {
      const parameters = morefElement('datacenter', datacenter) + textElement('uuid', instanceUuid) + textElement('vmSearch', true) + textElement('instanceUuid', true);
      return morefOf(child(await soap.invoke(operation, 'FindByUuid', await searchIndex(operation), parameters), 'returnval'));
    },
    async createFolder(operation, parent, name) {
      return returnedMoref(operation, await soap.invoke(operation, 'CreateFolder', parent, textElement('name', name)), 'folder');
    },
    cloneVm: (operation, source, folder, name, spec) => task(operation, 'CloneVM_Task', source, morefElement('folder', folder) + textElement('name', name) + cloneSpecXml(spec)),
    resize: (operation, vm, numCpus, memoryMb) => task(operation, 'ReconfigVM_Task', vm, element('spec', textElement('numCPUs', numCpus), textElement('memoryMB', memoryMb))),
    powerOn: (operation, vm) => task(operation, 'PowerOnVM_Task', vm),
    powerOff: (operation, vm) => task(operation, 'PowerOffVM_Task', vm),
    destroy: (operation, entity) => task(operation, 'Destroy_Task', entity),
    retrieve,
    retrieveOne,
    retrieveUnder,

    async waitForTask(operation, taskRef) {
      const deadline = Date.now() + options.taskTimeoutMs;
      for (let delay = FIRST_POLL_MS; ; delay = Math.min(LONGEST_POLL_MS, delay * 2)) {
        const found = await retrieveOne(operation, taskRef, ['info']);
        const info = found?.props.get('info');
        if (!info) throw retryableFailure(operation, `vCenter no longer knows task ${taskRef.value}`);
        const state = text(child(info, 'state'));
        if (state === 'success') return child(info, 'result');
        if (state === 'error') {
          const failure = child(info, 'error');
          const fault = attribute(child(failure, 'fault'), 'xsi:type');
          const message = text(child(failure, 'localizedMessage')) || `task ${taskRef.value} failed`;
          throw soapFailure(operation, { status: 500, ...(fault !== undefined ? { fault } : {}), message }, options.redact);
        }
        if (Date.now() + delay > deadline) throw retryableFailure(operation, `task ${taskRef.value} is still ${state ?? 'running'} after ${options.taskTimeoutMs} ms`);
        await sleep(delay);
      }
    },
  };
}
