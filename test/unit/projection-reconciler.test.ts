/**
 * The projection reconciler against the run's real Temporal and Redis. No worker runs:
 * the workflows started here only need to exist (or to have finished), and their Queries
 * go unanswered, so the reconciler falls back to their memos.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createProjectionReconciler } from '../../services/api/projection-reconciler';
import { projectionRepairs } from '../../services/common/metrics';
import { createProjection, type ProjectedObject } from '../../services/common/projection';
import { getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';

const kind = 'ClusterDeployment';
const workflowType = 'clusterDeploymentWorkflow';
const id = randomUUID().slice(0, 8);
const taskQueue = `reconciler-${id}`;

let connection: Connection;
let client: Client;
let redis: Redis;
let projection: ReturnType<typeof createProjection>;
let reconciler: ReturnType<typeof createProjectionReconciler>;
const started: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  redis = new Redis(inject('redisUrl'));
  projection = createProjection(redis, { prefix: `reconciler-${id}` });
  reconciler = createProjectionReconciler({
    temporal: client,
    projection,
    taskQueue,
    kinds: [{ kind, workflowType, getObject: getClusterDeployment }],
    logger: pino({ level: 'silent' }),
    intervalMs: 60_000,
    queryTimeoutMs: 300,
  });
});
afterAll(async () => {
  await Promise.allSettled(started.map((workflowId) => client.workflow.getHandle(workflowId).terminate('test over')));
  redis?.disconnect();
  await connection?.close();
});

const object = (name: string): ProjectedObject => ({ apiVersion: 'slipway.dev/v1alpha1', kind, metadata: { name: `${name}-${id}`, namespace: 'default', uid: randomUUID() }, spec: {} });

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('visibility did not catch up within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const runningInVisibility = async (workflowId: string) => {
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'` })) return true;
  return false;
};

/** Starts the object's workflow (nothing runs it) and waits until visibility lists it as running. */
async function startWorkflow(target: ProjectedObject, memo: Record<string, unknown> = {}): Promise<string> {
  const workflowId = entityWorkflowId(kind, 'default', target.metadata.name);
  await client.workflow.start(workflowType, { workflowId, taskQueue, args: [{}], memo: { object: target, ...memo } });
  started.push(workflowId);
  await until(() => runningInVisibility(workflowId));
  return workflowId;
}

const repairs = async (repair: string) => (await projectionRepairs.get()).values.find((value) => value.labels.kind === kind && value.labels.repair === repair)?.value ?? 0;

describe('projection reconciler', () => {
  it('removes ghosts (no workflow, or a finished one) with a DELETED event, and counts them', async () => {
    const orphan = object('orphan');
    const finished = object('finished');
    const workflowId = await startWorkflow(finished);
    const since = (await projection.put(kind, orphan)) ?? '';
    await projection.put(kind, finished);
    await client.workflow.getHandle(workflowId).terminate('finished');
    await until(async () => !(await runningInVisibility(workflowId)));
    const before = await repairs('ghost');

    expect(await reconciler.runOnce()).toMatchObject({ ghosts: 2 });
    expect(await projection.get(kind, 'default', orphan.metadata.name)).toBeUndefined();
    expect(await projection.get(kind, 'default', finished.metadata.name)).toBeUndefined();
    expect((await repairs('ghost')) - before).toBe(2);
    const stream = await projection.openWatch(kind, { resourceVersion: since });
    const types: string[] = [];
    for (let event = await stream.next(1_000); event; event = await stream.next(200)) types.push(`${event.type} ${event.object.metadata.name}`);
    stream.close();
    expect(types).toEqual(expect.arrayContaining([`DELETED ${orphan.metadata.name}`, `DELETED ${finished.metadata.name}`]));
  });

  it('fills a gap from a running workflow, counts it, and asks the workflow to publish its own copy', async () => {
    const missing = object('missing');
    const workflowId = await startWorkflow(missing);
    const before = await repairs('gap');
    expect(await reconciler.runOnce()).toMatchObject({ gaps: 1 });
    expect((await projection.get(kind, 'default', missing.metadata.name))?.metadata.uid).toBe(missing.metadata.uid);
    expect((await repairs('gap')) - before).toBe(1);
    const signals = (await client.workflow.getHandle(workflowId).fetchHistory()).events?.map((event) => event.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
    expect(signals).toEqual(['republish']);
    expect(await reconciler.runOnce()).toEqual({ ghosts: 0, gaps: 0 });
  });

  it('never brings back an object that was removed, or whose memo says it is deleted, neither by repair nor by rebuild', async () => {
    const removed = object('removed');
    const deleted = object('deleted');
    await startWorkflow(removed);
    await startWorkflow(deleted, { deleted: true });
    await projection.put(kind, removed);
    await projection.remove(kind, 'default', removed.metadata.name);

    await reconciler.runOnce();
    expect(await projection.get(kind, 'default', removed.metadata.name)).toBeUndefined();
    expect(await projection.get(kind, 'default', deleted.metadata.name)).toBeUndefined();
    await redis.del(`reconciler-${id}:initialized:${kind}`);
    await projection.rebuildFromVisibility(client, { workflowType, taskQueue }, kind);
    expect(await projection.get(kind, 'default', removed.metadata.name)).toBeUndefined();
    expect(await projection.get(kind, 'default', deleted.metadata.name)).toBeUndefined();
    // A late write of the removed object (a retried status write) is refused too.
    expect(await projection.put(kind, removed)).toBeUndefined();
  });

  it('stops at the counts when they agree, and a full pass still finds a ghost beside a gap', async () => {
    const lone = `${taskQueue}-counts`;
    const counted = createProjection(redis, { prefix: `reconciler-counts-${id}` });
    const countingReconciler = createProjectionReconciler({ temporal: client, projection: counted, taskQueue: lone, kinds: [{ kind, workflowType, getObject: getClusterDeployment }], logger: pino({ level: 'silent' }), intervalMs: 60_000, queryTimeoutMs: 300 });
    const ghost = object('ghost');
    const gap = object('gap');
    await counted.put(kind, ghost);
    const workflowId = entityWorkflowId(kind, 'default', gap.metadata.name);
    await client.workflow.start(workflowType, { workflowId, taskQueue: lone, args: [{}], memo: { object: gap } });
    started.push(workflowId);
    await until(async () => (await client.workflow.count(`WorkflowType = '${workflowType}' AND TaskQueue = '${lone}' AND ExecutionStatus = 'Running'`)).count === 1);

    expect(await countingReconciler.runOnce({ full: false })).toEqual({ ghosts: 0, gaps: 0 });
    expect(await counted.get(kind, 'default', ghost.metadata.name)).toBeDefined();
    expect(await countingReconciler.runOnce({ full: true })).toEqual({ ghosts: 1, gaps: 1 });
    expect(await counted.get(kind, 'default', ghost.metadata.name)).toBeUndefined();
    expect((await counted.get(kind, 'default', gap.metadata.name))?.metadata.uid).toBe(gap.metadata.uid);
  });

  it('lets one process of several claim a pass', async () => {
    const shared = createProjection(redis, { prefix: `reconciler-claim-${id}` });
    const claims = await Promise.all([shared.claim('pass', 5_000), shared.claim('pass', 5_000), shared.claim('pass', 5_000)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
});
