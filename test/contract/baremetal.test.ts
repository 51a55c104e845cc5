/**
 * The bare-metal adapter against sushy-tools' Redfish emulator (fake driver, basic auth with a
 * real password): the shared provider contract through the fault proxy (speaking Redfish's
 * error dialect), then what only bare metal has: one-time PXE boot and power on, phases from
 * the observed PowerState, release after power-off (watched or not), claims shared by two
 * workers, stale provider IDs, an exhausted or edited inventory, and refused BMC credentials.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createBaremetalAdapter } from '../../providers/baremetal/adapter';
import type { BaremetalAdapterOptions } from '../../providers/baremetal/options';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type CloudMachine, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { redfishFaultDialect, startSushy, type RunningSushy, type SushySystem } from '../support/peers/sushy';
import { IMPATIENT_TIMEOUT_MS, describeProviderContract } from './provider-contract';
import { collect, errorOf, eventually as eventuallyWithin, sleep } from '../support/async-checks';

const CREDENTIALS_REF = 'bmc-lab';
const HOST_CLASS = 'small';

async function writeInventory(path: string, bmcUrl: string, systems: readonly SushySystem[]): Promise<void> {
  const hosts = systems.map((system) => ({ name: system.name, class: HOST_CLASS, bmc: { url: bmcUrl, system: system.path, credentials: CREDENTIALS_REF } }));
  await writeFile(path, stringify({ hosts }));
}

function credentialsResolver(sushy: RunningSushy, password = sushy.password): BaremetalAdapterOptions['resolveCredentials'] {
  return async (ref) => {
    if (ref !== CREDENTIALS_REF) throw new Error(`no secret named ${ref}`);
    return { username: sushy.username, password };
  };
}

/** A fake-driver power change lands 1 to 11 s after the request; give it 30 s. */
const eventually = <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => eventuallyWithin(read, done, 30_000, 250);

describeProviderContract('baremetal', async () => {
  // The contract claims pageSize * 2 + 3 machines, 50 in its fault batch and a few more at once.
  const sushy = await startSushy({ systemCount: 90 });
  const proxy = await startFaultProxy({ upstream: sushy.url, dialect: redfishFaultDialect(), seed: 13 });
  const dir = await mkdtemp(join(tmpdir(), 'slipway-contract-baremetal-'));
  const teardown = async (): Promise<void> => {
    await proxy.stop();
    await sushy.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const inventoryPath = join(dir, 'inventory.yaml');
  const requestTimeoutMs = 10_000;
  const pageSize = 5;
  // sushy-tools speaks plain http: the emulator-only setting a worker would take from SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1.
  const adapter = createBaremetalAdapter({ inventoryPath, databasePath: join(dir, 'claims.sqlite'), resolveCredentials: credentialsResolver(sushy), requestTimeoutMs, pageSize, allowInsecureEndpoints: true });
  try {
    await writeInventory(inventoryPath, proxy.url, sushy.systems);
  } catch (error) {
    await teardown();
    throw error;
  }
  return {
    adapter,
    impatient: createBaremetalAdapter({ inventoryPath, databasePath: join(dir, 'claims.sqlite'), resolveCredentials: credentialsResolver(sushy), requestTimeoutMs: IMPATIENT_TIMEOUT_MS, pageSize, allowInsecureEndpoints: true }),
    credential: sushy.password,
    proxy,
    requestTimeoutMs,
    pageSize,
    teardown,
  };
}, { needsClusterNetwork: false, tagsResources: 'all' });

describe('baremetal adapter on sushy-tools: what bare metal alone has', () => {
  let sushy: RunningSushy;
  let proxy: FaultProxy;
  let dir: string;
  let serial = 0;

  /** Reads a system straight from the emulator, to see what the adapter did to it. */
  const systemOf = async (system: SushySystem): Promise<{ PowerState: string; Boot: { BootSourceOverrideTarget: string } }> => {
    const response = await fetch(new URL(system.path, sushy.url), { headers: { authorization: `Basic ${Buffer.from(`${sushy.username}:${sushy.password}`).toString('base64')}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as { PowerState: string; Boot: { BootSourceOverrideTarget: string } };
  };

  /** An adapter over some of the emulator's systems, with its own inventory file and claims database. */
  const adapterOver = async (systems: readonly SushySystem[], overrides: Partial<BaremetalAdapterOptions> = {}): Promise<{ adapter: ProviderAdapter; options: BaremetalAdapterOptions }> => {
    const id = serial++;
    const inventoryPath = join(dir, `inventory-${id}.yaml`);
    await writeInventory(inventoryPath, proxy.url, systems);
    const options: BaremetalAdapterOptions = {
      inventoryPath,
      databasePath: join(dir, `claims-${id}.sqlite`),
      resolveCredentials: credentialsResolver(sushy),
      requestTimeoutMs: 3_000,
      pageSize: 2,
      allowInsecureEndpoints: true,
      ...overrides,
    };
    return { adapter: createBaremetalAdapter(options), options };
  };

  const request = (infraId: string, machineName: string, overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest => ({
    name: `${infraId}-${machineName}`,
    idempotencyToken: `${infraId}${machineName}`.replaceAll('-', ''),
    role: 'worker',
    instanceType: HOST_CLASS,
    image: 'rhcos-4.16',
    infraId,
    tags: ownershipTags({ managementId: 'mgmt-bm', infraId, machineName, role: 'worker', createdAt: '2026-11-25T00:00:00.000Z' }),
    ...overrides,
  });

  beforeAll(async () => {
    sushy = await startSushy({ systemCount: 13 });
    proxy = await startFaultProxy({ upstream: sushy.url, dialect: redfishFaultDialect(), seed: 17 });
    dir = await mkdtemp(join(tmpdir(), 'slipway-baremetal-'));
  });
  afterAll(async () => {
    await proxy?.stop();
    await sushy?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const system = (index: number): SushySystem => {
    const found = sushy.systems[index];
    if (!found) throw new Error(`the emulator has no system ${index}`);
    return found;
  };

  it('arms a one-time PXE boot, powers the host on, and reports pending until the BMC says On', async () => {
    const host = system(0);
    const { adapter } = await adapterOver([host]);
    const machine = await adapter.createMachine(request('bm-boot', 'w0'));
    expect(machine.providerId).toMatch(new RegExp(`^baremetal://${host.name}/\\d+$`));
    expect(machine.phase).toBe('pending');
    expect((await systemOf(host)).Boot.BootSourceOverrideTarget).toBe('Pxe');
    const running = await eventually(
      () => adapter.describeMachine(machine.name),
      (current) => current?.phase === 'running',
    );
    expect(running?.phase).toBe('running');
    expect((await systemOf(host)).PowerState).toBe('On');
    expect(running?.tags).toEqual(request('bm-boot', 'w0').tags);
  });

  it('lists a deleted machine as stopping until the BMC reports Off, then frees the host with its boot override cleared', async () => {
    const host = system(1);
    const { adapter } = await adapterOver([host]);
    const wanted = request('bm-delete', 'w0');
    const machine = await adapter.createMachine(wanted);
    await eventually(
      () => adapter.describeMachine(machine.name),
      (current) => current?.phase === 'running',
    );
    await adapter.deleteMachine(machine.providerId);
    // The fake driver powers off 1 to 11 s after ForceOff. Power only goes from On to Off here, so a
    // BMC still On after the list was On during it, and the machine must have listed as stopping.
    const listed = await collect(adapter.listMachines({ [TAG.cluster]: 'bm-delete' }));
    if ((await systemOf(host)).PowerState === 'On') expect(listed.map((current) => current.phase)).toEqual(['stopping']);
    const gone = await eventually(
      () => adapter.describeMachine(machine.name),
      (current) => current === undefined,
    );
    expect(gone).toBeUndefined();
    const after = await systemOf(host);
    expect(after.PowerState).toBe('Off');
    expect(after.Boot.BootSourceOverrideTarget).toBe('None');
    expect(await collect(adapter.listResources({ [TAG.cluster]: 'bm-delete' }))).toEqual([]);
    // Freed: the only host of this inventory can be claimed again.
    const again = await adapter.createMachine(request('bm-delete', 'w1'));
    expect(again.providerId).toMatch(new RegExp(`^baremetal://${host.name}/`));
    expect(again.providerId).not.toBe(machine.providerId);
  });

  it('never lets a late delete of an earlier machine touch the next machine on the same host', async () => {
    const host = system(2);
    const { adapter } = await adapterOver([host]);
    const first = await adapter.createMachine(request('bm-stale', 'w0'));
    await adapter.deleteMachine(first.providerId);
    await eventually(
      () => adapter.describeMachine(first.name),
      (current) => current === undefined,
    );
    const second = await adapter.createMachine(request('bm-stale', 'w1'));
    await adapter.deleteMachine(first.providerId);
    const described = await adapter.describeMachine(second.name);
    expect(described?.providerId).toBe(second.providerId);
    expect(described?.phase === 'pending' || described?.phase === 'running').toBe(true);
  });

  it('refuses a create as quota when every host of the class is claimed, saying to add hosts or lower replicas', async () => {
    const { adapter, options } = await adapterOver([system(3)]);
    await adapter.createMachine(request('bm-quota', 'w0'));
    const error = await errorOf(adapter.createMachine(request('bm-quota', 'w1')));
    expect(error.kind).toBe('quota');
    expect(error.message).toContain('add hosts to the inventory');
    expect(error.message).toContain(options.inventoryPath);
    expect(error.message).toContain('lower the replicas');
    expect((await errorOf(adapter.createMachine(request('bm-quota', 'w2', { instanceType: 'huge' })))).kind).toBe('invalid');
  });

  it('picks up hosts added to the inventory file without a restart', async () => {
    const { adapter, options } = await adapterOver([system(4)]);
    await adapter.createMachine(request('bm-grow', 'w0'));
    expect((await errorOf(adapter.createMachine(request('bm-grow', 'w1')))).kind).toBe('quota');
    await sleep(20); // a distinct modification time
    await writeInventory(options.inventoryPath, proxy.url, [system(4), system(5)]);
    const added = await adapter.createMachine(request('bm-grow', 'w1'));
    expect(added.providerId).toMatch(new RegExp(`^baremetal://${system(5).name}/`));
  });

  it('shares claims between two workers on one machine: never one host twice, one host per name', async () => {
    const hosts = [system(6), system(7), system(8)];
    const { options } = await adapterOver(hosts);
    const workerA = createBaremetalAdapter(options);
    const workerB = createBaremetalAdapter(options);
    const created = await Promise.all([
      workerA.createMachine(request('bm-shared', 'w0')),
      workerB.createMachine(request('bm-shared', 'w1')),
      workerA.createMachine(request('bm-shared', 'w2')),
      workerB.createMachine(request('bm-shared', 'w0')),
    ]);
    expect(created[3]?.providerId).toBe(created[0]?.providerId);
    expect(new Set(created.map((machine) => machine.providerId)).size).toBe(3);
    const listed: CloudMachine[] = await collect(workerB.listMachines({ [TAG.cluster]: 'bm-shared' }));
    expect(listed.map((machine) => machine.name).sort()).toEqual(['bm-shared-w0', 'bm-shared-w1', 'bm-shared-w2']);
  });

  it('lists claimed hosts as machine resources for the sweeper, and deleting one releases it', async () => {
    const { adapter } = await adapterOver([system(9)]);
    const machine = await adapter.createMachine(request('bm-sweep', 'w0'));
    const resources = await collect(adapter.listResources({ [TAG.cluster]: 'bm-sweep' }));
    expect(resources).toEqual([{ kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags, createdAt: machine.createdAt }]);
    const resource = resources[0];
    if (!resource) throw new Error('no resource listed');
    await adapter.deleteResource(resource);
    // The host stays claimed until its BMC reports Off; a describe (as the delete activity polls) finishes the release.
    const gone = await eventually(
      () => adapter.describeMachine(machine.name),
      (current) => current === undefined,
    );
    expect(gone).toBeUndefined();
    expect(await collect(adapter.listResources({ [TAG.cluster]: 'bm-sweep' }))).toEqual([]);
  });

  it('finishes a release nobody watched once the pool runs dry and the BMC reports Off', async () => {
    const { adapter } = await adapterOver([system(11)]);
    const first = await adapter.createMachine(request('bm-unwatched', 'w0'));
    await eventually(
      () => adapter.describeMachine(first.name),
      (current) => current?.phase === 'running',
    );
    // A sweeper deletes and moves on: nothing describes or lists the machine afterwards.
    await adapter.deleteResource({ kind: 'machine', id: first.providerId, name: first.name, tags: first.tags });
    const next = await eventually(
      () => adapter.createMachine(request('bm-unwatched', 'w1')).catch((error: unknown) => error),
      (outcome) => !(outcome instanceof ProviderError && outcome.kind === 'quota'),
    );
    expect(next).not.toBeInstanceOf(Error);
    expect((next as CloudMachine).providerId).toMatch(new RegExp(`^baremetal://${system(11).name}/`));
    expect((next as CloudMachine).providerId).not.toBe(first.providerId);
  });

  it('keeps serving claimed hosts while the inventory file is broken, and refuses new claims until it is fixed', async () => {
    const { adapter, options } = await adapterOver([system(12)]);
    const machine = await adapter.createMachine(request('bm-broken', 'w0'));
    await sleep(20); // a distinct modification time
    await writeFile(options.inventoryPath, 'hosts: [ {name: ');
    expect((await adapter.describeMachine(machine.name))?.providerId).toBe(machine.providerId);
    const refused = await errorOf(adapter.createMachine(request('bm-broken', 'w1')));
    expect(refused.kind).toBe('invalid');
    expect(refused.message).toContain(options.inventoryPath);
  });

  it('refuses wrong BMC credentials as a credentials problem, naming the secret and never the password', async () => {
    const wrongPassword = 'not-the-bmc-password-42';
    const { adapter } = await adapterOver([system(10)], { resolveCredentials: credentialsResolver(sushy, wrongPassword) });
    const error = await errorOf(adapter.createMachine(request('bm-auth', 'w0')));
    expect(error.kind).toBe('credentials');
    expect(error.details.status).toBe(401);
    expect(error.message).toContain('check the BMC credentials secret');
    expect(error.message).toContain(CREDENTIALS_REF);
    expect(`${error.message} ${JSON.stringify(error.details)} ${error.stack ?? ''}`).not.toContain(wrongPassword);
    expect(`${error.message} ${error.stack ?? ''}`).not.toContain(sushy.password);
  });

  it('refuses a plain-http BMC unless SLIPWAY_ALLOW_INSECURE_ENDPOINTS allows it, before any credential is sent', async () => {
    const before = proxy.stats.requests;
    const { adapter } = await adapterOver([system(12)], { allowInsecureEndpoints: false });
    const error = await errorOf(adapter.createMachine(request('bm-http', 'w0')));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/is not https, and credentials are never sent over plain http.*SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1/);
    expect(proxy.stats.requests).toBe(before);
  });
});
