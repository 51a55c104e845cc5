/**
 * Fast workflow tests of timers and back-off: the real workflow code on Temporal's
 * time-skipping test server, with stubbed activities, so hours of retries run in seconds.
 * The real-stack suites beside this one cover the same paths against the simulated cloud.
 */
import { emptyTally, tallyDecision } from '../../workflows/planners/sweep/run';
import { startTimeSkippingEnvironment, stubActivities, withWorker as withWorkerOn } from '../support/time-skipping';
import type { sweepWorkflow } from '../../workflows/sweep/workflow';
import type { CloudResource } from '../../providers/types';
import { TAG } from '../../providers/tags';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import type { SlipwayActivities } from '../../services/worker/activities';
import { deleteClusterDeployment, getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { PERSIST_INITIAL_DELAY_MS, PERSIST_MAX_DELAY_MS } from '../../workflows/entity/defaults';
import { clusterObject } from '../support/clusters';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

const withWorker = <T>(activities: SlipwayActivities, run: (taskQueue: string) => Promise<T>) => withWorkerOn(env, activities, run);

function startCluster(taskQueue: string, object: ClusterDeployment) {
  return env.client.workflow.start('clusterDeploymentWorkflow', { workflowId: `ClusterDeployment/default/${object.metadata.name}-${randomUUID().slice(0, 6)}`, taskQueue, args: [{ object, managementId: 'time-skipping' }] });
}

const condition = (object: ClusterDeployment, type: string) => object.status?.conditions?.find((entry) => entry.type === type);
const cloudDown = () => ApplicationFailure.create({ type: 'CloudUnavailable', message: 'the cloud answered 503', nonRetryable: true });

describe('teardown on the time-skipping server', () => {
  it('retries a failing step with capped exponential back-off for as long as it takes, saying so in status', async () => {
    const failures = 12;
    let calls = 0;
    const activities = stubActivities({
      deleteClusterInfra: async () => {
        calls += 1;
        if (calls <= failures) throw cloudDown();
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await startCluster(taskQueue, clusterObject('backoff', { controlPlane: { replicas: 1 }, compute: [] }));
      await env.sleep('1m');
      await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
      await env.sleep('20m');
      const midway = (await handle.query(getClusterDeployment)).object;
      expect(condition(midway, 'Deleting')).toMatchObject({ status: 'True', reason: 'DeletionRetrying' });
      expect(condition(midway, 'Deleting')?.message).toMatch(/deleteInfrastructure failed \d+ time\(s\), most recently: .*503/);
      await handle.result();

      expect(calls).toBe(failures + 1);
      const { EventType } = temporal.api.enums.v1;
      const timers = ((await handle.fetchHistory()).events ?? [])
        .filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
        .map((event) => Number(event.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) * 1000);
      const expected = Array.from({ length: failures }, (_, index) => Math.min(PERSIST_MAX_DELAY_MS, PERSIST_INITIAL_DELAY_MS * 2 ** index));
      expect(timers).toEqual(expected);
    });
  });

  it('waits out missing credentials during install without spending an install attempt', async () => {
    let refusals = 4;
    const activities = stubActivities({
      createMachine: async (input) => {
        if (refusals > 0) {
          refusals -= 1;
          throw ApplicationFailure.create({ type: 'CredentialsNotFound', message: 'secret default/creds was not found', nonRetryable: true });
        }
        return { providerId: `stub://${input.machineName}`, phase: 'pending' };
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await startCluster(taskQueue, clusterObject('patient', { controlPlane: { replicas: 1 }, compute: [] }));
      await env.sleep('12s');
      const waiting = (await handle.query(getClusterDeployment)).object;
      expect(condition(waiting, 'CredentialsReady')).toMatchObject({ status: 'False', reason: 'CredentialsUnavailable' });
      expect(condition(waiting, 'CredentialsReady')?.message).toMatch(/default\/creds was not found.*retries by itself/s);
      await env.sleep('10m');
      const ready = (await handle.query(getClusterDeployment)).object;
      expect(condition(ready, 'Ready')?.status).toBe('True');
      expect(condition(ready, 'CredentialsReady')?.status).toBe('True');
      expect(ready.status?.installAttempts?.map((attempt) => attempt.outcome)).toEqual(['Succeeded']);
      expect(refusals).toBe(0);
      await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
      await handle.result();
    });
  });

  it('a failed attempt stops its sibling creates and waits for them before it deletes anything', async () => {
    const timeline: string[] = [];
    let attempt = 0;
    const activities = stubActivities({
      createMachine: async (input) => {
        if (input.machineName === 'master-0') attempt += 1;
        timeline.push(`create ${input.machineName} started`);
        // The third machine's create is slow: it is still running when its sibling fails.
        if (input.machineName === 'master-2' && attempt === 1) await new Promise((resolve) => setTimeout(resolve, 1_500));
        timeline.push(`create ${input.machineName} finished`);
        return { providerId: `stub://${input.machineName}`, phase: 'pending' };
      },
      awaitMachineRunning: async (input) => {
        if (input.machineName === 'master-1' && attempt === 1) throw ApplicationFailure.create({ type: 'MachineFailed', message: 'master-1 failed to boot', nonRetryable: true });
        return { providerId: `stub://${input.machineName}`, phase: 'running' };
      },
      deleteMachine: async (input) => {
        timeline.push(`delete ${input.machineName}`);
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await startCluster(taskQueue, clusterObject('siblings', { controlPlane: { replicas: 3 }, compute: [] }));
      await env.sleep('10m');
      const cluster = (await handle.query(getClusterDeployment)).object;
      expect(cluster.status?.installAttempts?.map((entry) => entry.outcome)).toEqual(['Failed', 'Succeeded']);
      const createFinished = timeline.indexOf('create master-2 finished');
      const firstDelete = timeline.findIndex((entry) => entry.startsWith('delete '));
      expect(createFinished).toBeGreaterThanOrEqual(0);
      expect(firstDelete).toBeGreaterThan(createFinished);
      await handle.executeUpdate(deleteClusterDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
      await handle.result();
    });
  });
});

describe('sweeps on the time-skipping server', () => {
  const machine = (id: string): CloudResource => ({ kind: 'machine', id, name: id, tags: { [TAG.cluster]: 'dead-1' } });
  const network = (id: string): CloudResource => ({ kind: 'network', id, name: id, tags: { [TAG.cluster]: 'dead-1' } });
  const liveInventory = async () => ({ facts: { readable: true, liveEntities: 1, unresolved: 0 }, infraIds: [['live-1', 'ClusterDeployment default/live'] as const], owners: [] });
  const scanOf = (toMark: CloudResource[], toDelete: CloudResource[]) => async () => {
    const tally = emptyTally();
    for (const resource of toMark) tallyDecision(tally, { kind: resource.kind, id: resource.id, name: resource.name, decision: 'marked', code: 'orphan-unmarked', reason: 'orphan' });
    for (const resource of toDelete) tallyDecision(tally, { kind: resource.kind, id: resource.id, name: resource.name, decision: 'deleted', code: 'orphan-marked', reason: 'orphan, marked' });
    return { scanned: toMark.length + toDelete.length, ourResources: toMark.length + toDelete.length, tally, toMark, toDelete };
  };
  const runSweep = (taskQueue: string, mode: 'dry-run' | 'delete') =>
    env.client.workflow.execute<typeof sweepWorkflow>('sweepWorkflow', { taskQueue, workflowId: `Sweep/default/stub-${randomUUID().slice(0, 6)}`, args: [{ target: { platform: 'simulated', region: 'local-1' }, mode, namespace: 'default', managementId: 'time-skipping' }] });

  it('turns a mark the cloud refuses into an error decision, and deletes machines before the network they sit in', async () => {
    const deleted: string[] = [];
    const activities = stubActivities({
      readSweepInventory: liveInventory,
      scanCloudForSweep: scanOf([machine('m-new'), machine('m-refused')], [network('net-1'), machine('m-old')]),
      markSweepCandidates: async () => [{ kind: 'machine', id: 'm-refused', message: 'marking failed: throttled' }],
      deleteSweepCandidates: async (input) => {
        deleted.push(...input.resources.map((resource) => resource.id));
        return [];
      },
    });
    const report = await withWorker(activities, (taskQueue) => runSweep(taskQueue, 'delete'));
    expect(deleted).toEqual(['m-old', 'net-1']);
    expect(report.status.phase).toBe('Completed');
    expect(report.status.counts).toMatchObject({ marked: 1, deleted: 2, error: 1 });
    expect(report.status.decisions.find((record) => record.id === 'm-refused')).toMatchObject({ decision: 'error', code: 'mark-failed', reason: 'marking failed: throttled' });
  });

  it('a dry run neither marks nor deletes', async () => {
    let calls = 0;
    const activities = stubActivities({
      readSweepInventory: liveInventory,
      scanCloudForSweep: scanOf([machine('m-new')], [machine('m-old')]),
      markSweepCandidates: async () => {
        calls += 1;
        return [];
      },
      deleteSweepCandidates: async () => {
        calls += 1;
        return [];
      },
    });
    const report = await withWorker(activities, (taskQueue) => runSweep(taskQueue, 'dry-run'));
    expect(calls).toBe(0);
    expect(report.status.counts).toMatchObject({ marked: 1, deleted: 1 });
  });

  it('ends Failed, changing nothing, when the cloud cannot be listed', async () => {
    let calls = 0;
    const activities = stubActivities({
      readSweepInventory: liveInventory,
      scanCloudForSweep: async () => {
        throw cloudDown();
      },
      markSweepCandidates: async () => {
        calls += 1;
        return [];
      },
      deleteSweepCandidates: async () => {
        calls += 1;
        return [];
      },
    });
    const report = await withWorker(activities, (taskQueue) => runSweep(taskQueue, 'delete'));
    expect(calls).toBe(0);
    expect(report.status.phase).toBe('Failed');
    expect(report.status.conditions.map((entry) => entry.type)).toEqual(['ScanFailed']);
  });
});
