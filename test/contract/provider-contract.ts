/**
 * The provider contract: one suite, the same cases for every adapter, each run against a
 * real emulator of its cloud. An adapter is done when it passes this unchanged.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type CloudMachine, type CloudResource, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';
import { redisSweepMarks, withSweepMarks } from '../../services/worker/sweep-marks';
import type { FaultProxy } from '../support/fault-proxy';
import { collect, errorOf, eventually, sleep } from '../support/async-checks';
import { orderForDeletion } from '../../workflows/planners/sweep/run';

export interface ContractHarness {
  /** Talks to the emulator through `proxy`, never directly. */
  readonly adapter: ProviderAdapter;
  /** The secret the adapter holds; it must never appear in an error message. */
  readonly credential: string;
  /** Between the adapter and the emulator; speaks the cloud's own error dialect. */
  readonly proxy: FaultProxy;
  /** The adapter's request timeout, so the timeout case can wait it out. */
  readonly requestTimeoutMs: number;
  /**
   * The same adapter with a request timeout of a few seconds, for the cases that wait one out,
   * where `adapter` needs a longer one for the emulator's slowest calls.
   */
  readonly impatient?: ProviderAdapter;
  /** The largest page the adapter asks for, so paging can be exercised. */
  readonly pageSize: number;
  /** What the emulator printed, shown when a case failed. */
  emulatorOutput?(): string;
  teardown(): Promise<void>;
}

/** The request timeout of a harness's impatient adapter. */
export const IMPATIENT_TIMEOUT_MS = 3_000;
const FAULT_BATCH_SIZE = 50;
const FAULT_RATE = 0.1;

/**
 * What the activity retry policy does for an adapter call, reduced to a bounded loop:
 * throttled waits for the cloud's hint, retryable goes again after an exponential backoff,
 * anything else fails.
 */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const again = error instanceof ProviderError && (error.kind === 'throttled' || error.kind === 'retryable');
      if (!again || attempt >= 20) throw error;
      const backoffMs = Math.min(100 * 2 ** (attempt - 1), 2_000);
      await sleep(error.kind === 'throttled' ? Math.min(error.details.retryAfterMs ?? backoffMs, 2_000) : backoffMs);
    }
  }
}

async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += width) results.push(...(await Promise.all(items.slice(start, start + width).map(work))));
  return results;
}

export interface ContractOptions {
  /** Machines go into their cluster's own network, so a create before ensureClusterInfra must wait. */
  readonly needsClusterNetwork: boolean;
  /**
   * How an orphan sweep's mark reaches an existing resource. 'all': tagResource adds tags to every
   * resource listResources returns. 'some': to those canTag says the cloud can tag; it refuses the
   * others as 'invalid', changing nothing, and the sweep's mark store holds their marks instead.
   */
  readonly tagsResources: 'all' | 'some';
  /** How many creates or deletes the suite runs side by side; 10 unless the emulator cannot take that. */
  readonly machinesAtOnce?: number;
}

export function describeProviderContract(name: string, setup: () => Promise<ContractHarness>, options: ContractOptions): void {
  const machinesAtOnce = options.machinesAtOnce ?? 10;
  describe(`provider contract: ${name}`, () => {
    let harness: ContractHarness;
    const infraId = `contract-${randomUUID().slice(0, 8)}`;
    const managementId = `contract-${randomUUID().slice(0, 8)}`;
    let serial = 0;

    const request = (overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest => {
      const machineName = `m-${serial++}`;
      return {
        name: `${infraId}-${machineName}`,
        idempotencyToken: randomUUID().replaceAll('-', ''),
        role: 'worker',
        instanceType: 'small',
        image: 'rhcos-4.16',
        infraId,
        tags: ownershipTags({ managementId, infraId, machineName, role: 'worker', createdAt: new Date().toISOString() }),
        ...overrides,
      };
    };
    const owned = () => collect(harness.adapter.listMachines({ [TAG.management]: managementId, [TAG.cluster]: infraId }));
    const live = async () => (await owned()).filter((machine) => machine.phase !== 'terminated' && machine.phase !== 'stopping');

    beforeAll(async () => {
      harness = await setup();
      // An emulator's first calls can be slow (moto loads its EC2 catalogue lazily); warm it up
      // the way a worker's retries would, so the first case measures the adapter, not the cold start.
      await retried(() => collect(harness.adapter.listMachines({ [TAG.cluster]: `${infraId}-warm-up` })));
      // Its session too, or a fault scripted for one of its calls would meet its login instead.
      const impatient = harness.impatient;
      if (impatient) await retried(() => collect(impatient.listMachines({ [TAG.cluster]: `${infraId}-warm-up` })));
      if (options.needsClusterNetwork) {
        for (const id of [infraId, `${infraId}-pages`, `${infraId}-faults`]) {
          await retried(() => harness.adapter.ensureClusterInfra({ infraId: id, clusterName: id, baseDomain: 'example.test', region: 'local-1', tags: ownershipTags({ managementId, infraId: id, createdAt: new Date().toISOString() }) }));
        }
      }
    }, 120_000);
    let failed = false;
    afterEach(({ task }) => {
      failed ||= task.result?.state === 'fail';
    });
    afterAll(async () => {
      if (failed && harness?.emulatorOutput) console.error(`provider contract: ${name}: a case failed; the emulator printed:\n${harness.emulatorOutput()}`);
      await harness?.teardown();
    });

    it('creates a machine, tagged at creation, with its provider ID at once', async () => {
      const wanted = request();
      const machine = await harness.adapter.createMachine(wanted);
      expect(machine.providerId).toBeTruthy();
      expect(machine.name).toBe(wanted.name);
      expect(machine.tags).toMatchObject(wanted.tags);
      expect((await harness.adapter.describeMachine(wanted.name))?.providerId).toBe(machine.providerId);
    });

    // Only where machines sit in a network of the cluster's own; the others have none to miss.
    const itWithClusterNetwork = options.needsClusterNetwork ? it : () => undefined;
    itWithClusterNetwork('waits (retryable, naming what is missing) instead of creating a machine outside its cluster\'s network', async () => {
      const homeless = `${infraId}-nonet`;
      const wanted = request({ name: `${homeless}-m`, infraId: homeless, tags: ownershipTags({ managementId, infraId: homeless, machineName: 'm', role: 'worker', createdAt: new Date().toISOString() }) });
      const error = await errorOf(harness.adapter.createMachine(wanted));
      expect(error.kind).toBe('retryable');
      expect(error.message).toMatch(new RegExp(`infrastructure of cluster ${homeless} is not ready: .+ is missing.*retried`));
      expect(await collect(harness.adapter.listMachines({ [TAG.cluster]: homeless }))).toEqual([]);
    });

    it('returns the same machine for a repeated create', async () => {
      const wanted = request();
      const first = await harness.adapter.createMachine(wanted);
      const second = await harness.adapter.createMachine(wanted);
      expect(second.providerId).toBe(first.providerId);
      expect((await live()).filter((machine) => machine.name === wanted.name)).toHaveLength(1);
    });

    it('makes no duplicate when a crash lost the result of a create', async () => {
      const wanted = request();
      await harness.adapter.createMachine(wanted); // the result is "lost": nothing recorded it
      const retried = await harness.adapter.createMachine({ ...wanted, tags: { ...wanted.tags, [TAG.createdAt]: new Date(Date.now() + 1000).toISOString() } });
      const named = (await live()).filter((machine) => machine.name === wanted.name);
      expect(named.map((machine) => machine.providerId)).toEqual([retried.providerId]);
    });

    it('lists by tags across pages, each machine exactly once', async () => {
      const pageInfra = `${infraId}-pages`;
      const count = harness.pageSize * 2 + 3;
      // Retried as the activity would: under CI's load moto now and then answers a create with its own HTML 500 page.
      const created = await inBatches(Array.from({ length: count }, (_, index) => index), machinesAtOnce, (index) =>
        retried(() => harness.adapter.createMachine(request({ name: `${pageInfra}-w${index}`, tags: ownershipTags({ managementId, infraId: pageInfra, machineName: `w${index}`, createdAt: new Date().toISOString() }) }))),
      );
      const listed: CloudMachine[] = await collect(harness.adapter.listMachines({ [TAG.cluster]: pageInfra }));
      expect(listed.map((machine) => machine.providerId).sort()).toEqual(created.map((machine) => machine.providerId).sort());
      for (const machine of created) await harness.adapter.deleteMachine(machine.providerId);
    });

    it('deletes a machine, and deleting it again (or a missing one) succeeds', async () => {
      const machine = await harness.adapter.createMachine(request());
      await harness.adapter.deleteMachine(machine.providerId);
      await harness.adapter.deleteMachine(machine.providerId);
      const after = await harness.adapter.describeMachine(machine.name);
      expect(after === undefined || after.phase === 'stopping' || after.phase === 'terminated').toBe(true);
    });

    it('classifies throttling with the cloud\'s retry hint', async () => {
      harness.proxy.script([{ kind: 'throttle', retryAfterSeconds: 2 }]);
      const error = await errorOf(harness.adapter.createMachine(request()));
      expect(error.kind).toBe('throttled');
      expect(error.details.retryAfterMs).toBe(2000);
    });

    it('classifies a 5xx as retryable', async () => {
      const machine = await harness.adapter.createMachine(request());
      harness.proxy.script([{ kind: 'serverError' }]);
      expect((await errorOf(harness.adapter.describeMachine(machine.name))).kind).toBe('retryable');
    });

    it('classifies a timeout as retryable', async () => {
      const machine = await harness.adapter.createMachine(request());
      harness.proxy.script([{ kind: 'timeout' }]);
      expect((await errorOf((harness.impatient ?? harness.adapter).describeMachine(machine.name))).kind).toBe('retryable');
    });

    it('classifies an invalid request as invalid, with a message a person can act on', async () => {
      const error = await errorOf(harness.adapter.createMachine(request({ instanceType: '' })));
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(/instanceType/);
    });

    it('never puts the credential in an error message', async () => {
      const machine = await harness.adapter.createMachine(request());
      const adapter = harness.impatient ?? harness.adapter;
      // One fault per call, in turn: concurrent calls may share a request (a login, a lookup) and leave a fault unspent.
      const errors: ProviderError[] = [];
      for (const fault of [{ kind: 'throttle' }, { kind: 'serverError' }, { kind: 'timeout' }] as const) {
        harness.proxy.script([fault]);
        errors.push(await errorOf(adapter.describeMachine(machine.name)));
      }
      errors.push(await errorOf(adapter.createMachine(request({ instanceType: '' }))));
      for (const error of errors) expect(`${error.message} ${JSON.stringify(error.details)} ${error.stack ?? ''}`).not.toContain(harness.credential);
    });

    it('creates cluster infrastructure idempotently and deletes all of it', async () => {
      const clusterInfra = `${infraId}-infra`;
      const infraRequest = {
        infraId: clusterInfra,
        clusterName: 'contract',
        baseDomain: 'example.test',
        region: 'local-1',
        tags: ownershipTags({ managementId, infraId: clusterInfra, createdAt: new Date().toISOString() }),
      };
      const first = await harness.adapter.ensureClusterInfra(infraRequest);
      const second = await harness.adapter.ensureClusterInfra(infraRequest);
      expect(second.apiURL).toBe(first.apiURL);
      expect(second.resources.map((resource) => resource.id).sort()).toEqual(first.resources.map((resource) => resource.id).sort());
      expect((await collect(harness.adapter.listResources({ [TAG.cluster]: clusterInfra }))).length).toBe(first.resources.length);
      await harness.adapter.deleteClusterInfra(clusterInfra);
      await harness.adapter.deleteClusterInfra(clusterInfra);
      expect(await collect(harness.adapter.listResources({ [TAG.cluster]: clusterInfra }))).toEqual([]);
    });
    it('lists every resource it made, with a creation time, and adds a tag to each without losing the others', async () => {
      const sweepInfra = `${infraId}-sweep`;
      const infra = await retried(() =>
        harness.adapter.ensureClusterInfra({ infraId: sweepInfra, clusterName: sweepInfra, baseDomain: 'example.test', region: 'local-1', tags: ownershipTags({ managementId, infraId: sweepInfra, createdAt: new Date().toISOString() }) }),
      );
      const machine = await retried(() => harness.adapter.createMachine(request()));
      const made = new Set([machine.providerId, ...infra.resources.map((resource) => resource.id)]);
      const listed = async () => (await collect(harness.adapter.listResources({ [TAG.management]: managementId }))).filter((resource) => made.has(resource.id));
      const before = await listed();
      expect(before.map((resource) => resource.id).sort()).toEqual([...made].sort());
      for (const resource of before) expect(Number.isNaN(Date.parse(resource.createdAt ?? resource.tags[TAG.createdAt] ?? '')), resource.id).toBe(false);

      const markedAt = new Date().toISOString();
      const marked = (resource: CloudResource) => ({ ...before.find((candidate) => candidate.id === resource.id)?.tags, [TAG.sweepMarked]: markedAt });
      if (options.tagsResources === 'all') {
        expect(before.every((resource) => harness.adapter.canTag?.(resource) ?? true)).toBe(true);
        for (const resource of before) await retried(() => harness.adapter.tagResource(resource, { [TAG.sweepMarked]: markedAt }));
        for (const resource of await listed()) expect(resource.tags, resource.id).toEqual(marked(resource));
      } else {
        const inCloud = new Set(before.filter((resource) => harness.adapter.canTag?.(resource) ?? true).map((resource) => resource.id));
        const inStore = before.filter((resource) => !inCloud.has(resource.id));
        expect(inCloud.size).toBeGreaterThan(0);
        expect(inStore.length).toBeGreaterThan(0);
        for (const resource of inStore) expect((await errorOf(harness.adapter.tagResource(resource, { [TAG.sweepMarked]: markedAt }))).kind, resource.id).toBe('invalid');
        // As a sweep marks: through its view of the adapter, with its mark store in a real Redis.
        const redis = new Redis(inject('redisUrl'));
        try {
          const swept = withSweepMarks(harness.adapter, redisSweepMarks(redis, `contract-${managementId}`));
          for (const resource of before) await retried(() => swept.tagResource(resource, { [TAG.sweepMarked]: markedAt }));
          for (const resource of await listed()) expect(resource.tags, resource.id).toEqual(inCloud.has(resource.id) ? marked(resource) : before.find((candidate) => candidate.id === resource.id)?.tags);
          const seenBySweep = (await collect(swept.listResources({ [TAG.management]: managementId }))).filter((resource) => made.has(resource.id));
          expect(seenBySweep.map((resource) => resource.id).sort()).toEqual([...made].sort());
          for (const resource of seenBySweep) expect(resource.tags, resource.id).toEqual(marked(resource));
        } finally {
          redis.disconnect();
        }
      }
      await retried(() => harness.adapter.deleteMachine(machine.providerId));
      await retried(() => harness.adapter.deleteClusterInfra(sweepInfra));
    });

    it('removes an orphaned cluster whole by deleting what it lists, in the sweep\'s order, with nothing refused', async () => {
      const orphan = `${infraId}-orphan`;
      const tags = (extra: { machineName?: string; role?: string } = {}) => ownershipTags({ managementId, infraId: orphan, createdAt: new Date().toISOString(), ...extra });
      const infra = await retried(() => harness.adapter.ensureClusterInfra({ infraId: orphan, clusterName: orphan, baseDomain: 'example.test', region: 'local-1', tags: tags() }));
      // A control-plane machine joins what the cluster's API sits behind (a target group, an instance group):
      // a kind the adapter makes but does not list would be left holding the rest, and its container refused.
      const machine = await retried(() => harness.adapter.createMachine(request({ name: `${orphan}-cp0`, role: 'control-plane', infraId: orphan, tags: tags({ machineName: 'cp0', role: 'control-plane' }) })));
      const listed = await collect(harness.adapter.listResources({ [TAG.cluster]: orphan }));
      expect(listed.map((resource) => resource.id).sort()).toEqual([machine.providerId, ...infra.resources.map((resource) => resource.id)].sort());
      for (const resource of orderForDeletion(listed)) await retried(() => harness.adapter.deleteResource(resource));
      const left = await eventually(() => collect(harness.adapter.listResources({ [TAG.cluster]: orphan })), (resources) => resources.length === 0, 60_000, 250);
      expect(left).toEqual([]);
    });

    it(`under ${FAULT_RATE * 100}% injected faults, ${FAULT_BATCH_SIZE} creates then ${FAULT_BATCH_SIZE} deletes leave no duplicate and nothing behind`, async () => {
      const batchInfra = `${infraId}-faults`;
      const wanted = Array.from({ length: FAULT_BATCH_SIZE }, (_, index) =>
        request({
          name: `${batchInfra}-f${index}`,
          idempotencyToken: `${batchInfra}-f${index}-token`.replaceAll('-', ''),
          tags: ownershipTags({ managementId, infraId: batchInfra, machineName: `f${index}`, role: 'worker', createdAt: '2026-11-25T00:00:00.000Z' }),
        }),
      );
      const quarter = FAULT_RATE / 5;
      harness.proxy.setRates({ throttle: quarter, serverError: quarter, resetBefore: quarter, resetAfter: quarter, slow: quarter });
      const before = harness.proxy.stats.requests;
      try {
        const created = await inBatches(wanted, machinesAtOnce, (machine) => retried(() => harness.adapter.createMachine(machine)));
        harness.proxy.setRates({});
        const listed = (await collect(harness.adapter.listMachines({ [TAG.cluster]: batchInfra }))).filter((machine) => machine.phase !== 'terminated');
        expect(listed.map((machine) => machine.name).sort()).toEqual(wanted.map((machine) => machine.name).sort());
        expect(new Set(listed.map((machine) => machine.providerId)).size).toBe(FAULT_BATCH_SIZE);
        expect(listed.map((machine) => machine.providerId).sort()).toEqual(created.map((machine) => machine.providerId).sort());

        harness.proxy.setRates({ throttle: quarter, serverError: quarter, resetBefore: quarter, resetAfter: quarter, slow: quarter });
        await inBatches(created, machinesAtOnce, (machine) => retried(() => harness.adapter.deleteMachine(machine.providerId)));
      } finally {
        harness.proxy.setRates({});
      }
      const injected = Object.values(harness.proxy.stats.injected).reduce((sum, count) => sum + count, 0);
      expect(injected).toBeGreaterThan(0);
      expect(harness.proxy.stats.requests - before).toBeGreaterThan(FAULT_BATCH_SIZE * 2);
      // A deleted machine may linger as stopping for a while (a BMC powers off when it will).
      const deadline = Date.now() + 60_000;
      let left: CloudMachine[] = [];
      do {
        left = (await collect(harness.adapter.listMachines({ [TAG.cluster]: batchInfra }))).filter((machine) => machine.phase !== 'terminated');
        if (left.every((machine) => machine.phase !== 'stopping')) break;
        await sleep(1_000);
      } while (Date.now() < deadline);
      expect(left).toEqual([]);
    }, 300_000);
  });
}
