/**
 * Orphan sweeps on GCP, against our Compute Engine emulator (test/emulators/gce) and real peers: the
 * worker's real workflows and activities on the run's Temporal dev server, Redis, and the REST API.
 * Beside a live GCP cluster, resources leaked on purpose (a dead cluster's network, firewall, load
 * balancer, instance group, DNS zone and record and machine; another management plane's; untagged,
 * protected and young machines) are reported by a dry run that changes nothing; a deleting run marks
 * the dead cluster's (labels where GCE has them, the sweep's mark store for the rest), and the next
 * removes exactly those, in the order GCE accepts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpAdapter } from '../../providers/gcp/adapter';
import { encodeLabels } from '../../providers/gcp/labels';
import { TAG, ownershipTags } from '../../providers/tags';
import type { CanonicalTags, CloudResource, ProviderAdapter } from '../../providers/types';
import { redisSweepMarks, withSweepMarks, type SweptCloud } from '../../services/worker/sweep-marks';
import type { SweepObject } from '../../workflows/sweep/definitions';
import { startGceEmulator, type GceEmulator } from '../emulators/gce/emulator';
import { startTestApi, type TestApi } from '../support/api';
import { collect, sleep } from '../support/async-checks';
import { clusterObject, isReady, startCluster, waitForCluster } from '../support/clusters';
import { startTestStack, type TestStack } from '../support/stack';
import { expectDeletingRun, expectDryRunReport, expectMarkingRun, sweepViaRest } from '../support/sweeps';

const MIN_AGE_MS = 20_000;
const SECRET = 'gcp-sweep';

let emulator: GceEmulator;
let stack: TestStack;
let api: TestApi;
let adapter: ProviderAdapter;
/** The cloud as the sweep sees it: marks of what GCE cannot label come from the sweep's store. */
let swept: SweptCloud;

beforeAll(async () => {
  emulator = await startGceEmulator({ timings: { provisionMs: 300, stopMs: 100, terminatedMs: 100, globalOperationMs: 100 } });
  stack = await startTestStack({ adapterEnv: { SLIPWAY_GCP_ENDPOINT: `${emulator.host}:${emulator.port}` } });
  api = await startTestApi(stack);
  await mkdir(join(stack.home, 'secrets', 'default'), { recursive: true });
  await writeFile(join(stack.home, 'secrets', 'default', `${SECRET}.json`), JSON.stringify({ accessToken: emulator.accessToken, projectId: emulator.project }), { mode: 0o600 });
  adapter = createGcpAdapter({
    region: emulator.region,
    zone: emulator.zone,
    project: emulator.project,
    credentials: () => ({ kind: 'accessToken', accessToken: emulator.accessToken }),
    endpoint: { host: emulator.host, port: emulator.port, protocol: 'http' },
  });
  swept = withSweepMarks(adapter, redisSweepMarks(stack.redis, stack.redisPrefix));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await stack?.stop();
  await emulator?.stop();
});

const infraIdOf = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

function tagsOf(infraId: string, extra: CanonicalTags = {}, managementId = stack.managementId): CanonicalTags {
  return { ...ownershipTags({ managementId, infraId, createdAt: new Date().toISOString() }), ...extra };
}

/** An instance in the project's default network, made behind the adapter's back with these labels. */
async function leakInstance(labels: CanonicalTags): Promise<string> {
  const name = `leak-${randomBytes(4).toString('hex')}`;
  const response = await fetch(`${emulator.url}/compute/v1/projects/${emulator.project}/zones/${emulator.zone}/instances`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      machineType: `zones/${emulator.zone}/machineTypes/e2-standard-4`,
      disks: [{ boot: true, initializeParams: { sourceImage: 'global/images/rhcos-416' } }],
      networkInterfaces: [{ network: 'global/networks/default' }],
      labels: encodeLabels('leak', labels),
    }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return `gce://${emulator.project}/${emulator.zone}/${name}`;
}

async function leakInfra(infraId: string, managementId = stack.managementId): Promise<string[]> {
  const infra = await adapter.ensureClusterInfra({ infraId, clusterName: infraId, baseDomain: 'example.test', region: emulator.region, tags: tagsOf(infraId, {}, managementId) });
  return infra.resources.map((resource) => resource.id);
}

async function leakMachine(infraId: string, machineName: string): Promise<string> {
  const machine = await adapter.createMachine({
    name: `${infraId}-${machineName}`,
    idempotencyToken: randomBytes(16).toString('hex'),
    role: 'worker',
    instanceType: 'e2-standard-4',
    image: 'rhcos-416',
    infraId,
    tags: tagsOf(infraId, { [TAG.machine]: machineName, [TAG.role]: 'worker' }),
  });
  return machine.providerId;
}

async function contents(cloud: SweptCloud): Promise<Map<string, CloudResource>> {
  return new Map((await collect(cloud.listResources({}))).map((resource) => [resource.id, resource]));
}

const sweep = (mode: 'dry-run' | 'delete'): Promise<SweepObject> => sweepViaRest(api, { platform: 'gcp', region: emulator.region, credentialsSecret: SECRET, mode, minAgeSeconds: MIN_AGE_MS / 1000 });

describe.sequential('orphan sweeps on GCP', () => {
  it('a dry run reports every leak and changes nothing; a deleting run marks, the next deletes exactly the dead cluster\'s', { timeout: 300_000 }, async () => {
    const dead = infraIdOf('dead');
    const deadIds = [...(await leakInfra(dead)), await leakMachine(dead, 'worker-0')];
    const foreignIds = await leakInfra(infraIdOf('foreign'), 'another-plane');
    const protectedId = await leakInstance(tagsOf(`${dead}-b`, { [TAG.sweepProtect]: 'true' }));
    // Listed without a label filter, an instance nobody labelled is reported too.
    const untaggedId = await leakInstance({});
    const handle = await startCluster(stack, clusterObject(`live-gcp-${randomBytes(2).toString('hex')}`, { platform: { gcp: { region: emulator.region, credentialsSecretRef: { name: SECRET } } }, controlPlane: { replicas: 1 }, compute: [] }));
    const live = (await waitForCluster(handle, isReady, 180_000)).status?.infraID ?? '';
    expect(live).not.toBe('');
    await sleep(MIN_AGE_MS + 1_000);
    const youngId = await leakInstance(tagsOf(`${dead}-b`));

    const before = await contents(adapter);
    const liveIds = [...before.values()].filter((resource) => resource.tags[TAG.cluster] === live).map((resource) => resource.id);
    expect(liveIds.length).toBeGreaterThan(1);
    // Both ways of marking are exercised: GCE labels some of the dead cluster's resources, the store holds the rest.
    const labelled = deadIds.filter((id) => adapter.canTag?.(before.get(id) ?? { kind: 'machine', id, name: '', tags: {} }));
    expect(labelled.length).toBeGreaterThan(0);
    expect(labelled.length).toBeLessThan(deadIds.length);

    const leaks = { deadIds, protectedId, youngId, untaggedId, foreignIds, liveIds };
    const dry = await sweep('dry-run');
    expectDryRunReport(dry, leaks, before, await contents(swept));

    const marking = await sweep('delete');
    expectMarkingRun(marking, leaks, before, await contents(swept));
    const inCloud = await contents(adapter);
    for (const id of labelled) expect(inCloud.get(id)?.tags[TAG.sweepMarked], id).toBeDefined();
    for (const id of deadIds.filter((candidate) => !labelled.includes(candidate))) expect(inCloud.get(id)?.tags[TAG.sweepMarked], id).toBeUndefined();

    // GCE refuses a delete out of order (a network in use, a backend service a rule names, a zone
    // holding a record): no error means each went after what used it.
    const deleting = await sweep('delete');
    expectDeletingRun(deleting, leaks, before, await contents(swept));
    // The store forgets the marks of what was deleted.
    expect(await stack.redis.keys(`${stack.redisPrefix}:sweep-mark:*`)).toEqual([]);
  });
});
