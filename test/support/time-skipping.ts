/**
 * What the time-skipping workflow suites share: the Java test server started through the
 * SDK, activities that succeed at once unless a test replaces them, a worker for one test, and
 * a fake cloud whose observer reports the machines it holds.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { GracefulShutdownPeriodExpiredError, Worker } from '@temporalio/worker';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';
import { emptyTally } from '../../workflows/planners/sweep/run';
import type { SlipwayActivities } from '../../services/worker/activities';
import { observationDigest } from '../../services/worker/observer-activities';
import { observerViewQuery, subscribeSignal, subscriberExpecting } from '../../workflows/cloud-observer/definitions';
import { slipwaySinks } from '../../services/worker/create-worker';
import type { MachineObservation } from '../../workflows/machine-deployment/activities-api';

export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_TEST_SERVER;
  if (!path) throw new Error('TEMPORAL_TEST_SERVER is not set. Run the suite through `npm test`, which installs the Temporal time-skipping test server and sets it.');
  // The SDK gives the Java server 5 s to listen; on a machine busy with the other suites a JVM can
  // take longer, so a start that timed out is tried again before the suite fails.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

/** Activities that succeed at once, with the given ones replaced. */
export function stubActivities(overrides: Partial<SlipwayActivities>): SlipwayActivities {
  return {
    ensureClusterInfra: async (input) => ({ apiURL: `https://api.${input.clusterName}.example.test:6443` }),
    createMachine: async (input) => ({ providerId: `stub://${input.machineName}`, phase: 'pending' }),
    awaitMachineRunning: async (input) => ({ providerId: `stub://${input.machineName}`, phase: 'running' }),
    deleteMachine: async () => undefined,
    deleteClusterInfra: async () => undefined,
    sweepCluster: async () => ({ deleted: 0 }),
    observeCloud: async () => ({ changes: [] }),
    subscribeToObserver: async () => undefined,
    projectObject: async () => undefined,
    readSweepInventory: async () => ({ facts: { readable: true, liveEntities: 0, unresolved: 0 }, infraIds: [], owners: [] }),
    scanCloudForSweep: async () => ({ scanned: 0, ourResources: 0, tally: emptyTally(), toMark: [], toDelete: [] }),
    markSweepCandidates: async () => [],
    deleteSweepCandidates: async () => [],
    recordSweepMetrics: async () => undefined,
    pruneSweepReports: async () => 0,
    ensureHostedPki: async ({ ref }) => ({ pkiSecretName: `${ref.name}-pki`, adminKubeconfigSecretName: `${ref.name}-admin-kubeconfig` }),
    ensureControlPlane: async () => ({ etcd: { available: true }, kubeAPIServer: { available: true }, apiServerURL: 'https://127.0.0.1:6443' }),
    describeControlPlane: async () => ({ etcd: { available: true }, kubeAPIServer: { available: true }, apiServerURL: 'https://127.0.0.1:6443' }),
    deleteControlPlane: async () => undefined,
    listHostedNodes: async () => [],
    deleteHostedNode: async () => undefined,
    readAutoscalingInput: async () => ({ nodeAllocatable: { cpu: 2000, memoryBytes: 8 * 2 ** 30 }, pendingPods: [], nodes: [] }),
    updateMachineInPlace: async () => undefined,
    ...overrides,
  };
}

/**
 * Runs a worker on a task queue of its own for as long as run takes. The Java test server does
 * not always end a stopping worker's long polls (it has no ShutdownWorker call); a stop that
 * has not drained after WORKER_STOP_SECONDS is forced, and the error the SDK then raises about
 * the polls it still holds is not the test's: any other failure of the worker still fails it.
 */
export async function withWorker<T>(env: TestWorkflowEnvironment, activities: object, run: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `time-skipping-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
    sinks: slipwaySinks(),
    shutdownForceTime: `${WORKER_STOP_SECONDS}s`,
  });
  const running = worker.run();
  try {
    return await run(taskQueue);
  } finally {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch((error: unknown) => {
      if (!isForcedStop(error)) throw error;
    });
  }
}

const WORKER_STOP_SECONDS = 10;

function isForcedStop(error: unknown): boolean {
  return error instanceof GracefulShutdownPeriodExpiredError || (error instanceof Error && error.name === 'IllegalStateError' && /Worker still in use/.test(error.message));
}

/**
 * Runs work on a worker that serves the fake cloud's observer too, and ends that observer before
 * the worker stops: a running observer keeps a pass in flight and timers on the test server's
 * clock, and a worker stopped in the middle of a pass can outlive its shutdown deadline.
 */
export function withCloudWorker<T>(env: TestWorkflowEnvironment, cloud: FakeCloud, activities: object, work: (taskQueue: string) => Promise<T>): Promise<T> {
  return withWorker(env, activities, async (taskQueue) => {
    cloud.serveOn(taskQueue);
    try {
      return await work(taskQueue);
    } finally {
      await cloud.retireObservers();
    }
  });
}

/**
 * Waits for workflows to complete, moving the test server's clock a step at a time from one
 * waiter. The server counts locks on its clock: the client holds one, each running activity one,
 * and every result() or sleep() in flight gives the client's back once. Several at a time (a
 * Promise.all of result()s) give back the activities' locks too, so the clock skips past
 * activities still running, on to a workflow's 10-year default execution timeout (CI's
 * "Workflow execution timed out"). A workflow still running after `withinSeconds` of simulated
 * time fails the test, naming what it still had pending.
 */
export async function awaitCompletion(env: TestWorkflowEnvironment, handles: readonly WorkflowHandle[], withinSeconds = 600, stepSeconds = 30): Promise<void> {
  for (let waited = 0; ; waited += stepSeconds) {
    const descriptions = await Promise.all(handles.map((handle) => handle.describe()));
    const running = descriptions.filter((description) => description.status.name === 'RUNNING');
    const ended = descriptions.find((description) => description.status.name !== 'RUNNING' && description.status.name !== 'COMPLETED');
    if (ended) throw new Error(`${ended.workflowId} ended ${ended.status.name}; expected it to complete`);
    if (running.length === 0) return;
    if (waited >= withinSeconds) {
      const pending = running.map((description) => `${description.workflowId}: ${(description.raw.pendingActivities ?? []).map((activity) => `${activity.activityType?.name ?? '?'} (attempt ${activity.attempt ?? 0})`).join(', ') || 'none'}`);
      throw new Error(`still running after ${withinSeconds} simulated seconds, with these pending activities: ${pending.join('; ')}`);
    }
    await env.sleep(`${stepSeconds}s`);
  }
}

export type FakeCloud = ReturnType<typeof fakeCloud>;

/** A fake cloud for MachineDeployments: creates and deletes land in a map, and the observer reports from it. */
export function fakeCloud(env: TestWorkflowEnvironment, observe: (infraId: string, machineName: string) => MachineObservation) {
  const machines = new Map<string, MachineObservation>();
  const observers = new Set<string>();
  let taskQueue = '';
  let passes = 0;
  const activities = stubActivities({
    createMachine: async (input) => {
      machines.set(`${input.infraId}/${input.machineName}`, observe(input.infraId, input.machineName));
      return { providerId: `stub://${input.machineName}`, phase: 'running' };
    },
    deleteMachine: async (input) => {
      machines.delete(`${input.infraId}/${input.machineName}`);
    },
    subscribeToObserver: async (input) => {
      observers.add(input.observerWorkflowId);
      await env.client.workflow.signalWithStart('cloudObserverWorkflow', { workflowId: input.observerWorkflowId, taskQueue, args: [input.observer], signal: subscribeSignal, signalArgs: [input.subscription] });
    },
    observeCloud: async (input) => {
      passes += 1;

      // The deadline matters at the end of a test: a Query the stopping worker no longer answers
      // would hold this activity, and the worker's shutdown waits for its activities.
      const view = await env.client.withDeadline(Date.now() + 5_000, () => env.client.workflow.getHandle(input.observerWorkflowId).query(observerViewQuery));
      let expecting = false;
      const changes = view.subscriptions.flatMap((subscription) => {
        const pattern = new RegExp(subscription.namePattern);
        const prefix = `${subscription.infraId}/`;
        const own = Object.fromEntries([...machines].filter(([key]) => key.startsWith(prefix) && pattern.test(key.slice(prefix.length))).map(([key, observation]) => [key.slice(prefix.length), observation]));
        expecting ||= subscriberExpecting(subscription, own);
        const digest = observationDigest(own);
        return view.sent[subscription.workflowId] === digest ? [] : [{ workflowId: subscription.workflowId, digest, machines: own }];
      });
      return { changes, expecting };
    },
  });
  return {
    // Each fake cloud is its own management plane, so its observer is its own too (observers are per plane).
    managementId: `time-skipping-${randomUUID().slice(0, 8)}`,
    machines,
    activities,
    passes: () => passes,
    serveOn: (queue: string) => {
      taskQueue = queue;
    },
    /** Ends every observer this cloud's subscribers started. */
    retireObservers: async () => {
      await Promise.all(
        [...observers].map((workflowId) =>
          env.client.workflow.getHandle(workflowId).terminate('the test is over').catch((error: unknown) => {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          }),
        ),
      );
    },
  };
}
