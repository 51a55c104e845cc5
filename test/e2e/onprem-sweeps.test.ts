/**
 * Orphan sweeps on vSphere (govmomi's vcsim) and bare metal (sushy-tools' Redfish emulator), end to
 * end: the worker's real workflows and activities on the run's Temporal dev server, Redis, the REST
 * API and the `slipway` bin. Beside a live cluster on each, resources leaked on purpose (a dead
 * cluster's, another management plane's, untagged, protected, young) are reported by a dry run that
 * changes nothing; a deleting run marks the dead cluster's, and the next removes exactly those.
 * On vSphere that is the dead cluster's VM and then its folder, and the marks never become vSphere
 * tags; on bare metal a delete is a release: the host is powered off, its one-time PXE boot
 * cleared, and its claim freed, while every other host stays claimed and powered on.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaremetalAdapter } from '../../providers/baremetal/adapter';
import { HostInventory } from '../../providers/baremetal/inventory';
import { cloudTagKey } from '../../providers/tag-encoding';
import { TAG } from '../../providers/tags';
import type { CanonicalTags, CloudResource, ProviderAdapter } from '../../providers/types';
import { createVsphereAdapter, VCSIM_PLACEMENT } from '../../providers/vsphere/adapter';
import { createHttpTransport, type HttpTransport } from '../../providers/vsphere/http';
import { createRestClient, type RestClient } from '../../providers/vsphere/rest';
import { createSoapClient } from '../../providers/vsphere/soap';
import { createVim, type Vim } from '../../providers/vsphere/vim';
import { text } from '../../providers/vsphere/xml';
import type { SweepObject } from '../../workflows/sweep/definitions';
import { startTestApi, type TestApi } from '../support/api';
import { collect, eventually } from '../support/async-checks';
import { startSushy, type RunningSushy } from '../support/peers/sushy';
import { addTemplate, startVcsim, type RunningVcsim } from '../support/peers/vcsim';
import { slipwayBin } from '../support/slipway-bin';
import { startTestStack, type TestStack } from '../support/stack';
import { expectDeletingRun, expectDryRunReport, expectMarkingRun, infraIdOf, leakOnEach, ownTags, scenarioOn, sweepViaRest, type LeakScenario, type LeakingCloud } from '../support/sweeps';
import { createTestCa, type TestCa } from '../support/test-ca';

const MIN_AGE_MS = 20_000;
const TEMPLATE = 'rhcos-4.16';
const VSPHERE_SECRET = 'vsphere-sweep';
const BMC_SECRET = 'bmc-lab';
const SITE = 'lab-1';

let ca: TestCa;
let vcsim: RunningVcsim;
let sushy: RunningSushy;
let stack: TestStack;
let api: TestApi;
let scratch: string;
let inventoryPath: string;
let slipway: ReturnType<typeof slipwayBin>;
/** Straight to vcsim, to leak what no adapter would make and to see what the sweep did. */
let transport: HttpTransport;
let vim: Vim;
let rest: RestClient;

beforeAll(async () => {
  ca = await createTestCa();
  vcsim = await startVcsim(ca);
  await addTemplate(vcsim, ca, 'DC0_H0_VM0', TEMPLATE);
  // The live cluster's control plane takes a control-plane host; every leak takes a worker host.
  sushy = await startSushy({ systemCount: 10 });
  scratch = await mkdtemp(join(tmpdir(), 'slipway-onprem-sweeps-'));
  inventoryPath = join(scratch, 'hosts.yaml');
  const hosts = sushy.systems.map((system, index) => ({ name: system.name, class: index < 2 ? 'control-plane' : 'worker', bmc: { url: sushy.url, system: system.path, credentials: BMC_SECRET } }));
  await writeFile(inventoryPath, stringify({ hosts }));
  stack = await startTestStack({
    adapterEnv: { SLIPWAY_VSPHERE_ENDPOINT: vcsim.url, SLIPWAY_BAREMETAL_INVENTORY: inventoryPath, SLIPWAY_ALLOW_INSECURE_ENDPOINTS: '1' },
  });
  api = await startTestApi(stack);
  slipway = slipwayBin(stack, api, scratch);
  const secrets = join(stack.home, 'secrets', 'default');
  await mkdir(secrets, { recursive: true });
  await writeFile(join(secrets, `${VSPHERE_SECRET}.json`), JSON.stringify({ username: vcsim.username, password: vcsim.password, caCertificate: ca.caCert }), { mode: 0o600 });
  await writeFile(join(secrets, `${BMC_SECRET}.json`), JSON.stringify({ username: sushy.username, password: sushy.password }), { mode: 0o600 });
  transport = createHttpTransport(vcsim.url, 10_000, ca.caCert);
  const credentials = () => ({ username: vcsim.username, password: vcsim.password });
  vim = createVim(createSoapClient(transport, credentials, (value) => value, () => undefined), { taskTimeoutMs: 30_000, redact: (value) => value });
  rest = createRestClient(transport, credentials, (value) => value, () => undefined);
}, 180_000);

afterAll(async () => {
  transport?.close();
  await api?.close();
  await stack?.stop();
  await vcsim?.stop();
  await sushy?.stop();
  if (ca) await rm(ca.dir, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A fresh adapter per read: what one adapter remembers (attribute keys, tag IDs) never hides what the worker's did. */
const vsphereAdapter = (): ProviderAdapter =>
  createVsphereAdapter({ endpoint: vcsim.url, credentials: () => ({ username: vcsim.username, password: vcsim.password }), placement: VCSIM_PLACEMENT, caCertificate: ca.caCert, taskTimeoutMs: 30_000 });

const baremetalAdapter = (): ProviderAdapter =>
  createBaremetalAdapter({
    inventoryPath,
    databasePath: `${inventoryPath}.claims.sqlite`,
    resolveCredentials: async () => ({ username: sushy.username, password: sushy.password }),
    allowInsecureEndpoints: true,
  });

interface OnPremCloud extends LeakingCloud {
  readonly platform: 'vsphere' | 'baremetal';
  readonly region: string;
  readonly credentialsSecret: string;
  readonly adapter: () => ProviderAdapter;
}

const tagsOf = (infraId: string, extra: CanonicalTags = {}, managementId = stack.managementId): CanonicalTags => ownTags(managementId, infraId, extra);

const machineRequest = (infraId: string, machineName: string, instanceType: string, tags: CanonicalTags) => ({
  name: `${infraId}-${machineName}`,
  idempotencyToken: randomBytes(16).toString('hex'),
  role: 'worker' as const,
  instanceType,
  image: TEMPLATE,
  infraId,
  tags,
});

const vsphereMachine = async (infraId: string, machineName: string, tags: CanonicalTags): Promise<string> => (await vsphereAdapter().createMachine(machineRequest(infraId, machineName, 'small', tags))).providerId;
const vsphereInfra = async (infraId: string, managementId: string): Promise<string[]> =>
  (await vsphereAdapter().ensureClusterInfra({ infraId, clusterName: infraId, baseDomain: 'example.test', region: 'dc0', tags: tagsOf(infraId, {}, managementId) })).resources.map((resource) => resource.id);

const vsphereCloud = (): OnPremCloud => ({
  platform: 'vsphere',
  region: 'dc0',
  credentialsSecret: VSPHERE_SECRET,
  adapter: vsphereAdapter,
  liveCluster: { platform: { vsphere: { region: 'dc0', credentialsSecretRef: { name: VSPHERE_SECRET } } } },
  /** The cluster's folder and a VM in it. */
  leakDead: async (infraId) => [...(await vsphereInfra(infraId, stack.managementId)), await vsphereMachine(infraId, 'worker-0', tagsOf(infraId, { [TAG.machine]: 'worker-0', [TAG.role]: 'worker' }))],
  leakForeign: async (infraId, managementId) => [...(await vsphereInfra(infraId, managementId)), await vsphereMachine(infraId, 'worker-0', tagsOf(infraId, { [TAG.machine]: 'worker-0' }, managementId))],
  /** A clone straight into the datacenter's VM folder, given its tags afterwards (through tagResource, as a sweep marks). */
  async leakLoose(tags) {
    const name = `loose-${randomBytes(4).toString('hex')}`;
    const [template, folder, pool] = await Promise.all([vim.findByInventoryPath('leak', `/DC0/vm/${TEMPLATE}`), vim.findByInventoryPath('leak', '/DC0/vm'), vim.findByInventoryPath('leak', '/DC0/host/DC0_C0/Resources')]);
    if (!template || !folder || !pool) throw new Error('vcsim has no template, VM folder or resource pool');
    await vim.waitForTask('leak', await vim.cloneVm('leak', template, folder, name, { pool }));
    const vm = await vim.findByInventoryPath('leak', `/DC0/vm/${name}`);
    if (!vm) throw new Error(`the clone ${name} is missing`);
    const id = `vsphere://${text((await vim.retrieveOne('leak', vm, ['config.instanceUuid']))?.props.get('config.instanceUuid')) ?? ''}`;
    if (Object.keys(tags).length > 0) await vsphereAdapter().tagResource({ kind: 'machine', id, name, tags: {} }, tags);
    return id;
  },
  // An empty query lists the datacenter's VMs that carry no management tag too: a clone nobody tagged.
  leakUntagged() {
    return this.leakLoose({});
  },
});

const baremetalMachine = async (infraId: string, machineName: string, tags: CanonicalTags): Promise<string> => (await baremetalAdapter().createMachine(machineRequest(infraId, machineName, 'worker', tags))).providerId;

const baremetalCloud = (): OnPremCloud => ({
  platform: 'baremetal',
  region: SITE,
  credentialsSecret: BMC_SECRET,
  adapter: baremetalAdapter,
  liveCluster: { platform: { baremetal: { region: SITE, credentialsSecretRef: { name: BMC_SECRET } } } },
  // Bare metal makes nothing but machines: a dead cluster leaves hosts.
  leakDead: async (infraId) => [
    await baremetalMachine(infraId, 'worker-0', tagsOf(infraId, { [TAG.machine]: 'worker-0', [TAG.role]: 'worker' })),
    await baremetalMachine(infraId, 'worker-1', tagsOf(infraId, { [TAG.machine]: 'worker-1', [TAG.role]: 'worker' })),
  ],
  leakForeign: async (infraId, managementId) => [await baremetalMachine(infraId, 'worker-0', tagsOf(infraId, { [TAG.machine]: 'worker-0' }, managementId))],
  /** A host claimed with these tags alone. */
  leakLoose: (tags) => baremetalMachine(infraIdOf('loose'), 'm0', tags),
  // Bare metal lists every claim of the site: a claim no Slipway made carries no tag at all.
  leakUntagged: () => baremetalMachine(infraIdOf('loose'), 'm0', {}),
});

async function contents(cloud: OnPremCloud): Promise<Map<string, CloudResource>> {
  return new Map((await collect(cloud.adapter().listResources({}))).map((resource) => [resource.id, resource]));
}

async function sweepViaCli(cloud: OnPremCloud, extra: string[]): Promise<SweepObject> {
  const result = await slipway(['sweep', '--platform', cloud.platform, '--region', cloud.region, '--credentials-secret', cloud.credentialsSecret, '--min-age', `${MIN_AGE_MS / 1000}s`, '-o', 'json', ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as SweepObject;
}

/** The BMC's view of the host a bare-metal provider ID names. */
async function bmcSystem(providerId: string): Promise<{ PowerState: string; Boot: { BootSourceOverrideTarget: string } }> {
  const hostName = /^baremetal:\/\/([^/]+)\//.exec(providerId)?.[1];
  const system = sushy.systems.find((candidate) => candidate.name === hostName);
  if (!system) throw new Error(`no emulated system behind ${providerId}`);
  const response = await fetch(new URL(system.path, sushy.url), { headers: { authorization: `Basic ${Buffer.from(`${sushy.username}:${sushy.password}`).toString('base64')}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as { PowerState: string; Boot: { BootSourceOverrideTarget: string } };
}

/** Every vSphere tag vcsim holds, as `<category>=<tag>`. */
async function vsphereTags(): Promise<string[]> {
  const names: string[] = [];
  for (const id of (await rest.call('inspect', 'GET', '/rest/com/vmware/cis/tagging/category')) as string[]) {
    const category = (await rest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/category/id:${encodeURIComponent(id)}`)) as { name: string };
    const tagIds = ((await rest.call('inspect', 'POST', `/rest/com/vmware/cis/tagging/tag/id:${encodeURIComponent(id)}?~action=list-tags-for-category`)) as string[] | null) ?? [];
    for (const tagId of tagIds) names.push(`${category.name}=${((await rest.call('inspect', 'GET', `/rest/com/vmware/cis/tagging/tag/id:${encodeURIComponent(tagId)}`)) as { name: string }).name}`);
  }
  return names.sort();
}

describe.sequential('orphan sweeps on vSphere (vcsim) and bare metal (sushy-tools)', () => {
  // Both clouds' leaks are made first and age together, so the grace period is waited out once.
  const scenarios: LeakScenario<OnPremCloud>[] = [];

  it('leaks resources on purpose on vcsim and sushy-tools, beside a live cluster on each', { timeout: 240_000 }, async () => {
    scenarios.push(...(await leakOnEach(stack, [vsphereCloud(), baremetalCloud()], MIN_AGE_MS)));
  });

  for (const platform of ['vsphere', 'baremetal'] as const) {
    it(`${platform}: a dry run reports every leak and changes nothing; a deleting run marks, the next deletes exactly the dead cluster's`, { timeout: 240_000 }, async () => {
      const scenario = scenarioOn(scenarios, platform);
      const { cloud, live, dead, deadIds, protectedId, foreignIds, untaggedId } = scenario;
      const youngId = await cloud.leakLoose(tagsOf(`${dead}-b`));
      const before = await contents(cloud);
      const liveIds = [...before.values()].filter((resource) => resource.tags[TAG.cluster] === live).map((resource) => resource.id);
      expect(liveIds.length).toBeGreaterThan(0);
      const tagsBefore = platform === 'vsphere' ? await vsphereTags() : [];

      const leaks = { deadIds, protectedId, youngId, untaggedId, foreignIds, liveIds };
      const dry = await sweepViaCli(cloud, []);
      expect(dry.spec.mode).toBe('dry-run');
      expectDryRunReport(dry, leaks, before, await contents(cloud));

      const marking = await sweepViaRest(api, { platform, region: cloud.region, credentialsSecret: cloud.credentialsSecret, mode: 'delete', minAgeSeconds: MIN_AGE_MS / 1000 });
      expectMarkingRun(marking, leaks, before, await contents(cloud));
      // vSphere keeps the mark as a custom attribute of the VM and the folder: not one tag more.
      if (platform === 'vsphere') expect(await vsphereTags()).toEqual(tagsBefore);

      const deleting = await sweepViaCli(cloud, ['--delete']);
      expectDeletingRun(deleting, leaks, before, await contents(cloud));

      if (platform === 'vsphere') {
        // The VM went first, then its folder; the dead cluster's tag went with the last object carrying it.
        expect(await vim.findByInventoryPath('inspect', `/DC0/vm/${dead}`)).toBeUndefined();
        const tagsAfter = await vsphereTags();
        expect(tagsAfter).not.toContain(`${cloudTagKey('vsphere', TAG.cluster)}=${dead}`);
        expect(tagsAfter.filter((tag) => !tagsBefore.includes(tag))).toEqual([]);
        expect(tagsAfter.some((tag) => tag.startsWith(`${cloudTagKey('vsphere', TAG.sweepMarked)}=`))).toBe(false);
      } else {
        // A delete is a release: the BMC powers the host off, its PXE boot is disarmed, and its claim is freed.
        const claims = new HostInventory(`${inventoryPath}.claims.sqlite`);
        try {
          const hostOf = (id: string) => claims.byHostName(/^baremetal:\/\/([^/]+)\//.exec(id)?.[1] ?? '');
          const freed = await eventually(
            async () => {
              await collect(cloud.adapter().listResources({})); // as the next sweep's list does, it moves the releases on
              return deadIds.map((id) => hostOf(id)?.state);
            },
            (states) => states.every((state) => state === 'free'),
            60_000,
            500,
          );
          expect(freed).toEqual(deadIds.map(() => 'free'));
          for (const id of deadIds) {
            const system = await bmcSystem(id);
            expect(system.PowerState, id).toBe('Off');
            expect(system.Boot.BootSourceOverrideTarget, id).toBe('None');
          }
          // Every other host keeps its claim and is powered on (the young one's BMC may take a few seconds more).
          for (const id of [...liveIds, ...foreignIds, protectedId, youngId, untaggedId]) {
            expect(hostOf(id)?.state, id).toBe('provisioned');
            expect((await eventually(() => bmcSystem(id), (system) => system.PowerState === 'On', 30_000, 500)).PowerState, id).toBe('On');
          }
        } finally {
          claims.close();
        }
      }
    });
  }
});
