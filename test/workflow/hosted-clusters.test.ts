/**
 * HostedCluster and NodePool workflows on Temporal's time-skipping server, with the control
 * plane and the cloud stubbed (test/support): rollout, conditions, version history, idle cost,
 * the deletion order, NodePool sizing, autorepair and autoscaling. The control-plane activities
 * are implemented on another branch; these tests hold the workflows to their interface.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostedCluster } from '../../crds/schemas/hosted-cluster';
import type { NodePool } from '../../crds/schemas/node-pool';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { deleteHostedCluster, getHostedCluster, patchHostedCluster } from '../../workflows/hosted-cluster/definitions';
import type { InPlaceActivities } from '../../workflows/node-pool/activities-api';
import { getNodePool, patchNodePool } from '../../workflows/node-pool/definitions';
import { getMachineDeployment } from '../../workflows/machine-deployment/definitions';
import { fakeControlPlane, hostedClusterObject, nodePoolObject, RELEASE_4_21 } from '../support/hosted-clusters';
import { awaitCompletion, fakeCloud, startTimeSkippingEnvironment, withCloudWorker } from '../support/time-skipping';

// A server of its own for each test: a workflow one test leaves waiting on a task queue no worker
// polls any more would otherwise hold up the next test's clock.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkippingEnvironment();
});
afterEach(async () => {
  await env?.teardown();
});

let serial = 0;
const unique = (name: string) => `${name}-${(serial += 1)}-${Date.now().toString(36).slice(-4)}`;
const conditionOf = (object: HostedCluster | NodePool, type: string) => object.status?.conditions?.find((entry) => entry.type === type);
const statusOf = (object: HostedCluster | NodePool, type: string) => {
  const found = conditionOf(object, type);
  return found ? `${found.status}/${found.reason}` : 'absent';
};
const readCluster = async (handle: WorkflowHandle) => (await handle.query(getHostedCluster)).object;
const readPool = async (handle: WorkflowHandle) => (await handle.query(getNodePool)).object;

/** A cloud and a control plane that share one log of calls, in order. */
function hostedWorld(options: { startsAfterCalls?: number } = {}) {
  const cloud = fakeCloud(env, (_infraId, machineName) => ({ providerId: `stub://${machineName}`, phase: 'running' }));
  const machineNames = () => [...cloud.machines.keys()].map((key) => key.split('/')[1] ?? '');
  const controlPlane = fakeControlPlane(machineNames, options);
  const log = controlPlane.calls;
  const activities = {
    ...cloud.activities,
    ...controlPlane.activities,
    deleteMachine: async (input: Parameters<typeof cloud.activities.deleteMachine>[0]) => {
      log.push(`deleteMachine ${input.machineName}`);
      await cloud.activities.deleteMachine(input);
    },
    ensureClusterInfra: async (input: Parameters<typeof cloud.activities.ensureClusterInfra>[0]) => {
      log.push('ensureClusterInfra');
      return cloud.activities.ensureClusterInfra(input);
    },
    deleteClusterInfra: async () => {
      log.push('deleteClusterInfra');
    },
    sweepCluster: async () => {
      log.push('sweepCluster');
      return { deleted: 0 };
    },
  };
  /** Runs a test's workflows on a worker of their own; the observer they share is ended after. */
  const run = (work: (taskQueue: string) => Promise<void>, overrides: Partial<typeof activities & InPlaceActivities> = {}) =>
    withCloudWorker(env, cloud, { ...activities, ...overrides }, work);
  return { cloud, controlPlane, log, activities, machineNames, run };
}

async function startHostedCluster(taskQueue: string, world: ReturnType<typeof hostedWorld>, object: HostedCluster, observeIntervalSeconds?: number) {
  return env.client.workflow.start('hostedClusterWorkflow', {
    workflowId: entityWorkflowId('HostedCluster', 'default', object.metadata.name),
    taskQueue,
    args: [{ object, managementId: world.cloud.managementId, ...(observeIntervalSeconds ? { observeIntervalSeconds } : {}) }],
  });
}

async function startNodePool(taskQueue: string, world: ReturnType<typeof hostedWorld>, cluster: HostedCluster, object: NodePool) {
  const infraId = (await readCluster(env.client.workflow.getHandle(entityWorkflowId('HostedCluster', 'default', cluster.metadata.name)))).status?.infraID ?? '';
  return env.client.workflow.start('nodePoolWorkflow', {
    workflowId: entityWorkflowId('NodePool', 'default', object.metadata.name),
    taskQueue,
    args: [
      {
        object,
        managementId: world.cloud.managementId,
        placement: {
          cluster: { kind: 'HostedCluster', name: cluster.metadata.name, uid: cluster.metadata.uid ?? '', workflowId: entityWorkflowId('HostedCluster', 'default', cluster.metadata.name) },
          target: { platform: 'simulated', region: 'local-1' },
          infraId,
        },
        observeIntervalSeconds: 60,
        machineObserveIntervalSeconds: 5,
      },
    ],
  });
}

const deleteRequest = { args: [{ requestedAt: new Date().toISOString() }] as [{ requestedAt: string }] };

/** A HostedCluster, Available, and one NodePool on it, settled. */
async function clusterWithPool(taskQueue: string, world: ReturnType<typeof hostedWorld>, names: { cluster: string; pool: string }, poolSpec: Record<string, unknown>) {
  const cluster = hostedClusterObject(unique(names.cluster));
  const handle = await startHostedCluster(taskQueue, world, cluster);
  await env.sleep('10s');
  const pool = await startNodePool(taskQueue, world, cluster, nodePoolObject(unique(names.pool), cluster.metadata.name, poolSpec));
  await env.sleep('2m');
  return { cluster, handle, pool };
}

async function deleteCluster(handle: WorkflowHandle): Promise<void> {
  await handle.executeUpdate(deleteHostedCluster, deleteRequest);
  await handle.result();
}

describe('HostedCluster on the time-skipping server', () => {
  it('comes up PKI first, then the control plane until it is available, in HyperShift conditions, with its release Completed in the history', async () => {
    const world = hostedWorld({ startsAfterCalls: 2 });
    await world.run(async (taskQueue) => {
      const handle = await startHostedCluster(taskQueue, world, hostedClusterObject(unique('hc-up')));
      await env.sleep('5s');
      const starting = await readCluster(handle);
      expect(statusOf(starting, 'Available')).toBe('False/WaitingForAvailable');
      expect(statusOf(starting, 'KubeAPIServerAvailable')).toBe('False/WaitingForAvailable');
      expect(conditionOf(starting, 'KubeAPIServerAvailable')?.message).toBe('kube-apiserver is starting');
      expect(starting.status?.version?.history).toMatchObject([{ state: 'Partial', version: '4.20.1' }]);

      await env.sleep('1m');
      const up = await readCluster(handle);
      expect(Object.fromEntries(['Available', 'Progressing', 'Degraded', 'EtcdAvailable', 'KubeAPIServerAvailable', 'InfrastructureReady', 'ValidReleaseImage'].map((type) => [type, statusOf(up, type)]))).toEqual({
        Available: 'True/AsExpected',
        Progressing: 'False/AsExpected',
        Degraded: 'False/AsExpected',
        EtcdAvailable: 'True/AsExpected',
        KubeAPIServerAvailable: 'True/AsExpected',
        InfrastructureReady: 'True/AsExpected',
        ValidReleaseImage: 'True/AsExpected',
      });
      expect(up.status?.version?.history).toMatchObject([{ state: 'Completed', version: '4.20.1', image: up.spec.release.image }]);
      expect(up.status?.kubeconfig?.name).toBe(`${up.metadata.name}-admin-kubeconfig`);
      expect(up.status?.controlPlaneEndpoint).toEqual({ host: '127.0.0.1', port: 16443 });
      // The simulated platform needs no cloud infrastructure; the PKI comes before the control plane.
      expect(world.log.slice(0, 4)).toEqual(['ensureHostedPki', 'ensureControlPlane 1.33', 'ensureControlPlane 1.33', 'ensureControlPlane 1.33']);

      await deleteCluster(handle);
    });
  });

  it('stays idle when settled: the control plane is described on long jittered timers, never polled', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const handle = await startHostedCluster(taskQueue, world, hostedClusterObject(unique('hc-idle')));
      await env.sleep('1m');
      const before = world.log.filter((call) => call === 'describeControlPlane').length;
      await env.sleep('1h');
      const described = world.log.filter((call) => call === 'describeControlPlane').length - before;
      // Every 5 minutes give or take 20%: between 60/6 and 60/4 looks in an hour.
      expect(described).toBeGreaterThanOrEqual(9);
      expect(described).toBeLessThanOrEqual(16);
      expect(world.log.filter((call) => call.startsWith('ensureControlPlane')).length).toBe(1);
      await deleteCluster(handle);
    });
  });

  it('says Degraded when a component it ran stops, and brings it back', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const handle = await startHostedCluster(taskQueue, world, hostedClusterObject(unique('hc-lost')), 60);
      await env.sleep('10s');
      world.controlPlane.state.describeFailure = { etcd: { available: false, message: 'etcd exited with code 2' }, kubeAPIServer: { available: true } };
      // The next look sees etcd down, and the rollout that follows finds it running again.
      await env.sleep('75s');
      const recovered = await readCluster(handle);
      expect(statusOf(recovered, 'Available')).toBe('True/AsExpected');
      expect(world.log.filter((call) => call.startsWith('ensureControlPlane')).length).toBe(2);
      const degradedAt = recovered.status?.conditions?.find((entry) => entry.type === 'Degraded');
      expect(degradedAt?.status).toBe('False');
      await deleteCluster(handle);
    });
  });

  it('upgrades the control plane on a release change: Progressing, a Partial entry, then Completed on top of the old one', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const handle = await startHostedCluster(taskQueue, world, hostedClusterObject(unique('hc-upgrade')));
      await env.sleep('10s');
      await handle.executeUpdate(patchHostedCluster, { args: [{ spec: { release: { image: RELEASE_4_21 } } }] });
      await env.sleep('10s');
      const upgraded = await readCluster(handle);
      expect(world.log).toContain('ensureControlPlane 1.34');
      expect(upgraded.status?.version?.history?.map((entry) => `${entry.version} ${entry.state}`)).toEqual(['4.21.0 Completed', '4.20.1 Completed']);
      expect(statusOf(upgraded, 'Progressing')).toBe('False/AsExpected');
      await deleteCluster(handle);
    });
  });

  it('refuses a release image it cannot read with ValidReleaseImage=False, and starts nothing', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const handle = await startHostedCluster(taskQueue, world, hostedClusterObject(unique('hc-digest'), { release: { image: 'quay.io/ocp-release@sha256:0123' } }));
      await env.sleep('1m');
      const object = await readCluster(handle);
      expect(statusOf(object, 'ValidReleaseImage')).toBe('False/InvalidImage');
      expect(conditionOf(object, 'ValidReleaseImage')?.message).toMatch(/pinned by digest.*e\.g\./);
      expect(world.log).toEqual([]);
      await deleteCluster(handle);
    });
  });

  it('deletes NodePools and their machines first, then the control plane, then the infrastructure, then sweeps', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const cluster = hostedClusterObject(unique('hc-aws'), { platform: { type: 'AWS', aws: { region: 'us-east-1' } } });
      const handle = await startHostedCluster(taskQueue, world, cluster);
      await env.sleep('10s');
      expect(statusOf(await readCluster(handle), 'InfrastructureReady')).toBe('True/AsExpected');
      expect(world.log.slice(0, 2)).toEqual(['ensureHostedPki', 'ensureClusterInfra']);
      const pools = await Promise.all(['a', 'b'].map((suffix) => startNodePool(taskQueue, world, cluster, nodePoolObject(unique(`np-${suffix}`), cluster.metadata.name, { replicas: 2 }))));
      await env.sleep('2m');
      for (const pool of pools) expect(statusOf(await readPool(pool), 'Ready')).toBe('True/AsExpected');
      expect(world.machineNames()).toHaveLength(4);

      world.log.length = 0;
      await deleteCluster(handle);
      // One waiter moves the clock: a Promise.all of result()s hands back the running activities' locks too (awaitCompletion).
      await awaitCompletion(env, pools);
      const lastMachineDelete = Math.max(...world.log.map((call, index) => (call.startsWith('deleteMachine') ? index : -1)));
      expect(world.log.filter((call) => call.startsWith('deleteMachine'))).toHaveLength(4);
      expect(world.log.slice(lastMachineDelete + 1)).toEqual(['deleteControlPlane', 'deleteClusterInfra', 'sweepCluster']);
      expect(world.cloud.machines.size).toBe(0);
      // Each deleted pool removed its Nodes from the hosted cluster before the control plane went.
      expect(world.controlPlane.deletedNodes).toHaveLength(4);
    });
  });

  it('retries a failing teardown step with back-off, saying so in Deleting, until it succeeds', async () => {
    const world = hostedWorld();
    let failures = 5;
    const activities = {
      ...world.activities,
      deleteControlPlane: async () => {
        if (failures > 0) {
          failures -= 1;
          throw ApplicationFailure.create({ type: 'SupervisorUnavailable', message: 'the supervisor did not answer', nonRetryable: true });
        }
        world.log.push('deleteControlPlane');
      },
    };
    await world.run(async (taskQueue) => {
      const handle = await startHostedCluster(taskQueue, world, hostedClusterObject(unique('hc-retry')));
      await env.sleep('10s');
      await handle.executeUpdate(deleteHostedCluster, deleteRequest);
      await env.sleep('30s');
      const midway = await readCluster(handle);
      expect(statusOf(midway, 'Deleting')).toBe('True/DeletionRetrying');
      expect(conditionOf(midway, 'Deleting')?.message).toMatch(/deleteControlPlane failed \d+ time\(s\), most recently: the supervisor did not answer.*goes on by itself/);
      expect(statusOf(midway, 'Available')).toBe('False/Deleting');
      await handle.result();
      expect(failures).toBe(0);
      expect(world.log.slice(-2)).toEqual(['deleteControlPlane', 'sweepCluster']);
    }, activities);
  });
});

describe('NodePool on the time-skipping server', () => {
  it('scales through its MachineDeployment and reports its machines with their Nodes', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const { handle, pool } = await clusterWithPool(taskQueue, world, { cluster: 'hc-np', pool: 'np-scale' }, { replicas: 1 });
      await pool.executeUpdate(patchNodePool, { args: [{ spec: { replicas: 3 } }] });
      await env.sleep('2m');
      const scaled = await readPool(pool);
      expect(scaled.status).toMatchObject({ replicas: 3, readyReplicas: 3, version: '4.20.1' });
      expect(statusOf(scaled, 'Ready')).toBe('True/AsExpected');
      expect(statusOf(scaled, 'AllMachinesReady')).toBe('True/AsExpected');
      expect(statusOf(scaled, 'AllNodesHealthy')).toBe('True/AsExpected');
      expect(scaled.status?.machines?.map((machine) => machine.node?.ready)).toEqual(['True', 'True', 'True']);

      // The rollout strategy follows the NodePool too, not only its size and template.
      await pool.executeUpdate(patchNodePool, { args: [{ spec: { management: { replace: { rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } } } } }] });
      await env.sleep('10s');
      const machineDeployment = await env.client.workflow.getHandle(entityWorkflowId('MachineDeployment', 'default', `${scaled.spec.clusterName}-${scaled.metadata.name}`)).query(getMachineDeployment);
      expect(machineDeployment.object.spec.strategy.rollingUpdate).toMatchObject({ maxSurge: 2, maxUnavailable: 1 });
      await deleteCluster(handle);
    });
  });

  it('follows its own release: the cluster upgrading leaves it be, its own change replaces every machine', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const { handle, pool } = await clusterWithPool(taskQueue, world, { cluster: 'hc-np-up', pool: 'np-up' }, { replicas: 2 });
      const before = new Set(world.machineNames());
      await handle.executeUpdate(patchHostedCluster, { args: [{ spec: { release: { image: RELEASE_4_21 } } }] });
      await env.sleep('1m');
      expect(new Set(world.machineNames())).toEqual(before);
      expect((await readPool(pool)).status?.version).toBe('4.20.1');

      await pool.executeUpdate(patchNodePool, { args: [{ spec: { release: { image: RELEASE_4_21 } } }] });
      await env.sleep('3m');
      const upgraded = await readPool(pool);
      expect(upgraded.status?.version).toBe('4.21.0');
      expect(statusOf(upgraded, 'UpdatingVersion')).toBe('False/AsExpected');
      expect(statusOf(upgraded, 'Ready')).toBe('True/AsExpected');
      expect(world.machineNames().filter((name) => before.has(name))).toEqual([]);
      expect(world.machineNames()).toHaveLength(2);
      await deleteCluster(handle);
    });
  });

  it('with upgradeType InPlace, updates its machines where they run, maxUnavailable at a time, replacing none', async () => {
    const world = hostedWorld();
    let running = 0;
    let mostAtOnce = 0;
    const updated: string[] = [];
    const updateMachineInPlace = async (input: { machineName: string; version: string }) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 50));
      updated.push(`${input.machineName} ${input.version}`);
      running -= 1;
    };
    await world.run(async (taskQueue) => {
      const { handle, pool } = await clusterWithPool(taskQueue, world, { cluster: 'hc-inplace', pool: 'np-inplace' }, { replicas: 3, management: { upgradeType: 'InPlace', inPlace: { maxUnavailable: 1 } } });
      expect((await readPool(pool)).status?.version).toBe('4.20.1');
      const before = world.machineNames().sort();
      await pool.executeUpdate(patchNodePool, { args: [{ spec: { release: { image: RELEASE_4_21 } } }] });
      await env.sleep('3m');
      const upgraded = await readPool(pool);
      expect(upgraded.status?.version).toBe('4.21.0');
      expect(statusOf(upgraded, 'UpdatingVersion')).toBe('False/AsExpected');
      expect(statusOf(upgraded, 'Ready')).toBe('True/AsExpected');
      expect(world.machineNames().sort()).toEqual(before);
      expect(updated.sort()).toEqual(before.map((name) => `${name} 4.21.0`));
      expect(mostAtOnce).toBe(1);
      await deleteCluster(handle);
    }, { updateMachineInPlace });
  });

  it('with autoRepair, replaces a machine whose Node stays not Ready', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const { handle, pool } = await clusterWithPool(taskQueue, world, { cluster: 'hc-repair', pool: 'np-repair' }, { replicas: 2, management: { autoRepair: true } });
      const [sick] = world.machineNames();
      world.controlPlane.notReady.add(sick ?? '');
      await env.sleep('3m');
      const waiting = await readPool(pool);
      expect(statusOf(waiting, 'AllNodesHealthy')).toBe('False/NodesNotReady');
      expect(world.machineNames()).toContain(sick);
      await env.sleep('15m');
      const repaired = await readPool(pool);
      expect(world.machineNames()).not.toContain(sick);
      expect(world.machineNames()).toHaveLength(2);
      expect(statusOf(repaired, 'AllNodesHealthy')).toBe('True/AsExpected');
      expect(statusOf(repaired, 'AutorepairEnabled')).toBe('True/AsExpected');
      await deleteCluster(handle);
    });
  });

  it('on a platform without a kubelet (AWS), is Ready from its running machines, says Nodes are not reported, and neither waits for Nodes nor repairs for them', async () => {
    const world = hostedWorld();
    let nodeReads = 0;
    await world.run(
      async (taskQueue) => {
        const cluster = hostedClusterObject(unique('hc-nokubelet'), { platform: { type: 'AWS', aws: { region: 'us-east-1' } } });
        const handle = await startHostedCluster(taskQueue, world, cluster);
        await env.sleep('10s');
        const pool = await startNodePool(taskQueue, world, cluster, nodePoolObject(unique('np-aws'), cluster.metadata.name, { replicas: 2, platform: { type: 'AWS', aws: { instanceType: 'm6i.large', ami: 'ami-0123' } }, management: { autoRepair: true } }));
        await env.sleep('2m');
        const ready = await readPool(pool);
        expect(statusOf(ready, 'Ready')).toBe('True/AsExpected');
        expect(statusOf(ready, 'AllNodesHealthy')).toBe('Unknown/NodesNotReported');
        const machines = world.machineNames().sort();
        expect(machines).toHaveLength(2);
        const events = async () => (await pool.fetchHistory()).events?.length ?? 0;
        const settled = await events();
        // Past autorepair's 20-minute Node startup timeout: nothing is replaced, and the idle pool runs no timers.
        await env.sleep('45m');
        expect(world.machineNames().sort()).toEqual(machines);
        expect(await events()).toBe(settled);
        expect(nodeReads).toBe(0);
        await deleteCluster(handle);
        expect(nodeReads).toBe(0);
      },
      {
        listHostedNodes: async (input) => {
          nodeReads += 1;
          return world.activities.listHostedNodes(input);
        },
      },
    );
  });

  it('with autoScaling, grows for Pods that wait for a Node, and never past max', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const { handle, pool } = await clusterWithPool(taskQueue, world, { cluster: 'hc-scale', pool: 'np-auto' }, { replicas: undefined, autoScaling: { min: 1, max: 3 } });
      expect(world.machineNames()).toHaveLength(1);
      const waitingSince = new Date(Date.now()).toISOString();
      world.controlPlane.state.autoscaling = {
        nodeAllocatable: { cpu: 4000, memoryBytes: 16 * 1024 ** 3 },
        pendingPods: Array.from({ length: 5 }, (_, index) => ({ name: `web-${index}`, requests: { cpu: 3000, memoryBytes: 1024 ** 3 }, pendingSince: waitingSince })),
        nodes: [],
      };
      await env.sleep('5m');
      const grown = await readPool(pool);
      expect(world.machineNames()).toHaveLength(3);
      expect(statusOf(grown, 'AutoscalingEnabled')).toBe('True/AsExpected');
      expect(conditionOf(grown, 'AutoscalingEnabled')?.message).toMatch(/maximum \(3\)|scaling up to 3/);
      await deleteCluster(handle);
    });
  });

  it('a NodePool whose HostedCluster is gone deletes itself', async () => {
    const world = hostedWorld();
    await world.run(async (taskQueue) => {
      const cluster = hostedClusterObject(unique('hc-gone'));
      const pool = nodePoolObject(unique('np-orphan'), cluster.metadata.name);
      const handle = await env.client.workflow.start('nodePoolWorkflow', {
        workflowId: entityWorkflowId('NodePool', 'default', pool.metadata.name),
        taskQueue,
        args: [{ object: pool, managementId: world.cloud.managementId, placement: { cluster: { kind: 'HostedCluster', name: cluster.metadata.name, uid: 'gone', workflowId: entityWorkflowId('HostedCluster', 'default', cluster.metadata.name) }, target: { platform: 'simulated', region: 'local-1' }, infraId: 'gone-0000000000' } }],
      });
      await handle.result();
      expect(world.cloud.machines.size).toBe(0);
    });
  });
});
