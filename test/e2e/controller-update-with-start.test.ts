/**
 * How the controller's reconcile (services/controller/entity-reconciler.ts) writes to Temporal,
 * in-process on a real kube-apiserver and a real Slipway stack, with a Temporal client
 * interceptor that records every workflow call: a new custom resource's entity workflow is
 * started by one Update-with-Start (no separate start, no follow-up Query), the Update lands in
 * the workflow's first workflow task, two replicas racing on one new object make one workflow,
 * and a burst of changes queued for one object is one Update-with-Start of its latest spec.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { JsonObject } from '../../crds/json';
import { clusterDeploymentEntity } from '../../services/api/routes/cluster-deployments';
import { installCrds } from '../../services/controller/crds';
import { EntityReconciler } from '../../services/controller/entity-reconciler';
import { EventRecorder } from '../../services/controller/events';
import { CustomResourceClient, MERGE_PATCH } from '../../services/controller/kube-objects';
import { startReconcileWorker, WorkQueue, type WorkQueueOptions } from '../../services/controller/work-queue';
import { getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';
import { eventually, jsonObject, kubeResources } from '../support/kube-resources';
import { startTestStack, type TestStack } from '../support/stack';

const { EventType } = temporal.api.enums.v1;

let server: KubeApiServer;
let stack: TestStack;
let client: Client;
let clusters: ReturnType<typeof kubeResources>;
/** Every workflow call the reconcilers' client made: "<call> <workflow ID>". */
const calls: string[] = [];

/**
 * Workflows whose Queries are answered to no caller until this many of them have their answers:
 * so racing replicas both look before either acts, as they can in production, and the race is
 * the one the test means every run (not only when neither replica's look came after the other's start).
 */
const queryBarriers = new Map<string, { readonly parties: number; arrived: number; readonly opened: Promise<void>; readonly open: () => void }>();

function holdQueriesOf(workflowId: string, parties: number): void {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  queryBarriers.set(workflowId, { parties, arrived: 0, opened, open });
}

async function afterBarrier(workflowId: string): Promise<void> {
  const barrier = queryBarriers.get(workflowId);
  if (!barrier) return;
  barrier.arrived += 1;
  if (barrier.arrived >= barrier.parties) barrier.open();
  await barrier.opened;
}

function recording(): WorkflowClientInterceptor {
  const record = (call: string, workflowId: string) => calls.push(`${call} ${workflowId}`);
  return {
    startWithDetails: (input, next) => (record('start', input.options.workflowId), next(input)),
    signalWithStart: (input, next) => (record('signalWithStart', input.options.workflowId), next(input)),
    startUpdate: (input, next) => (record('update', input.workflowExecution.workflowId), next(input)),
    startUpdateWithStart: (input, next) => (record('updateWithStart', input.workflowStartOptions.workflowId), next(input)),
    query: async (input, next) => {
      const { workflowId } = input.workflowExecution;
      record('query', workflowId);
      try {
        return await next(input);
      } finally {
        await afterBarrier(workflowId);
      }
    },
    signal: (input, next) => (record('signal', input.workflowExecution.workflowId), next(input)),
  };
}

function callsFor(workflowId: string): string[] {
  return calls.filter((call) => call.endsWith(` ${workflowId}`)).map((call) => call.split(' ')[0] ?? '');
}

/** A controller replica's reconciler of ClusterDeployments, on the recording client. */
function reconciler(identity: string): EntityReconciler<'ClusterDeployment'> {
  return new EntityReconciler({
    entity: clusterDeploymentEntity,
    temporal: client,
    resources: new CustomResourceClient(server.kubeConfig, 'clusterdeployments'),
    events: new EventRecorder(server.kubeConfig, identity),
    config: { taskQueue: stack.taskQueue, managementId: stack.managementId },
    pollIntervalMs: 300,
  });
}

beforeAll(async () => {
  [server, stack] = await Promise.all([startKubeApiServer(), startTestStack()]);
  await installCrds(server.kubeConfig);
  clusters = kubeResources(server, 'clusterdeployments');
  client = new Client({ connection: stack.client.connection, namespace: stack.namespace, interceptors: { workflow: [recording()] } });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
});

async function smallCluster(name: string): Promise<JsonObject> {
  const example = jsonObject(parse(await readFile(new URL('../../examples/cluster-deployment.yaml', import.meta.url), 'utf8')));
  return { ...example, metadata: { ...jsonObject(example.metadata), name }, spec: { ...jsonObject(example.spec), clusterName: name, controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] } };
}

async function create(name: string, metadata: JsonObject = {}): Promise<JsonObject> {
  const body = await smallCluster(name);
  return jsonObject(await clusters.api.createNamespacedCustomObject({ ...clusters.coordinates, body: { ...body, metadata: { ...jsonObject(body.metadata), ...metadata } } }));
}

async function scale(name: string, replicas: number): Promise<void> {
  await clusters.api.patchNamespacedCustomObject({ ...clusters.coordinates, name, body: { spec: { compute: [{ name: 'worker', replicas }] } } }, MERGE_PATCH);
}

/** The types of the workflow's history events, in order. */
async function historyTypes(workflowId: string): Promise<(temporal.api.enums.v1.EventType | null | undefined)[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((event) => event.eventType);
}

async function runsOf(workflowId: string): Promise<number> {
  let runs = 0;
  for await (const _execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs += 1;
  return runs;
}

describe('the reconcile of a new custom resource', () => {
  it('starts its entity workflow with one Update-with-Start, whose Update the workflow accepts in its first workflow task', async () => {
    const created = await create('single');
    const workflowId = entityWorkflowId('ClusterDeployment', 'default', 'single');
    const outcome = await reconciler('replica-a').reconcile('default', 'single');

    // The look (a Query, answered "no workflow"), then one call that starts and updates: no start, no Update, no Query after.
    expect(callsFor(workflowId)).toEqual(['query', 'updateWithStart']);
    expect(outcome.requeueAfterMs).toBeGreaterThan(0);

    const types = await historyTypes(workflowId);
    expect(types[0]).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const firstTaskDone = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    expect(types[firstTaskDone + 1]).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    expect(types.filter((type) => type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toHaveLength(1);

    // The workflow holds the CR's whole spec from its start input, and the CR shows its status already.
    const snapshot = await client.workflow.getHandle(workflowId).query(getClusterDeployment);
    expect(snapshot.object.metadata.uid).toBe(jsonObject(created.metadata).uid);
    expect(snapshot.object.metadata.annotations?.['slipway.dev/cr-generation']).toBe('1');
    expect(snapshot.object.spec.compute).toEqual([{ name: 'worker', replicas: 1 }]);
    const resource = await clusters.read('single');
    expect(jsonObject(resource?.status).observedGeneration).toBe(1);
    expect(await clusters.eventReasons('single')).toContain('Provisioning');
  });

  it('makes one workflow when two replicas reconcile the same new object at once', async () => {
    // Created with the finalizer, so the replicas race on Temporal alone (Kubernetes already serializes their finalizer writes).
    await create('raced', { finalizers: ['slipway.dev/deprovision'] });
    const workflowId = entityWorkflowId('ClusterDeployment', 'default', 'raced');
    holdQueriesOf(workflowId, 2);
    const [first, second] = [reconciler('replica-a'), reconciler('replica-b')];
    await Promise.all([first.reconcile('default', 'raced'), second.reconcile('default', 'raced')]);

    const made = callsFor(workflowId);
    expect(made.filter((call) => call === 'updateWithStart')).toHaveLength(2);
    expect(made).not.toContain('start');
    expect((await historyTypes(workflowId)).filter((type) => type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)).toHaveLength(1);
    expect(await runsOf(workflowId)).toBe(1);
  });

  it('turns a burst of changes queued for one new object into one Update-with-Start of its latest spec, and later changes into patch Updates of the same workflow', async () => {
    const settings: WorkQueueOptions = { redisUrl: inject('redisUrl'), prefix: `slipway-test-uws-${randomUUID().slice(0, 8)}`, perObjectDelayMs: 50, maxReconcilesPerSecond: 50, concurrency: 2, lockDurationMs: 5_000 };
    const queue = new WorkQueue(settings);
    const workflowId = entityWorkflowId('ClusterDeployment', 'default', 'bursty');
    const replica = reconciler('replica-a');
    let worker: Worker | undefined;
    try {
      // The informer's events for a create and four edits, queued before any worker runs: one job.
      await create('bursty');
      await queue.enqueue(workflowId);
      for (const replicas of [2, 3, 1, 2]) {
        await scale('bursty', replicas);
        await queue.enqueue(workflowId);
      }
      worker = startReconcileWorker(queue, settings, () => replica.reconcile('default', 'bursty'), () => undefined);
      const ready = await eventually('bursty to be Ready at generation 5', () => clusters.readyAtGeneration('bursty'), () => calls.join('\n'), 180_000);
      expect(jsonObject(ready.metadata).generation).toBe(5);
      // Started with generation 5's spec: nothing was left to patch.
      expect(callsFor(workflowId).filter((call) => call !== 'query')).toEqual(['updateWithStart']);

      await scale('bursty', 3);
      await queue.enqueue(workflowId);
      await scale('bursty', 1);
      await queue.enqueue(workflowId);
      const rescaled = await eventually('bursty to be Ready at generation 7', async () => {
        const resource = await clusters.readyAtGeneration('bursty');
        return resource && jsonObject(resource.metadata).generation === 7 ? resource : undefined;
      }, () => calls.join('\n'), 180_000);
      expect(jsonObject(rescaled.status).observedGeneration).toBe(7);
    } finally {
      await worker?.close();
      await queue.close();
    }
    const writes = callsFor(workflowId).filter((call) => call !== 'query');
    expect(writes[0]).toBe('updateWithStart');
    expect(writes.slice(1).length).toBeGreaterThan(0);
    expect(writes.slice(1).every((call) => call === 'update')).toBe(true);
    expect((await client.workflow.getHandle(workflowId).query(getClusterDeployment)).object.spec.compute).toEqual([{ name: 'worker', replicas: 1 }]);
    expect(await runsOf(workflowId)).toBe(1);
  });
});
