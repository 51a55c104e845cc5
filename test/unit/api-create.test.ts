/**
 * Create over REST on the run's real Temporal and Redis, with no worker (the workflows
 * started here only need to exist): server-owned metadata and Idempotency-Key semantics.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../../services/api/idempotency';
import { startBareApi, type TestApi } from '../support/api';

const COLLECTIONS = '/apis/slipway.dev/v1alpha1/namespaces/default';
const CDS = `${COLLECTIONS}/clusterdeployments`;
const suffix = randomBytes(3).toString('hex');

let api: Awaited<ReturnType<typeof startBareApi>>;
const created: string[] = [];
beforeAll(async () => {
  api = await startBareApi();
});
afterAll(async () => {
  await Promise.allSettled(created.map((name) => api.peers.client.workflow.getHandle(`ClusterDeployment/default/${name}`).terminate('test over')));
  await api?.close();
});

function manifest(base: string, metadata: Record<string, unknown> = {}) {
  const name = `${base}-${suffix}`;
  created.push(name);
  return { apiVersion: 'slipway.dev/v1alpha1', kind: 'ClusterDeployment', metadata: { name, ...metadata }, spec: { clusterName: name, baseDomain: 'example.test', platform: { simulated: { region: 'local-1' } } } };
}

type Created = { metadata: Record<string, unknown> & { uid: string; name: string } };
const post = (api: TestApi, body: unknown, key?: string, path = CDS) => api.request('POST', path, { body, ...(key ? { headers: { 'idempotency-key': key } } : {}) });

describe('server-owned metadata', () => {
  it('drops what a client sends in uid, resourceVersion, generation, timestamps, finalizers and managedFields', async () => {
    const sent = {
      uid: 'client-uid',
      resourceVersion: '999',
      generation: 7,
      creationTimestamp: '2001-01-01T00:00:00Z',
      deletionTimestamp: '2001-01-01T00:00:00Z',
      finalizers: ['example.com/hold'],
      managedFields: [{ manager: 'kubectl' }],
    };
    const response = await post(api, manifest('owned', sent));
    expect(response.status).toBe(201);
    const { metadata } = response.body as Created;
    expect(metadata.uid).not.toBe('client-uid');
    expect(metadata.generation).toBe(1);
    expect(metadata.creationTimestamp).not.toBe(sent.creationTimestamp);
    for (const field of ['resourceVersion', 'deletionTimestamp', 'finalizers', 'managedFields']) expect(metadata).not.toHaveProperty(field);
  });
});

describe('Idempotency-Key', () => {
  it('gives every concurrent duplicate the first answer, and starts one workflow', async () => {
    const body = manifest('concurrent');
    const key = `k-${suffix}-concurrent`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(api, body, key)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(201));
    const uids = new Set(answers.map((answer) => (answer.body as Created).metadata.uid));
    expect(uids.size).toBe(1);
  });

  it('scopes a key to its collection: the same key and body on another kind is not replayed', async () => {
    const body = manifest('scoped');
    const key = `k-${suffix}-scoped`;
    expect((await post(api, body, key)).status).toBe(201);
    const elsewhere = await post(api, body, key, `${COLLECTIONS}/machinedeployments`);
    expect(elsewhere.status).toBe(422);
    expect((elsewhere.body as { type: string }).type).toMatch(/wrong-kind/);
  });

  it('refuses an over-long key with 400, and never repeats a key in an answer', async () => {
    const long = `secret-${'x'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH)}`;
    const tooLong = await post(api, manifest('long'), long);
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).not.toContain('secret-');
    const key = `secret-${suffix}-reused`;
    expect((await post(api, manifest('first'), key)).status).toBe(201);
    const reused = await post(api, manifest('second'), key);
    expect(reused.status).toBe(422);
    expect(JSON.stringify(reused.body)).not.toContain(key);
  });

  it('answers a retry after the first request died between starting the workflow and storing its answer as the same request', async () => {
    const body = manifest('crashed');
    const key = `k-${suffix}-crashed`;
    const first = await post(api, body, key);
    expect(first.status).toBe(201);
    // What a crash after the start leaves behind: the reservation, still pending, its lease run out.
    const { uid } = (first.body as Created).metadata;
    let rewound = 0;
    for (const redisKey of await api.peers.redis.keys(`${api.peers.redisPrefix}:idempotency:*`)) {
      const entry = JSON.parse((await api.peers.redis.get(redisKey)) ?? '{}') as { hash?: string; uid?: string };
      if (entry.uid !== uid) continue;
      await api.peers.redis.set(redisKey, JSON.stringify({ state: 'pending', hash: entry.hash, uid, leaseUntil: 0 }));
      rewound += 1;
    }
    expect(rewound).toBe(1);

    const retried = await post(api, body, key);
    expect(retried.status).toBe(201);
    expect((retried.body as Created).metadata.uid).toBe(uid);
    expect((await post(api, body)).status).toBe(409);
  });
});
