/** Behaviour of the simulated cloud itself: durability across restarts, latencies, faults by rate, quota. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import { startSimulatedCloud } from '../../providers/simulated/launch';
import { ownershipTags } from '../../providers/tags';
import type { MachineCreateRequest } from '../../providers/types';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-simcloud-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const machine = (name: string): MachineCreateRequest => ({
  name,
  idempotencyToken: `token-${name}`,
  role: 'worker',
  instanceType: 'small',
  image: 'img',
  infraId: 'sim-test',
  tags: ownershipTags({ managementId: 'sim', infraId: 'sim-test', machineName: name, createdAt: new Date().toISOString() }),
});

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('keeps its state across a restart, and boots then terminates machines after their latencies', async () => {
  const statePath = join(dir, 'restart.db');
  const first = await startSimulatedCloud({ statePath, bootMs: 300, deleteMs: 300 });
  const adapter = createSimulatedAdapter({ baseUrl: first.url, apiKey: first.apiKey });
  const created = await adapter.createMachine(machine('survivor'));
  expect(created.phase).toBe('pending');
  first.kill();
  await first.stop();

  const second = await startSimulatedCloud({ statePath, apiKey: first.apiKey, bootMs: 300, deleteMs: 300 });
  const again = createSimulatedAdapter({ baseUrl: second.url, apiKey: second.apiKey });
  const running = await until(() => again.describeMachine('survivor'), (found) => found?.phase === 'running');
  expect(running?.providerId).toBe(created.providerId);

  await again.deleteMachine(created.providerId);
  expect((await again.describeMachine('survivor'))?.phase).toBe('stopping');
  expect(await until(() => again.describeMachine('survivor'), (found) => found === undefined)).toBeUndefined();
  await second.stop();
});

it('refuses a wrong API key, and enforces its machine quota', async () => {
  const cloud = await startSimulatedCloud({ statePath: join(dir, 'quota.db'), bootMs: 0, deleteMs: 0, maxMachines: 1 });
  const wrongKey = createSimulatedAdapter({ baseUrl: cloud.url, apiKey: 'not-the-key' });
  await expect(wrongKey.describeMachine('x')).rejects.toMatchObject({ kind: 'credentials' });
  const adapter = createSimulatedAdapter({ baseUrl: cloud.url, apiKey: cloud.apiKey });
  await adapter.createMachine(machine('one'));
  await expect(adapter.createMachine(machine('two'))).rejects.toMatchObject({ kind: 'quota' });
  await cloud.stop();
});

it('fails requests at its configured fault rates', async () => {
  const cloud = await startSimulatedCloud({ statePath: join(dir, 'faults.db'), throttleRate: 0.5, errorRate: 0.5 });
  const adapter = createSimulatedAdapter({ baseUrl: cloud.url, apiKey: cloud.apiKey });
  const kinds = new Map<string, number>();
  for (let index = 0; index < 60; index += 1) {
    const kind = await adapter.describeMachine('none').then(
      () => 'ok',
      (error: { kind: string }) => error.kind,
    );
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  expect(kinds.get('throttled') ?? 0).toBeGreaterThan(5);
  expect(kinds.get('retryable') ?? 0).toBeGreaterThan(2);
  expect(kinds.get('ok') ?? 0).toBeGreaterThan(2);
  await cloud.stop();
});
