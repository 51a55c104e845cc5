/**
 * A NodePool keeps to its bounds on the real stack (a local hosted control plane run by the
 * supervisor, the simulated cloud as the kubelet of each machine): a release change rolls
 * within rollingUpdate's maxSurge and maxUnavailable, and autoscaling moves between min and
 * max. Both are checked from state sampled every ~150 ms in the cloud (the pool's machines not
 * terminated) and in the hosted API server (its Nodes, through @kubernetes/client-node with the
 * admin kubeconfig). A Node counts as Ready when its Ready condition is True and its machine
 * runs in the cloud sample taken just before: nothing in the hosted cluster marks the Node of a
 * deleted machine NotReady before the NodePool removes it.
 */
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import type { NodePool } from '../../crds/schemas/node-pool';
import { fileSecretStore } from '../../services/worker/secrets';
import { TAG } from '../../providers/tags';
import { NODE_LABEL } from '../../providers/hosted-node';
import { startTestApi, type TestApi } from '../support/api';
import { eventually, sleep } from '../support/async-checks';
import { hostedClusterManifest, LOCAL_RELEASE, nodePoolManifest, RELEASE_4_21 } from '../support/hosted-clusters';
import { startTestStack, type TestStack } from '../support/stack';
import { CONTROL_PLANE_STARTUP_MS } from '../support/supervisor';

const CLUSTER = 'npb-hc';
const base = '/apis/slipway.dev/v1alpha1/namespaces/default';
const SAMPLE_MS = 150;

interface PoolSample {
  /** The pool's machines the cloud holds, not terminated. */
  readonly machines: { readonly name: string; readonly machine: string; readonly phase: string }[];
  readonly nodes: number;
  /** Ready Nodes whose machine runs. */
  readonly readyNodes: number;
}

describe('NodePool bounds on a real hosted control plane', { timeout: CONTROL_PLANE_STARTUP_MS + 120_000 }, () => {
  let stack: TestStack | undefined;
  let api: TestApi;
  let core: CoreV1Api;
  let infraId = '';

  const pool = async (name: string): Promise<NodePool> => (await api.request('GET', `${base}/nodepools/${name}`)).body as NodePool;
  const condition = (object: NodePool, type: string) => object.status?.conditions?.find((entry) => entry.type === type)?.status;
  /**
   * The release each machine runs, as the NodePool records it: a machine belongs to a MachineSet
   * of the pool's MachineDeployment (its name starts with the set's), and the set of the current
   * revision is the template whose version is the pool's release. Machines of older sets: 'old'.
   */
  async function machineReleases(name: string, machines: readonly string[]): Promise<string[]> {
    const deployment = (await api.request('GET', `${base}/machinedeployments/${CLUSTER}-${name}`)).body as MachineDeployment;
    const current = deployment.status?.machineSets?.find((set) => set.revision === deployment.status?.revision);
    return machines.map((machine) => (current && machine.startsWith(`${current.name}-`) ? (deployment.spec.template.spec.version ?? 'none') : 'old'));
  }

  /** The cloud's machines of the pool, then the hosted API server's Nodes of the pool. */
  async function sample(name: string): Promise<PoolSample> {
    const url = new URL('/admin/resources', stack!.simCloud.url);
    url.searchParams.append('tag', `${TAG.cluster}=${infraId}`);
    url.searchParams.set('pageSize', '500');
    const response = await fetch(url, { headers: { authorization: `Bearer ${stack!.simCloud.apiKey}` } });
    const items = ((await response.json()) as { items: { kind: string; name: string; phase?: string; tags: Record<string, string> }[] }).items;
    const prefix = `${CLUSTER}-${name}-`;
    const machines = items
      .filter((item) => item.kind === 'machine' && item.phase !== 'terminated' && (item.tags[TAG.machine] ?? '').startsWith(prefix))
      .map((item) => ({ name: item.name, machine: item.tags[TAG.machine]!, phase: item.phase ?? '' }));
    const running = new Set(machines.filter((machine) => machine.phase === 'running').map((machine) => machine.machine));
    const nodes = (await core.listNode({ labelSelector: `${NODE_LABEL.nodePool}=${name}` })).items;
    const ready = (node: V1Node) => node.status?.conditions?.some((entry) => entry.type === 'Ready' && entry.status === 'True') === true;
    return { machines, nodes: nodes.length, readyNodes: nodes.filter((node) => ready(node) && running.has(node.metadata?.labels?.[NODE_LABEL.machine] ?? '')).length };
  }

  /**
   * Samples the pools every SAMPLE_MS until `done` holds for the last samples or the time is up;
   * returns every sample that broke `check` (with why) and the last sample of each pool.
   */
  async function sampleUntil(names: readonly string[], check: (name: string, sampled: PoolSample) => string | undefined, done: (last: Record<string, PoolSample>) => Promise<boolean>, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    const violations: string[] = [];
    let samples = 0;
    for (;;) {
      const last: Record<string, PoolSample> = {};
      for (const name of names) {
        last[name] = await sample(name);
        const broken = check(name, last[name]!);
        if (broken) violations.push(`${name}: ${broken} (${JSON.stringify(last[name])})`);
      }
      samples += 1;
      if ((await done(last)) || Date.now() > deadline) return { violations, last, samples };
      await sleep(SAMPLE_MS);
    }
  }

  beforeAll(async () => {
    // Machines boot and go in half a second; each kubelet registers its Node at its next heartbeat.
    stack = await startTestStack({ supervisor: true, simCloud: { bootMs: 500, deleteMs: 500, kubeletHeartbeatMs: 1_000 } });
    api = await startTestApi(stack, {
      secrets: fileSecretStore(join(stack.home, 'secrets')),
      env: { SLIPWAY_NODE_POOL_SCALE_UP_AFTER_SECONDS: '2', SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS: '3' },
    });
    const created = await api.request('POST', `${base}/hostedclusters`, { body: hostedClusterManifest(CLUSTER, LOCAL_RELEASE) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const available = await eventually(
      async () => (await api.request('GET', `${base}/hostedclusters/${CLUSTER}`)).body as { status?: { infraID?: string; conditions?: { type: string; status: string }[] } },
      (object) => object.status?.conditions?.some((entry) => entry.type === 'Available' && entry.status === 'True') === true,
      CONTROL_PLANE_STARTUP_MS,
      500,
    );
    expect(available.status?.conditions?.find((entry) => entry.type === 'Available')?.status).toBe('True');
    infraId = available.status!.infraID!;
    const kubeconfig = await api.request('GET', `${base}/hostedclusters/${CLUSTER}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    const hosted = new KubeConfig();
    hosted.loadFromString(String(kubeconfig.body));
    core = hosted.makeApiClient(CoreV1Api);
  }, CONTROL_PLANE_STARTUP_MS + 60_000);
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  it('rolls a release change within maxSurge and maxUnavailable, in the cloud and in the hosted API server', async () => {
    const pools = {
      'npb-surge': { maxSurge: 1, maxUnavailable: 0 },
      'npb-unavail': { maxSurge: 0, maxUnavailable: 1 },
    } as const;
    const replicas = 3;
    const names = Object.keys(pools) as (keyof typeof pools)[];
    for (const name of names) {
      const manifest = nodePoolManifest(name, CLUSTER, {
        replicas,
        management: { upgradeType: 'Replace', autoRepair: false, replace: { strategy: 'RollingUpdate', rollingUpdate: pools[name] } },
      });
      const created = await api.request('POST', `${base}/nodepools`, { body: manifest });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    const settled = (sampled: PoolSample) => sampled.machines.length === replicas && sampled.nodes === replicas && sampled.readyNodes === replicas;
    const up = await sampleUntil(
      names,
      () => undefined,
      async (last) => names.every((name) => settled(last[name]!)) && (await Promise.all(names.map(pool))).every((object) => condition(object, 'Ready') === 'True' && object.status?.version === '4.20.1'),
      60_000,
    );
    for (const name of names) expect(up.last[name], name).toMatchObject({ nodes: replicas, readyNodes: replicas });
    const before = Object.fromEntries(names.map((name) => [name, up.last[name]!.machines.map((machine) => machine.machine)]));
    for (const name of names) {
      expect((await pool(name)).status?.version, name).toBe('4.20.1');
      expect(await machineReleases(name, before[name]!), name).toEqual(Array(replicas).fill('4.20.1'));
    }

    for (const name of names) {
      const patched = await api.request('PATCH', `${base}/nodepools/${name}`, { body: { spec: { release: { image: RELEASE_4_21 } } }, contentType: 'application/merge-patch+json' });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    }
    const rolled = await sampleUntil(
      names,
      (name, sampled) => {
        const { maxSurge, maxUnavailable } = pools[name as keyof typeof pools];
        if (sampled.machines.length > replicas + maxSurge) return `${sampled.machines.length} machines, more than ${replicas} + maxSurge ${maxSurge}`;
        if (sampled.readyNodes < replicas - maxUnavailable) return `${sampled.readyNodes} Ready Nodes, fewer than ${replicas} - maxUnavailable ${maxUnavailable}`;
        return undefined;
      },
      async (last) => {
        if (!names.every((name) => settled(last[name]!) && last[name]!.machines.every((machine) => !before[name]!.includes(machine.machine)))) return false;
        const objects = await Promise.all(names.map(pool));
        return objects.every((object) => condition(object, 'UpdatingVersion') === 'False' && object.status?.version === '4.21.0');
      },
      120_000,
    );
    expect(rolled.violations).toEqual([]);
    for (const name of names) {
      const object = await pool(name);
      expect(condition(object, 'UpdatingVersion'), name).toBe('False');
      expect(object.status).toMatchObject({ version: '4.21.0', replicas, updatedReplicas: replicas });
      const last = rolled.last[name]!;
      expect(last.machines, name).toHaveLength(replicas);
      // Every machine is a new one, of the MachineSet of the new release.
      expect(last.machines.filter((machine) => before[name]!.includes(machine.machine)), name).toEqual([]);
      expect(await machineReleases(name, last.machines.map((machine) => machine.machine)), name).toEqual(Array(replicas).fill('4.21.0'));
      expect(last, name).toMatchObject({ nodes: replicas, readyNodes: replicas });
    }
    expect(rolled.samples).toBeGreaterThan(5);
  });

  it('autoscales up for Pods that wait for room and back down once they are gone, never past max or below min', async () => {
    const name = 'npb-auto';
    const [min, max] = [1, 3];
    const created = await api.request('POST', `${base}/nodepools`, { body: nodePoolManifest(name, CLUSTER, { replicas: undefined, autoScaling: { min, max } }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const within = (_name: string, sampled: PoolSample) => (sampled.machines.length > max ? `${sampled.machines.length} machines, more than max ${max}` : undefined);
    const atMin = await sampleUntil([name], within, async (last) => last[name]!.readyNodes === min && last[name]!.machines.length === min, 60_000);
    expect(atMin.last[name]).toMatchObject({ nodes: min, readyNodes: min });

    // Three Pods of 1.5 CPUs: the pool's Nodes offer 2 each, so they fill three (this kube-apiserver runs no scheduler: they wait).
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'default' } } }).catch(() => undefined);
    const pods = ['npb-wait-0', 'npb-wait-1', 'npb-wait-2'];
    for (const pod of pods) {
      await core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name: pod }, spec: { automountServiceAccountToken: false, containers: [{ name: 'work', image: 'registry.example/work:1', resources: { requests: { cpu: '1500m', memory: '1Gi' } } }] } },
      });
    }
    const grown = await sampleUntil([name], within, async (last) => last[name]!.machines.length === max && last[name]!.readyNodes === max, 60_000);
    expect(grown.last[name]).toMatchObject({ nodes: max, readyNodes: max });
    expect(grown.last[name]!.machines).toHaveLength(max);
    expect((await pool(name)).status?.replicas).toBe(max);
    // It stays at max while the Pods still wait (a few of the autoscaler's looks).
    const held = await sampleUntil([name], within, async () => false, 5_000);
    expect(held.violations).toEqual([]);
    expect(held.last[name]!.machines).toHaveLength(max);

    for (const pod of pods) await core.deleteNamespacedPod({ namespace: 'default', name: pod });
    const shrunk = await sampleUntil(
      [name],
      (_name, sampled) => within(_name, sampled) ?? (sampled.machines.length < min || sampled.readyNodes < min ? `${sampled.machines.length} machines and ${sampled.readyNodes} Ready Nodes, below min ${min}` : undefined),
      async (last) => last[name]!.machines.length === min && last[name]!.nodes === min && last[name]!.readyNodes === min,
      60_000,
    );
    expect([...grown.violations, ...shrunk.violations]).toEqual([]);
    expect(shrunk.last[name]).toMatchObject({ nodes: min, readyNodes: min });
    expect(shrunk.last[name]!.machines).toHaveLength(min);
    expect((await pool(name)).status?.replicas).toBe(min);
  });
});
