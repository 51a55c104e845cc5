/**
 * The vSphere adapter against govmomi's vcsim: the shared provider contract through the fault
 * proxy (HTTPS with the test CA, speaking vCenter's error dialect on /sdk and /rest alike), then
 * what only vSphere has: cluster folders, sizes on the clone, vSphere tag categories, healing a
 * create cut short between clone and tagging, RetrievePropertiesEx paging, and real credential
 * and certificate checks.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_ENCODINGS, cloudTagKey } from '../../providers/tag-encoding';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';
import { createVsphereAdapter, VCSIM_PLACEMENT, type VsphereAdapterOptions } from '../../providers/vsphere/adapter';
import { createHttpTransport, type HttpTransport } from '../../providers/vsphere/http';
import { createRestClient, type RestClient } from '../../providers/vsphere/rest';
import { customValuesOf } from '../../providers/vsphere/custom-attributes';
import { createSoapClient } from '../../providers/vsphere/soap';
import { createVim, type Vim } from '../../providers/vsphere/vim';
import { text, type Moref } from '../../providers/vsphere/xml';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { addTemplate, startVcsim, vcsimFaultDialect, type RunningVcsim } from '../support/peers/vcsim';
import { createTestCa, type TestCa } from '../support/test-ca';
import { IMPATIENT_TIMEOUT_MS, describeProviderContract } from './provider-contract';
import { collect } from '../support/async-checks';

const TEMPLATE = 'rhcos-4.16';

describeProviderContract('vsphere', async () => {
  const ca = await createTestCa();
  const vcsim = await startVcsim(ca);
  await addTemplate(vcsim, ca, 'DC0_H0_VM0', TEMPLATE);
  // One call at a time reaches vcsim: its object locks are released without a defer, so a
  // handler that panics under concurrent calls leaves a lock held and every later call touching
  // that object hangs (seen once in CI: a fault, then 15 s timeouts for the rest of the file).
  // The adapter's concurrency is vCenter's to take; this suite checks its answers and paging.
  const proxy = await startFaultProxy({ upstream: vcsim.url, dialect: vcsimFaultDialect(), tls: { key: ca.serverKey, cert: ca.serverCert }, upstreamCa: ca.caCert, seed: 7, oneAtATime: true });
  const requestTimeoutMs = 15_000;
  const pageSize = 10;
  const adapterWith = (timeoutMs: number) =>
    createVsphereAdapter({
      endpoint: proxy.url,
      credentials: () => ({ username: vcsim.username, password: vcsim.password }),
      placement: VCSIM_PLACEMENT,
      caCertificate: ca.caCert,
      requestTimeoutMs: timeoutMs,
      taskTimeoutMs: 30_000,
      pageSize,
    });
  return {
    adapter: adapterWith(requestTimeoutMs),
    impatient: adapterWith(IMPATIENT_TIMEOUT_MS),
    credential: vcsim.password,
    proxy,
    requestTimeoutMs,
    pageSize,
    emulatorOutput: () => vcsim.output(),
    async teardown() {
      await proxy.stop();
      await vcsim.stop();
      await rm(ca.dir, { recursive: true, force: true });
    },
  };
  // One machine at a time as well: vcsim's clone task registers the new VM in its folder before
  // naming it, so a FindChild running during another machine's clone panics on the nameless VM,
  // with that object's lock left held (seen in CI: "VirtualMachine:vm-550 does not have a Name").
}, { needsClusterNetwork: false, tagsResources: 'all', machinesAtOnce: 1 });

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('vsphere adapter on vcsim: what vSphere alone has', () => {
  let ca: TestCa;
  let vcsim: RunningVcsim;
  let proxy: FaultProxy;
  let adapter: ProviderAdapter;
  let traceDir: string;
  let tracePath: string;
  /** Straight to vcsim, to see what the adapter did. */
  let direct: Vim;
  let directRest: RestClient;
  let directTransport: HttpTransport;
  const managementId = 'mgmt-vsphere';
  const pageSize = 4;

  const adapterWith = (overrides: Partial<VsphereAdapterOptions> = {}): ProviderAdapter =>
    createVsphereAdapter({
      endpoint: proxy.url,
      credentials: () => ({ username: vcsim.username, password: vcsim.password }),
      placement: VCSIM_PLACEMENT,
      caCertificate: ca.caCert,
      requestTimeoutMs: 5_000,
      taskTimeoutMs: 30_000,
      pageSize,
      ...overrides,
    });

  const request = (infraId: string, machineName: string, overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest => ({
    name: `${infraId}-${machineName}`,
    idempotencyToken: `${infraId}${machineName}`.replaceAll('-', ''),
    role: 'worker',
    instanceType: 'small',
    image: TEMPLATE,
    infraId,
    tags: ownershipTags({ managementId, infraId, machineName, role: 'worker', createdAt: '2026-11-25T00:00:00.000Z' }),
    ...overrides,
  });

  const infraRequest = (infraId: string, clusterName = infraId) => ({
    infraId,
    clusterName,
    baseDomain: 'example.test',
    region: 'dc0',
    tags: ownershipTags({ managementId, infraId, createdAt: '2026-11-25T00:00:00.000Z' }),
  });

  const find = async (path: string): Promise<Moref | undefined> => direct.findByInventoryPath('inspect', path);

  const vmProperties = async (path: string, paths: string[]): Promise<Record<string, string | undefined>> => {
    const vm = await find(path);
    if (!vm) throw new Error(`vcsim has no ${path}`);
    const content = await direct.retrieveOne('inspect', vm, paths);
    return Object.fromEntries(paths.map((name) => [name, text(content?.props.get(name))]));
  };

  /** The vSphere tags on an object, as category name -> tag name, read through REST. */
  const vsphereTags = async (ref: Moref): Promise<Record<string, string>> => {
    const attached = (await directRest.call('inspect', 'POST', '/rest/com/vmware/cis/tagging/tag-association?~action=list-attached-tags', { object_id: { id: ref.value, type: ref.type } })) as string[];
    const tags: Record<string, string> = {};
    for (const id of attached) {
      const tag = (await directRest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/tag/id:${encodeURIComponent(id)}`)) as { name: string; category_id: string };
      const category = (await directRest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/category/id:${encodeURIComponent(tag.category_id)}`)) as { name: string };
      tags[category.name] = tag.name;
    }
    return tags;
  };

  /** Every vSphere tag vCenter holds, as `<category>=<tag>`, and (with categories: true) every empty category as `<category>`. */
  const allTags = async (options: { categories?: boolean } = {}): Promise<string[]> => {
    const categoryIds = (await directRest.call('inspect', 'GET', '/rest/com/vmware/cis/tagging/category')) as string[];
    const names: string[] = [];
    for (const id of categoryIds) {
      const category = (await directRest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/category/id:${encodeURIComponent(id)}`)) as { name: string };
      // vcsim answers null for a category whose last tag was deleted.
      const tagIds = ((await directRest.call('inspect', 'POST', `/rest/com/vmware/cis/tagging/tag/id:${encodeURIComponent(id)}?~action=list-tags-for-category`)) as string[] | null) ?? [];
      for (const tagId of tagIds) names.push(`${category.name}=${((await directRest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/tag/id:${encodeURIComponent(tagId)}`)) as { name: string }).name}`);
      if (options.categories && tagIds.length === 0) names.push(category.name);
    }
    return names.sort();
  };

  /** Clones the template as a create cut short would leave it: in the folder, powered off, untagged. */
  const rawClone = async (folderPath: string, name: string): Promise<void> => {
    const [template, folder, pool] = await Promise.all([find(`/DC0/vm/${TEMPLATE}`), find(folderPath), find('/DC0/host/DC0_C0/Resources')]);
    if (!template || !folder || !pool) throw new Error('vcsim inventory is missing the template, folder or pool');
    await direct.waitForTask('inspect', await direct.cloneVm('inspect', template, folder, name, { pool }));
  };

  const methodCalls = async (method: string): Promise<number> => (await readFile(tracePath, 'utf8')).split(`<${method} xmlns`).length - 1;

  beforeAll(async () => {
    ca = await createTestCa();
    traceDir = await mkdtemp(join(tmpdir(), 'slipway-vcsim-trace-'));
    tracePath = join(traceDir, 'soap.trace');
    vcsim = await startVcsim(ca, ['-trace', '-trace-file', tracePath]);
    await addTemplate(vcsim, ca, 'DC0_H0_VM0', TEMPLATE);
    proxy = await startFaultProxy({ upstream: vcsim.url, dialect: vcsimFaultDialect(), tls: { key: ca.serverKey, cert: ca.serverCert }, upstreamCa: ca.caCert, seed: 3 });
    adapter = adapterWith();
    directTransport = createHttpTransport(vcsim.url, 10_000, ca.caCert);
    const credentials = () => ({ username: vcsim.username, password: vcsim.password });
    direct = createVim(createSoapClient(directTransport, credentials, (value) => value, () => undefined), { taskTimeoutMs: 30_000, redact: (value) => value });
    directRest = createRestClient(directTransport, credentials, (value) => value, () => undefined);
  });
  afterAll(async () => {
    directTransport?.close();
    await proxy?.stop();
    await vcsim?.stop();
    if (ca) await rm(ca.dir, { recursive: true, force: true });
    if (traceDir) await rm(traceDir, { recursive: true, force: true });
  });

  it('clones the template into the cluster folder, sized by instanceType, powered on, with the instance UUID as provider ID', async () => {
    const infra = await adapter.ensureClusterInfra(infraRequest('size-1', 'sized'));
    expect(infra.apiURL).toBe('https://api.sized.example.test:6443');
    expect(infra.resources).toEqual([expect.objectContaining({ kind: 'network', name: 'size-1' })]);
    const machine = await adapter.createMachine(request('size-1', 'm0', { instanceType: '6cpu-24gb' }));
    const props = await vmProperties('/DC0/vm/size-1/size-1-m0', ['config.hardware.numCPU', 'config.hardware.memoryMB', 'runtime.powerState', 'config.instanceUuid']);
    expect(props).toEqual({ 'config.hardware.numCPU': '6', 'config.hardware.memoryMB': String(24 * 1024), 'runtime.powerState': 'poweredOn', 'config.instanceUuid': expect.any(String) });
    expect(machine.providerId).toBe(`vsphere://${props['config.instanceUuid']}`);
    expect(machine.phase).toBe('running');
    const named = await adapter.createMachine(request('size-1', 'm1', { instanceType: 'medium' }));
    expect(await vmProperties('/DC0/vm/size-1/size-1-m1', ['config.hardware.numCPU', 'config.hardware.memoryMB'])).toEqual({ 'config.hardware.numCPU': '4', 'config.hardware.memoryMB': '16384' });
    expect(named.providerId).not.toBe(machine.providerId);
  });

  it('writes only the ownership keys as vSphere tags (one SINGLE category per key); the machine name is the VM name, its creation time a custom attribute', async () => {
    const wanted = request('tags-1', 'm0', { tags: { ...request('tags-1', 'm0').tags, [TAG.createdAt]: '2026-11-25T07:07:07.007Z' } });
    const made = await adapter.createMachine(wanted);
    const vm = await find('/DC0/vm/tags-1/tags-1-m0');
    const folder = await find('/DC0/vm/tags-1');
    if (!vm || !folder) throw new Error('the VM or its folder is missing');
    expect(await vsphereTags(vm)).toEqual(TAG_ENCODINGS.vsphere.encode({ [TAG.management]: managementId, [TAG.cluster]: 'tags-1', [TAG.role]: 'worker' }));
    expect(await vsphereTags(folder)).toEqual(TAG_ENCODINGS.vsphere.encode({ [TAG.management]: managementId, [TAG.cluster]: 'tags-1' }));
    const categoryIds = (await directRest.call('inspect', 'GET', '/rest/com/vmware/cis/tagging/category')) as string[];
    const categories = await Promise.all(categoryIds.map(async (id) => (await directRest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/category/id:${encodeURIComponent(id)}`)) as { name: string; cardinality: string; associable_types: string[] }));
    const ours = categories.filter((category) => category.name.startsWith('slipway.dev_'));
    expect(ours.map((category) => category.name).sort()).toEqual(['slipway.dev_cluster', 'slipway.dev_management', 'slipway.dev_role']);
    for (const category of ours) {
      expect(category.cardinality).toBe('SINGLE');
      expect([...category.associable_types].sort()).toEqual(['Folder', 'VirtualMachine']);
    }
    // The canonical tags still read back whole: the machine from the VM name, the time from the attribute.
    expect(made.tags).toEqual(wanted.tags);
    expect(made.createdAt).toBe('2026-11-25T07:07:07.007Z');
    expect((await adapter.describeMachine('tags-1-m0'))?.tags).toEqual(wanted.tags);
    expect(await collect(adapter.listMachines({ [TAG.machine]: 'm0', [TAG.cluster]: 'tags-1' }))).toEqual([expect.objectContaining({ name: 'tags-1-m0' })]);
    const content = await direct.retrieveOne('inspect', vm, ['customValue']);
    expect([...customValuesOf(content?.props.get('customValue')).values()]).toEqual(['2026-11-25T07:07:07.007Z']);
  });

  it('mints no tag per machine or per moment: creating and deleting machines leaves the tag count as it was, and a deleted cluster takes its tag along', async () => {
    await adapter.ensureClusterInfra(infraRequest('prune-1'));
    const kept = await adapter.createMachine(request('prune-1', 'shared-m0'));
    const before = await allTags();
    expect(before).toContain('slipway.dev_cluster=prune-1');
    for (let round = 0; round < 3; round += 1) {
      const made = await Promise.all(
        [0, 1, 2, 3].map((index) =>
          adapter.createMachine(request('prune-1', `r${round}-m${index}`, { role: index === 0 ? 'control-plane' : 'worker', tags: { ...ownershipTags({ managementId, infraId: 'prune-1', machineName: `r${round}-m${index}`, role: index === 0 ? 'control-plane' : 'worker', createdAt: new Date(Date.UTC(2026, 10, 25, 9, round, index)).toISOString() }) } })),
        ),
      );
      for (const machine of made) await adapter.deleteMachine(machine.providerId);
    }
    // The control-plane role is one tag for every control-plane machine, made once; nothing else is new.
    expect((await allTags()).filter((tag) => !before.includes(tag))).toEqual(['slipway.dev_role=control-plane']);
    expect((await adapter.describeMachine(kept.name))?.tags[TAG.machine]).toBe('shared-m0');

    // The cluster's tag goes with the last object that carries it: its last machine, then its folder.
    await adapter.deleteMachine(kept.providerId);
    expect(await allTags()).toContain('slipway.dev_cluster=prune-1');
    await adapter.deleteClusterInfra('prune-1');
    expect(await allTags()).not.toContain('slipway.dev_cluster=prune-1');
  });

  it('records a sweep\'s mark as a custom attribute: marking and deleting, run after run, mints no tag or category, and a mark tag from before goes with its last object', async () => {
    const infraId = 'mark-1';
    const markCategory = cloudTagKey('vsphere', TAG.sweepMarked);
    await adapter.ensureClusterInfra(infraRequest(infraId));
    await adapter.createMachine(request(infraId, 'kept-m0'));
    const before = await allTags({ categories: true });
    const query = { [TAG.management]: managementId, [TAG.cluster]: infraId };
    for (let run = 0; run < 3; run += 1) {
      const markedAt = new Date(Date.UTC(2026, 10, 25, 10, run)).toISOString();
      const machine = await adapter.createMachine(request(infraId, `r${run}-m0`));
      const listed = await collect(adapter.listResources(query));
      for (const resource of listed) await adapter.tagResource(resource, { [TAG.sweepMarked]: markedAt });
      const marked = await collect(adapter.listResources(query));
      expect(marked.map((resource) => [resource.kind, resource.tags[TAG.sweepMarked]])).toEqual(listed.map((resource) => [resource.kind, markedAt]));
      // The sweep deletes what it marked (here the run's machine), as a later run would.
      await adapter.deleteResource({ kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags });
    }
    expect(await allTags({ categories: true })).toEqual(before);
    expect(before.some((tag) => tag.startsWith(markCategory))).toBe(false);
    // A mark is only a mark with a value; the query reads it like any tag.
    const lastMark = new Date(Date.UTC(2026, 10, 25, 10, 2)).toISOString();
    expect((await collect(adapter.listResources({ ...query, [TAG.sweepMarked]: lastMark }))).map((resource) => resource.kind).sort()).toEqual(['machine', 'network']);

    // A mark tag an earlier Slipway attached still reads as the mark, and goes once its last object does.
    const legacy = await adapter.createMachine(request(infraId, 'legacy-m0'));
    const vm = await find(`/DC0/vm/${infraId}/${infraId}-legacy-m0`);
    if (!vm) throw new Error('the legacy VM is missing');
    const categoryId = (await directRest.call('inspect', 'POST', '/rest/com/vmware/cis/tagging/category', {
      create_spec: { name: markCategory, description: 'as Slipway made it before marks were attributes', cardinality: 'SINGLE', associable_types: ['VirtualMachine', 'Folder'] },
    })) as string;
    const legacyMark = '2026-11-24T00:00:00.000Z';
    const tagId = (await directRest.call('inspect', 'POST', '/rest/com/vmware/cis/tagging/tag', { create_spec: { name: legacyMark, description: '', category_id: categoryId } })) as string;
    await directRest.call('inspect', 'POST', '/rest/com/vmware/cis/tagging/tag-association?~action=attach-multiple-tags-to-object', { object_id: { id: vm.value, type: vm.type }, tag_ids: [tagId] });
    expect((await adapter.describeMachine(legacy.name))?.tags[TAG.sweepMarked]).toBe(legacyMark);
    expect(await allTags()).toContain(`${markCategory}=${legacyMark}`);
    await adapter.deleteMachine(legacy.providerId);
    expect(await allTags()).not.toContain(`${markCategory}=${legacyMark}`);
  });

  it('lists for an empty query the datacenter\'s VMs nobody tagged too, across pages, each once and no template; a query with tags leaves them out', async () => {
    await adapter.createMachine(request('untagged-1', 'm0'));
    await rawClone('/DC0/vm', 'nobodys-vm');
    const listed = await collect(adapter.listResources({}));
    const ids = listed.map((resource) => resource.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(listed.length).toBeGreaterThan(pageSize);
    // vcsim's own VMs and the raw clone carry no tag: listed, as nobody's.
    for (const name of ['DC0_H0_VM1', 'nobodys-vm']) expect(listed.find((resource) => resource.name === name)?.tags[TAG.management], name).toBeUndefined();
    expect(listed.find((resource) => resource.name === 'untagged-1-m0')?.tags[TAG.management]).toBe(managementId);
    expect(listed.some((resource) => resource.name === TEMPLATE)).toBe(false);
    const ours = await collect(adapter.listResources({ [TAG.management]: managementId }));
    expect(ours.some((resource) => resource.name === 'nobodys-vm')).toBe(false);
    expect(ours.every((resource) => resource.tags[TAG.management] === managementId)).toBe(true);
  });

  it('deleteClusterInfra leaves a folder of the cluster\'s name that lacks our management tag or is another plane\'s', async () => {
    const vmFolder = await find('/DC0/vm');
    if (!vmFolder) throw new Error('vcsim has no /DC0/vm');
    await direct.createFolder('inspect', vmFolder, 'foreign-f1');
    await adapter.deleteClusterInfra('foreign-f1');
    expect(await find('/DC0/vm/foreign-f1')).toBeDefined();

    await adapter.ensureClusterInfra({ ...infraRequest('theirs-f2'), tags: ownershipTags({ managementId: 'mgmt-other', infraId: 'theirs-f2', createdAt: '2026-11-25T00:00:00.000Z' }) });
    await adapter.deleteClusterInfra('theirs-f2', { managementId });
    expect(await find('/DC0/vm/theirs-f2')).toBeDefined();
    await adapter.deleteClusterInfra('theirs-f2', { managementId: 'mgmt-other' });
    expect(await find('/DC0/vm/theirs-f2')).toBeUndefined();
  });

  it('heals a create cut short between clone and tagging: the next create tags and powers on the VM it finds', async () => {
    await adapter.ensureClusterInfra(infraRequest('heal-1'));
    await rawClone('/DC0/vm/heal-1', 'heal-1-m0');
    const uuid = (await vmProperties('/DC0/vm/heal-1/heal-1-m0', ['config.instanceUuid']))['config.instanceUuid'];
    expect(await collect(adapter.listMachines({ [TAG.cluster]: 'heal-1' }))).toEqual([]);
    const before = await adapter.describeMachine('heal-1-m0');
    expect(before).toMatchObject({ providerId: `vsphere://${uuid}`, tags: {}, phase: 'failed' });

    const wanted = request('heal-1', 'm0');
    const healed = await adapter.createMachine(wanted);
    expect(healed).toMatchObject({ providerId: `vsphere://${uuid}`, phase: 'running', tags: wanted.tags });
    expect((await collect(adapter.listMachines({ [TAG.cluster]: 'heal-1' }))).map((machine) => machine.providerId)).toEqual([`vsphere://${uuid}`]);
    expect(await find('/DC0/vm/heal-1/heal-1-m0')).toBeDefined();
  });

  it('streams listMachines with RetrievePropertiesEx maxObjects and ContinueRetrievePropertiesEx, fetching a page only when it is reached', async () => {
    const infraId = 'pages-1';
    const count = pageSize * 2 + 2;
    for (let index = 0; index < count; index += 1) await adapter.createMachine(request(infraId, `w${index}`));
    const query = { [TAG.cluster]: infraId };
    let continued = await methodCalls('ContinueRetrievePropertiesEx');
    const listed = await collect(adapter.listMachines(query));
    expect(listed.map((machine) => machine.name).sort()).toEqual(Array.from({ length: count }, (_, index) => `${infraId}-w${index}`).sort());
    expect((await methodCalls('ContinueRetrievePropertiesEx')) - continued).toBe(2);
    continued = await methodCalls('ContinueRetrievePropertiesEx');
    const firstPage: string[] = [];
    for await (const machine of adapter.listMachines(query)) {
      firstPage.push(machine.name);
      if (firstPage.length === pageSize) break;
    }
    expect(firstPage).toHaveLength(pageSize);
    expect((await methodCalls('ContinueRetrievePropertiesEx')) - continued).toBe(0);
  });

  it('leaves a folder that still holds a VM to the sweep, which deletes the VM and then the folder', async () => {
    const infraId = 'sweep-1';
    await adapter.ensureClusterInfra(infraRequest(infraId));
    await adapter.createMachine(request(infraId, 'm0'));
    await adapter.deleteClusterInfra(infraId);
    expect(await find(`/DC0/vm/${infraId}`)).toBeDefined();
    const query = { [TAG.management]: managementId, [TAG.cluster]: infraId };
    const listed = await collect(adapter.listResources(query));
    expect(listed.map((resource) => resource.kind)).toEqual(['machine', 'network']);
    for (const resource of listed) await adapter.deleteResource(resource);
    expect(await collect(adapter.listResources(query))).toEqual([]);
    expect(await find(`/DC0/vm/${infraId}`)).toBeUndefined();
    await adapter.deleteClusterInfra(infraId);
  });

  it('does not adopt a VM of another management cluster that has the name', async () => {
    const other = adapterWith();
    const theirs = await other.createMachine(request('foreign-1', 'm0', { tags: ownershipTags({ managementId: 'someone-else', infraId: 'foreign-1', machineName: 'm0', createdAt: '2026-11-25T00:00:00.000Z' }) }));
    const error = await failureOf(adapter.createMachine(request('foreign-1', 'm0')));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/another management cluster/);
    expect(await collect(adapter.listMachines({ [TAG.management]: managementId, [TAG.cluster]: 'foreign-1' }))).toEqual([]);
    expect((await collect(adapter.listMachines({ [TAG.cluster]: 'foreign-1' }))).map((machine) => machine.providerId)).toEqual([theirs.providerId]);
  });

  it('refuses a wrong password as a credentials problem, pointing at the credentials secret, and never echoes it', async () => {
    const wrong = `${vcsim.password}-not`;
    const refused = adapterWith({ credentials: () => ({ username: vcsim.username, password: wrong }) });
    for (const call of [() => refused.describeMachine('cred-1-m0'), () => collect(refused.listMachines({ [TAG.cluster]: 'cred-1' }))]) {
      const error = await failureOf(call());
      expect(error.kind).toBe('credentials');
      expect(error.message).toMatch(/check the credentials secret/);
      expect(`${error.message} ${JSON.stringify(error.details)} ${error.stack ?? ''}`).not.toContain(wrong);
    }
  });

  it('refuses a vCenter whose certificate it cannot trust, saying where the CA goes', async () => {
    const untrusting = adapterWith({ caCertificate: undefined });
    const error = await failureOf(untrusting.describeMachine('tls-1-m0'));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/caCertificate/);
  });

  it('refuses a plain-http vCenter address unless SLIPWAY_ALLOW_INSECURE_ENDPOINTS allows it', () => {
    const plain = proxy.url.replace(/^https:/, 'http:');
    let refused: unknown;
    try {
      adapterWith({ endpoint: plain });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).kind).toBe('invalid');
    expect((refused as ProviderError).message).toMatch(/vCenter address http:\/\/127\.0\.0\.1:\d+ is not https.*SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1/);
    expect(() => adapterWith({ endpoint: plain, allowInsecureEndpoints: true })).not.toThrow();
  });

  it('cuts off an answer larger than the limit instead of reading it all', async () => {
    const limited = adapterWith({ maxResponseBytes: 512 });
    const error = await failureOf(limited.describeMachine('big-1-m0'));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/larger than 512 bytes/);
  });

  it('refuses placement vCenter does not have, naming the setting', async () => {
    const misplaced = adapterWith({ placement: { ...VCSIM_PLACEMENT, datacenter: 'NoSuchDC' } });
    const error = await failureOf(misplaced.createMachine(request('place-1', 'm0')));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/SLIPWAY_VSPHERE_DATACENTER/);
    const noTemplate = await failureOf(adapter.createMachine(request('place-1', 'm0', { image: 'no-such-template' })));
    expect(noTemplate.kind).toBe('invalid');
    expect(noTemplate.message).toMatch(/image "no-such-template"/);
  });

  it('deletes machines that share their owner tag side by side without failing, and the tag goes with the last one deleted alone', async () => {
    const infraId = 'race-1';
    const owner = 'race-1-pool';
    const ownerTag = `slipway.dev_owner=${owner}`;
    const pooled = (machineName: string) =>
      request(infraId, machineName, { tags: ownershipTags({ managementId, infraId, machineName, role: 'worker', owner, createdAt: '2026-11-25T00:00:00.000Z' }) });
    await adapter.ensureClusterInfra(infraRequest(infraId));
    for (let round = 0; round < 5; round += 1) {
      const made = await Promise.all([0, 1, 2].map((index) => adapter.createMachine(pooled(`r${round}-m${index}`))));
      expect(await allTags()).toContain(ownerTag);
      // Two deletes can each find the other's VM gone and both delete the owner tag: the second finds it deleted already.
      await Promise.all(made.map((machine) => adapter.deleteMachine(machine.providerId)));
    }
    // Each can also find the other's VM still there and leave the tag: a later delete with nothing else carrying it takes it.
    const last = await adapter.createMachine(pooled('last-m0'));
    await adapter.deleteMachine(last.providerId);
    expect(await allTags()).not.toContain(ownerTag);
    await adapter.deleteClusterInfra(infraId);
  });

  it('deletes a powered-off VM, and a delete of an unknown instance UUID succeeds', async () => {
    await adapter.ensureClusterInfra(infraRequest('off-1'));
    await rawClone('/DC0/vm/off-1', 'off-1-m0');
    const uuid = (await vmProperties('/DC0/vm/off-1/off-1-m0', ['config.instanceUuid']))['config.instanceUuid'];
    await adapter.deleteMachine(`vsphere://${uuid}`);
    expect(await find('/DC0/vm/off-1/off-1-m0')).toBeUndefined();
    await adapter.deleteMachine('vsphere://4217d3f2-0000-0000-0000-000000000000');
    const error = await failureOf(adapter.deleteMachine('aws:///us-east-1a/i-0123'));
    expect(error.kind).toBe('invalid');
  });
});
