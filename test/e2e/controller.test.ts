/**
 * The Kubernetes controller (services/controller/main.ts, as processes) on a real
 * kube-apiserver 1.34, over a real Slipway stack (Temporal, Redis, the simulated cloud, a
 * worker): ClusterDeployment custom resources created, scaled and deleted as kubectl would.
 */
import { readFile } from 'node:fs/promises';
import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import type { JsonObject } from '../../crds/json';
import { getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { LeaderElector } from '../../services/controller/leader-election';
import { cloudResources, liveMachines } from '../support/clusters';
import { startControllerProcess, writeKubeconfig } from '../support/controller-process';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';
import { eventually as eventuallyWith, isNotFoundError, jsonObject, kubeResources } from '../support/kube-resources';
import { startTestStack, type TestStack } from '../support/stack';
import { PROVOKES_TASK_FAILURE } from '../support/task-failures';
import type { WorkerProcess } from '../support/worker-process';

const CLUSTER_DEPLOYMENTS = { group: 'slipway.dev', version: 'v1alpha1', plural: 'clusterdeployments', namespace: 'default' } as const;
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const FINALIZER = 'slipway.dev/deprovision';

let server: KubeApiServer;
let stack: TestStack;
let api: CustomObjectsApi;
let clusterDeployments: ReturnType<typeof kubeResources>;
let controllerEnv: NodeJS.ProcessEnv;
const controllers: WorkerProcess[] = [];

function controllerOutput(): string {
  return controllers.map((controller, index) => `--- controller ${index}:\n${controller.output()}`).join('\n');
}

beforeAll(async () => {
  [server, stack] = await Promise.all([startKubeApiServer(), startTestStack()]);
  clusterDeployments = kubeResources(server, 'clusterdeployments');
  api = clusterDeployments.api;
  controllerEnv = {
    ...stack.workerEnv,
    SLIPWAY_KUBECONFIG: await writeKubeconfig(server.kubeConfig, stack.home),
    SLIPWAY_CONTROLLER_LEASE_NAMESPACE: 'default',
    SLIPWAY_CONTROLLER_LEASE_SECONDS: '3',
    SLIPWAY_CONTROLLER_RESYNC_SECONDS: '5',
    SLIPWAY_CONTROLLER_POLL_MS: '300',
    SLIPWAY_LOG_LEVEL: 'info',
  };
  controllers.push(startControllerProcess(controllerEnv));
  await eventually('the controller to install the CRDs and take the Lease', async () => ((await leaseHolder()) ? true : undefined));
}, 240_000);

async function leaseHolder(): Promise<string | undefined> {
  try {
    const lease = object(await api.getNamespacedCustomObject({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'default', name: 'slipway-controller' }));
    const holder = object(lease.spec).holderIdentity;
    return typeof holder === 'string' && holder !== '' ? holder : undefined;
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

afterAll(async () => {
  for (const controller of controllers) await controller.stop();
  await stack?.stop();
  await server?.stop();
});

const object = jsonObject;

async function exampleClusterDeployment(name: string, annotations: Record<string, string> = {}): Promise<JsonObject> {
  const example = object(parse(await readFile(new URL('../../examples/cluster-deployment.yaml', import.meta.url), 'utf8')));
  return { ...example, metadata: { ...object(example.metadata), name, annotations }, spec: { ...object(example.spec), clusterName: name } };
}

function read(name: string): Promise<JsonObject | undefined> {
  return clusterDeployments.read(name);
}

function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventuallyWith(what, probe, controllerOutput, timeoutMs);
}

/** Ready=True for the resource's current generation. */
function readyAtGeneration(name: string): Promise<JsonObject | undefined> {
  return clusterDeployments.readyAtGeneration(name);
}

function infraIdOf(resource: JsonObject): string {
  const infraId = object(resource.status).infraID;
  if (typeof infraId !== 'string' || infraId === '') throw new Error('status.infraID is empty');
  return infraId;
}

function eventReasons(name: string): Promise<string[]> {
  return clusterDeployments.eventReasons(name);
}

describe('the Slipway controller on a real kube-apiserver', () => {
  let infraId = '';

  it('takes a ClusterDeployment created as kubectl apply would to Ready=True, with observedGeneration, a finalizer, Events and the InfraID column', async () => {
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('alpha') });
    const ready = await eventually('alpha to be Ready', () => readyAtGeneration('alpha'));
    const metadata = object(ready.metadata);
    expect(metadata.finalizers).toContain(FINALIZER);
    expect(object(ready.status).observedGeneration).toBe(1);
    infraId = infraIdOf(ready);
    expect(infraId).toMatch(/^alpha-/);

    // One workflow, under the ID REST would give it, holding the CR's uid.
    const snapshot = await stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', 'alpha')).query(getClusterDeployment);
    expect(snapshot.object.metadata.uid).toBe(metadata.uid);
    expect(snapshot.object.status?.infraID).toBe(infraId);

    const row = await clusterDeployments.tableRow('alpha');
    expect(row.InfraID).toBe(infraId);
    expect(row.Ready).toBe('True');

    const reasons = await eventually('the Ready event', async () => {
      const found = await eventReasons('alpha');
      return found.includes('Ready') ? found : undefined;
    });
    expect(reasons).toContain('Provisioning');

    // Status is written only when it changes: a settled object survives resyncs (every 5 s here) untouched.
    const settled = object((await read('alpha'))?.metadata).resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(object((await read('alpha'))?.metadata).resourceVersion).toBe(settled);
  });

  it('holds a paused ClusterDeployment untouched, and takes it up once the annotation is removed', async () => {
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('paused', { 'slipway.dev/paused': 'true' }) });
    // Another object created after it, reconciled by the same queue, shows the controller has looked.
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('witness') });
    await eventually('witness to get its finalizer', async () => ((object((await read('witness'))?.metadata ?? {}).finalizers as unknown[] | undefined)?.includes(FINALIZER) ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const paused = await read('paused');
    expect(object(paused?.metadata).finalizers).toBeUndefined();
    expect(paused?.status).toBeUndefined();
    await expect(stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', 'paused')).describe()).rejects.toThrow();

    await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'paused', body: { metadata: { annotations: { 'slipway.dev/paused': null } } } }, MERGE_PATCH);
    await eventually('the unpaused object to be Ready', () => readyAtGeneration('paused'));
  });

  it('reaches the cloud when the compute pool is scaled in the CR', async () => {
    expect(await liveMachines(stack, infraId)).toHaveLength(6);
    const patched = object(await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'alpha', body: { spec: { compute: [{ name: 'worker', replicas: 5 }] } } }, MERGE_PATCH));
    expect(object(patched.metadata).generation).toBe(2);
    const ready = await eventually('alpha to be Ready at generation 2', () => readyAtGeneration('alpha'));
    expect(object(ready.status).observedGeneration).toBe(2);
    await eventually('8 running machines in the cloud', async () => ((await liveMachines(stack, infraId)).length === 8 ? true : undefined));
    expect(await eventReasons('alpha')).toContain('SpecApplied');
  });

  it('removes from the workflow a field removed from the CR', async () => {
    const handle = stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', 'paused'));
    const generation = Number(object((await read('paused'))?.metadata).generation);
    await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'paused', body: { spec: { preserveOnDelete: true } } }, MERGE_PATCH);
    await eventually('the workflow to take preserveOnDelete', async () => ((await handle.query(getClusterDeployment)).object.spec.preserveOnDelete === true ? true : undefined));
    await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'paused', body: { spec: { preserveOnDelete: null } } }, MERGE_PATCH);
    const ready = await eventually('paused to be Ready at its latest generation', () => readyAtGeneration('paused'));
    expect(object(ready.metadata).generation).toBe(generation + 2);
    const spec = (await handle.query(getClusterDeployment)).object.spec;
    expect(spec).not.toHaveProperty('preserveOnDelete');
    expect(spec.compute).toEqual([{ name: 'worker', replicas: 3 }]);
  });

  it('keeps a deleted ClusterDeployment until the cloud holds nothing tagged with its infraID, then it is gone', async () => {
    expect((await cloudResources(stack, infraId)).length).toBeGreaterThan(0);
    await api.deleteNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'alpha' });
    const deleting = await read('alpha');
    expect(object(deleting?.metadata).deletionTimestamp).toEqual(expect.any(String));
    expect(object(deleting?.metadata).finalizers).toContain(FINALIZER);

    let cloudWhenGone: number | undefined;
    await eventually('alpha to be gone', async () => {
      if (await read('alpha')) return undefined;
      cloudWhenGone = (await cloudResources(stack, infraId)).length;
      return true;
    });
    expect(cloudWhenGone).toBe(0);
    const snapshot = await stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', 'alpha')).query(getClusterDeployment);
    expect(snapshot.deleted).toBe(true);
    expect(await eventReasons('alpha')).toEqual(expect.arrayContaining(['Deleting', 'Deprovisioned']));
  });
});

describe('a custom resource whose workflow cannot answer', () => {
  it('says why nothing moves in an Event, keeps looking, and keeps the finalizer through a delete', async () => {
    // A workflow under the CR's name whose every task fails, as a bug in workflow code would make it: Queries are refused.
    const handle = await stack.client.workflow.start('clusterDeploymentWorkflow', {
      workflowId: entityWorkflowId('ClusterDeployment', 'default', 'stuck'),
      taskQueue: stack.taskQueue,
      args: [{}],
      memo: { [PROVOKES_TASK_FAILURE]: true },
    });
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await exampleClusterDeployment('stuck') });
    await eventually('the EntityUnavailable Event', async () => ((await eventReasons('stuck')).includes('EntityUnavailable') ? true : undefined));
    expect(controllerOutput()).not.toContain('"key":"ClusterDeployment/default/stuck","err"');

    await api.deleteNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'stuck' });
    // Two more looks (each SLIPWAY_CONTROLLER_POLL_MS times the reconciler's 10 polls of waiting): whether the cloud side is empty is unknown, so the resource stays.
    const lookAgainMs = Number(controllerEnv.SLIPWAY_CONTROLLER_POLL_MS) * 10;
    await new Promise((resolve) => setTimeout(resolve, 2 * lookAgainMs + 1_000));
    expect(object((await read('stuck'))?.metadata).finalizers).toContain(FINALIZER);

    // Once Slipway is out of the way, the finalizer goes.
    await handle.terminate('test over');
    await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'stuck', body: { metadata: { finalizers: null } } }, MERGE_PATCH);
    await eventually('stuck to be gone', async () => ((await read('stuck')) ? undefined : true));
  });
});

describe('protected delete', () => {
  it('refuses kubectl delete of a ClusterDeployment annotated slipway.dev/protected-delete=true at admission, saying how to lift it; without the annotation it goes', async () => {
    const example = await exampleClusterDeployment('guarded', { 'slipway.dev/protected-delete': 'true' });
    await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: { ...example, spec: { ...object(example.spec), controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] } } });
    const ready = await eventually('guarded to be Ready', () => readyAtGeneration('guarded'));
    const infraId = infraIdOf(ready);

    const refused = await api.deleteNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'guarded' }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; body?: unknown },
    );
    expect(refused?.code).toBe(403);
    expect(String(refused?.body)).toContain('remove it first (kubectl annotate clusterdeployment guarded slipway.dev/protected-delete-)');
    const held = await read('guarded');
    expect(object(held?.metadata).deletionTimestamp).toBeUndefined();
    expect(await liveMachines(stack, infraId)).toHaveLength(2);

    await api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'guarded', body: { metadata: { annotations: { 'slipway.dev/protected-delete': null } } } }, MERGE_PATCH);
    await api.deleteNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'guarded' });
    await eventually('guarded to be gone', async () => ((await read('guarded')) ? undefined : true));
    expect(await cloudResources(stack, infraId)).toEqual([]);
  });
});

describe('leader election', () => {
  it('has one leader at a time; a leader steps down when its renew fails, and a stopped leader hands over', async () => {
    const leading = new Set<string>();
    let mostAtOnce = 0;
    const elector = (identity: string) =>
      new LeaderElector(server.kubeConfig, {
        namespace: 'default',
        name: 'elector-test',
        identity,
        leaseDurationMs: 2_000,
        retryPeriodMs: 200,
        onStartedLeading: () => {
          leading.add(identity);
          mostAtOnce = Math.max(mostAtOnce, leading.size);
        },
        onStoppedLeading: () => {
          leading.delete(identity);
        },
      });
    const first = elector('first');
    const second = elector('second');
    onTestFinished(async () => {
      await first.stop();
      await second.stop();
    });
    first.start();
    await eventually('first to lead', async () => (leading.has('first') ? true : undefined));
    second.start();

    // Someone else takes the Lease: the leader's next renew fails its precondition, and it steps down.
    const leases = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace: 'default', name: 'elector-test' } as const;
    await eventually('the intruder to write the Lease', async () => {
      const lease = object(await api.getNamespacedCustomObject(leases));
      try {
        await api.replaceNamespacedCustomObject({ ...leases, body: { ...lease, spec: { ...object(lease.spec), holderIdentity: 'intruder' } } });
        return true;
      } catch (error) {
        // The leader renewed between our read and write (409): read again.
        if (error instanceof Error && 'code' in error && error.code === 409) return undefined;
        throw error;
      }
    });
    await eventually('first to step down', async () => (leading.has('first') ? undefined : true));
    // The intruder never renews; once its Lease has run out, one of ours takes it.
    const next = await eventually('a new leader', async () => [...leading][0]);

    const [leader, follower] = next === 'first' ? [first, second] : [second, first];
    await leader.stop();
    await eventually('the other replica to lead', async () => (follower.isLeader ? true : undefined));
    expect(mostAtOnce).toBe(1);
  });

  const OBJECTS = 20;
  const REPLICAS_BY_ROUND = [2, 0, 1, 2, 1];
  const names = Array.from({ length: OBJECTS }, (_, index) => `burst-${index}`);

  async function burstObject(name: string): Promise<JsonObject> {
    const example = await exampleClusterDeployment(name);
    return { ...example, spec: { ...object(example.spec), controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: REPLICAS_BY_ROUND[0] }] } };
  }

  it('loses no change and starts no second workflow when the leader is killed during a burst of 100 changes across 20 objects', async () => {
    controllers.push(startControllerProcess(controllerEnv));
    const holderBefore = await eventually('a leader', () => leaseHolder());

    const pending = new Queue('slipway-controller', { connection: { host: new URL(stack.workerEnv.REDIS_URL ?? '').hostname, port: Number(new URL(stack.workerEnv.REDIS_URL ?? '').port) }, prefix: `${stack.redisPrefix}:controller` });
    await Promise.all(names.map(async (name) => api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: await burstObject(name) })));
    for (const [round, replicas] of REPLICAS_BY_ROUND.entries()) {
      if (round === 0) continue;
      if (round === 2) {
        const leader = controllers.find((controller) => holderBefore.includes(`-${controller.child.pid}-`));
        expect(leader, `the Lease holder ${holderBefore} is one of our controllers`).toBeDefined();
        // Mid-burst: the queue still holds work for the leader when it dies.
        const counts = await pending.getJobCounts('waiting', 'delayed', 'active');
        expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0)).toBeGreaterThan(0);
        await leader?.kill();
      }
      await Promise.all(names.map((name) => api.patchNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name, body: { spec: { compute: [{ name: 'worker', replicas }] } } }, MERGE_PATCH)));
    }
    const holderAfter = await eventually('another leader', async () => {
      const holder = await leaseHolder();
      return holder && holder !== holderBefore ? holder : undefined;
    });
    expect(holderAfter).not.toBe(holderBefore);

    const lastReplicas = REPLICAS_BY_ROUND[REPLICAS_BY_ROUND.length - 1];
    for (const name of names) {
      const ready = await eventually(`${name} to be Ready at its last generation`, () => readyAtGeneration(name), 240_000);
      expect(object(ready.metadata).generation).toBe(REPLICAS_BY_ROUND.length);
      const handle = stack.client.workflow.getHandle(entityWorkflowId('ClusterDeployment', 'default', name));
      const snapshot = await handle.query(getClusterDeployment);
      expect(snapshot.object.spec.compute, name).toEqual([{ name: 'worker', replicas: lastReplicas }]);
      expect(snapshot.object.metadata.uid).toBe(object(ready.metadata).uid);
      await eventually(`${name}'s machines in the cloud`, async () => ((await liveMachines(stack, infraIdOf(ready))).length === 1 + (lastReplicas ?? 0) ? true : undefined));
      const runs: string[] = [];
      for await (const execution of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(execution.runId);
      expect(runs, `${name} has one workflow run`).toHaveLength(1);
    }
    await pending.close();
  }, 600_000);
});
