/**
 * Orphan sweeps against real peers: the worker's real workflows and activities on the run's
 * Temporal dev server, the simulated cloud and moto (EC2, ELB, Route 53), the REST API and the
 * `slipway` bin. With live clusters present, resources leaked on purpose (ours for a dead cluster,
 * another management plane's, untagged, protected, young) are reported by a dry run that changes
 * nothing; a deleting run marks the dead cluster's, and the next removes exactly those. A sweep
 * whose inventory cannot be read, or reads empty while the cloud holds ours, deletes nothing; on
 * our Azure ARM emulator a dead cluster's resource group that holds a protected machine, or a VM
 * nobody tagged (reported as kept-untagged, as AWS reports one), is kept;
 * a schedule starts sweeps by itself, and a provider account and region takes one schedule only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ClusterDeploymentSpec } from '../../crds/schemas/cluster-deployment';
import { createAwsAdapter } from '../../providers/aws/adapter';
import { createAzureAdapter } from '../../providers/azure/adapter';
import { startAzureTestCloud, type AzureTestCloud } from '../emulators/azure-arm/test-cloud';
import { TAG } from '../../providers/tags';
import type { CanonicalTags, CloudResource, ProviderAdapter } from '../../providers/types';
import { metricsRegistry } from '../../services/common/metrics';
import { createProjection, createProjectionActivities } from '../../services/common/projection';
import { createAdapterResolver } from '../../services/worker/adapters';
import { fileSecretStore } from '../../services/worker/secrets';
import { createSweepActivities } from '../../services/worker/sweep-activities';
import { redisSweepMarks } from '../../services/worker/sweep-marks';
import { SWEEP_KIND, SWEEP_WORKFLOW_TYPE, type SweepInput, type SweepObject } from '../../workflows/sweep/definitions';
import { startTestApi, type TestApi } from '../support/api';
import { collect, eventually } from '../support/async-checks';
import { startMoto, type RunningMoto } from '../support/peers/moto';
import { slipwayBin } from '../support/slipway-bin';
import { startTestStack, type TestStack } from '../support/stack';
import { decisionsById, expectDeletingRun, expectDryRunReport, expectMarkingRun, infraIdOf, leakOnEach, ownTags, scenarioOn, sweepViaRest, type LeakScenario, type LeakingCloud } from '../support/sweeps';
import { slipwaySinks } from '../../services/worker/create-worker';

const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';
const AWS_REGION = 'us-east-1';
const SIM_REGION = 'local-1';
const MIN_AGE = '30s';
const MIN_AGE_MS = 30_000;
const KEYS = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(20).toString('base64url') };

let moto: RunningMoto;
let azure: AzureTestCloud;
let stack: TestStack;
let api: TestApi;
let scratch: string;
let slipway: ReturnType<typeof slipwayBin>;

beforeAll(async () => {
  moto = await startMoto();
  azure = await startAzureTestCloud({ operationMs: 100, operationPolls: 1 });
  stack = await startTestStack({
    simCloud: { bootMs: 50, deleteMs: 0 },
    adapterEnv: { SLIPWAY_AWS_ENDPOINT: moto.url, SLIPWAY_AZURE_ENDPOINT: azure.emulator.url, SLIPWAY_AZURE_AUTHORITY_HOST: azure.emulator.authorityHost },
  });
  api = await startTestApi(stack);
  scratch = await mkdtemp(join(tmpdir(), 'slipway-sweeps-'));
  slipway = slipwayBin(stack, api, scratch);
  await mkdir(join(stack.home, 'secrets', 'default'), { recursive: true });
  await writeFile(join(stack.home, 'secrets', 'default', 'aws-sweep.json'), JSON.stringify(KEYS), { mode: 0o600 });
  await writeFile(join(stack.home, 'secrets', 'default', 'azure-sweep.json'), JSON.stringify({ ...azure.emulator.principal, subscriptionId: azure.emulator.subscriptionId }), { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await stack?.stop();
  await moto?.stop();
  await azure?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** One cloud the scenario runs on, and how to leak on it what no adapter would make. */
interface SweptCloud {
  readonly platform: 'simulated' | 'aws' | 'azure';
  readonly region: string;
  readonly credentialsSecret?: string;
  readonly adapter: ProviderAdapter;
  readonly instanceType: string;
  readonly image: string;
  readonly liveCluster: Partial<ClusterDeploymentSpec>;
  /** A machine with no tags at all; its resource ID. */
  leakUntagged(): Promise<string>;
}

const simulatedCloud = (): SweptCloud => ({
  platform: 'simulated',
  region: SIM_REGION,
  adapter: stack.simCloud.adapter,
  instanceType: 'small',
  image: 'rhcos-4.16',
  liveCluster: { platform: { simulated: { region: SIM_REGION } } },
  async leakUntagged() {
    const response = await fetch(new URL('/v1/machines', stack.simCloud.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(stack.simCloud.apiKey ? { authorization: `Bearer ${stack.simCloud.apiKey}` } : {}) },
      body: JSON.stringify({ name: `untagged-${randomUUID().slice(0, 8)}`, instanceType: 'small', image: 'rhcos-4.16', tags: {} }),
    });
    const created = (await response.json()) as { id: string };
    return `simulated://${created.id}`;
  },
});

const awsCloud = (): SweptCloud => ({
  platform: 'aws',
  region: AWS_REGION,
  credentialsSecret: 'aws-sweep',
  adapter: createAwsAdapter({ region: AWS_REGION, endpoint: moto.url, credentials: async () => KEYS }),
  instanceType: 't3.large',
  image: 'ami-0123456789abcdef0',
  liveCluster: { platform: { aws: { region: AWS_REGION, credentialsSecretRef: { name: 'aws-sweep' } } } },
  async leakUntagged() {
    const ec2 = new EC2Client({ region: AWS_REGION, endpoint: moto.url, credentials: KEYS });
    const answer = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', InstanceType: 't3.large', MinCount: 1, MaxCount: 1 }));
    ec2.destroy();
    const instance = answer.Instances?.[0];
    return `aws:///${instance?.Placement?.AvailabilityZone ?? ''}/${instance?.InstanceId ?? ''}`;
  },
});

const tagsOf = (infraId: string, extra: CanonicalTags = {}, managementId = stack.managementId): CanonicalTags => ownTags(managementId, infraId, extra);

async function leakMachine(cloud: SweptCloud, infraId: string, machineName: string, extra: CanonicalTags = {}): Promise<string> {
  const machine = await cloud.adapter.createMachine({
    name: `${infraId}-${machineName}`,
    idempotencyToken: randomBytes(16).toString('hex'),
    role: 'worker',
    instanceType: cloud.instanceType,
    image: cloud.image,
    infraId,
    tags: tagsOf(infraId, { [TAG.machine]: machineName, [TAG.role]: 'worker', ...extra }),
  });
  return machine.providerId;
}

/**
 * A machine outside any cluster network, given our tags afterwards (through tagResource, as a sweep
 * marks): on AWS, a machine of a dead cluster that is kept must not sit in the network the sweep deletes.
 */
async function leakLooseMachine(cloud: SweptCloud, tags: CanonicalTags): Promise<string> {
  const id = await cloud.leakUntagged();
  await cloud.adapter.tagResource({ kind: 'machine', id, name: '', tags: {} }, tags);
  return id;
}

async function leakInfra(cloud: SweptCloud, infraId: string, managementId = stack.managementId): Promise<string[]> {
  const infra = await cloud.adapter.ensureClusterInfra({ infraId, clusterName: infraId, baseDomain: 'example.test', region: cloud.region, tags: tagsOf(infraId, {}, managementId) });
  return infra.resources.map((resource) => resource.id);
}

/** How the shared scenario leaks on one of these clouds: through its adapter, and loose machines tagged afterwards. */
const leaksOn = (cloud: SweptCloud): LeakingCloud & { readonly swept: SweptCloud } => ({
  platform: cloud.platform,
  liveCluster: cloud.liveCluster,
  swept: cloud,
  leakDead: async (infraId) => [...(await leakInfra(cloud, infraId)), await leakMachine(cloud, infraId, 'worker-0')],
  leakForeign: (infraId, managementId) => leakInfra(cloud, infraId, managementId),
  leakLoose: (tags) => leakLooseMachine(cloud, tags),
  // Listed without a tag filter, an instance nobody tagged is reported too (AWS: the whole region's EC2, ELB and Route 53).
  leakUntagged: () => cloud.leakUntagged(),
});

/** Everything the cloud holds, by ID, with its tags. */
async function cloudContents(cloud: SweptCloud): Promise<Map<string, CloudResource>> {
  return new Map((await collect(cloud.adapter.listResources({}))).map((resource) => [resource.id, resource]));
}

async function sweepViaCli(cloud: SweptCloud, extra: string[]): Promise<SweepObject> {
  const args = ['sweep', '--platform', cloud.platform, '--region', cloud.region, '--min-age', MIN_AGE, '-o', 'json', ...(cloud.credentialsSecret ? ['--credentials-secret', cloud.credentialsSecret] : []), ...extra];
  const result = await slipway(args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as SweepObject;
}

describe.sequential('orphan sweeps', () => {
  it('holds, deleting nothing, while no live entity exists but the cloud holds our resources', { timeout: 60_000 }, async () => {
    const cloud = simulatedCloud();
    const dead = infraIdOf('lonely');
    const machine = await leakMachine(cloud, dead, 'worker-0', { [TAG.sweepMarked]: new Date(Date.now() - 3_600_000).toISOString() });
    const sweep = await sweepViaRest(api, { platform: 'simulated', region: SIM_REGION, mode: 'delete', minAgeSeconds: 0 });
    expect(sweep.status.phase).toBe('Held');
    expect(sweep.status.conditions.map((condition) => condition.reason)).toContain('inventory-empty');
    expect(sweep.status.counts.deleted).toBe(0);
    expect(decisionsById(sweep).get(machine)).toBe('error');
    expect((await cloudContents(cloud)).has(machine)).toBe(true);
    await cloud.adapter.deleteMachine(machine);
  });

  // Both clouds' leaks are made first and age together, so the grace period is waited out once.
  const scenarios: LeakScenario<ReturnType<typeof leaksOn>>[] = [];

  it('leaks resources on purpose in the simulated cloud and in moto, beside live clusters', { timeout: 240_000 }, async () => {
    scenarios.push(...(await leakOnEach(stack, [simulatedCloud(), awsCloud()].map(leaksOn), MIN_AGE_MS)));
  });

  for (const platform of ['simulated', 'aws'] as const) {
    it(`${platform}: a dry run reports every leak and changes nothing; a deleting run marks, the next deletes exactly the dead cluster's`, { timeout: 240_000 }, async () => {
      const scenario = scenarioOn(scenarios, platform);
      const { live, dead, deadIds, protectedId, foreignIds, untaggedId } = scenario;
      const cloud = scenario.cloud.swept;
      const youngId = await leakLooseMachine(cloud, tagsOf(`${dead}-b`));
      const before = await cloudContents(cloud);
      const liveIds = [...before.values()].filter((resource) => resource.tags[TAG.cluster] === live).map((resource) => resource.id);
      expect(liveIds.length).toBeGreaterThan(0);

      const leaks = { deadIds, protectedId, youngId, untaggedId, foreignIds, liveIds };
      const dry = await sweepViaCli(cloud, []);
      expect(dry.spec.mode).toBe('dry-run');
      expectDryRunReport(dry, leaks, before, await cloudContents(cloud));

      const marking = await sweepViaRest(api, { platform, region: cloud.region, mode: 'delete', minAgeSeconds: MIN_AGE_MS / 1000, ...(cloud.credentialsSecret ? { credentialsSecret: cloud.credentialsSecret } : {}) });
      expectMarkingRun(marking, leaks, before, await cloudContents(cloud));

      const deleting = await sweepViaCli(cloud, ['--delete']);
      expectDeletingRun(deleting, leaks, before, await cloudContents(cloud));
      // The worker runs in this process: its counters are this registry's.
      const counted = (await metricsRegistry.getSingleMetric('slipway_sweep_decisions_total')?.get())?.values ?? [];
      expect(counted.find((value) => value.labels.provider === platform && value.labels.decision === 'deleted' && value.labels.reason === 'orphan-marked')?.value).toBeGreaterThanOrEqual(deadIds.length);
    });
  }

  it('azure: never deletes a resource group that holds a protected machine, while deleting the rest of the dead cluster', { timeout: 120_000 }, async () => {
    const adapter = createAzureAdapter(azure.adapterOptions());
    const cloud: SweptCloud = { platform: 'azure', region: 'eastus', adapter, instanceType: 'small', image: 'rhcos-4.16', liveCluster: {}, leakUntagged: () => Promise.reject(new Error('not used')) };
    const dead = infraIdOf('azdead');
    const infraIds = await leakInfra(cloud, dead);
    const deadMachine = await leakMachine(cloud, dead, 'worker-0');
    const protectedMachine = await leakMachine(cloud, dead, 'worker-1', { [TAG.sweepProtect]: 'true' });
    const group = infraIds.find((id) => /\/resourceGroups\/[^/]+$/i.test(id));
    expect(group).toBeDefined();
    const spec = { platform: 'azure', region: 'eastus', credentialsSecret: 'azure-sweep', mode: 'delete', minAgeSeconds: 0 };

    const marking = await sweepViaRest(api, spec);
    expect(marking.status.phase).toBe('Completed');
    for (const id of [deadMachine, ...infraIds]) expect(decisionsById(marking).get(id), id).toBe('marked');
    expect(decisionsById(marking).get(protectedMachine)).toBe('kept-protected');

    const deleting = await sweepViaRest(api, spec);
    const decided = decisionsById(deleting);
    expect(decided.get(deadMachine)).toBe('deleted');
    expect(decided.get(group ?? '')).toBe('kept-referenced');
    expect(deleting.status.decisions.find((record) => record.id === group)?.code).toBe('holds-kept');
    const left = await cloudContents(cloud);
    expect(left.has(deadMachine)).toBe(false);
    expect(left.has(protectedMachine)).toBe(true);
    expect(left.has(group ?? '')).toBe(true);
  });

  it('azure: reports an untagged VM of its location, keeps the dead cluster\'s resource group that holds it, and leaves another location\'s out', { timeout: 120_000 }, async () => {
    const adapter = createAzureAdapter(azure.adapterOptions());
    const cloud: SweptCloud = { platform: 'azure', region: 'eastus', adapter, instanceType: 'small', image: 'rhcos-4.16', liveCluster: {}, leakUntagged: () => Promise.reject(new Error('not used')) };
    const dead = infraIdOf('azstray');
    const infraIds = await leakInfra(cloud, dead);
    const deadMachine = await leakMachine(cloud, dead, 'worker-0');
    // Someone else's VM, with no tag at all, in the dead cluster's group: deleting the group would delete it.
    const stray = (await adapter.createMachine({ name: `${dead}-stray`, idempotencyToken: randomBytes(16).toString('hex'), role: 'worker', instanceType: 'small', image: 'rhcos-4.16', infraId: dead, tags: {} })).providerId;
    // Another location's untagged VM is that location's sweep's to report.
    const westus = createAzureAdapter({ ...azure.adapterOptions(), location: 'westus' });
    const elsewhere = infraIdOf('azwest');
    await westus.ensureClusterInfra({ infraId: elsewhere, clusterName: elsewhere, baseDomain: 'example.test', region: 'westus', tags: tagsOf(elsewhere, {}, 'another-plane') });
    const west = (await westus.createMachine({ name: `${elsewhere}-stray`, idempotencyToken: randomBytes(16).toString('hex'), role: 'worker', instanceType: 'small', image: 'rhcos-4.16', infraId: elsewhere, tags: {} })).providerId;
    const group = infraIds.find((id) => /\/resourceGroups\/[^/]+$/i.test(id)) ?? '';
    const spec = { platform: 'azure', region: 'eastus', credentialsSecret: 'azure-sweep', minAgeSeconds: 0 };

    const dry = await sweepViaRest(api, { ...spec, mode: 'dry-run' });
    expect(decisionsById(dry).get(stray)).toBe('kept-untagged');
    expect(dry.status.decisions.find((record) => record.id === stray)?.code).toBe('no-management-tag');
    expect(decisionsById(dry).has(west)).toBe(false);
    expect(decisionsById(dry).get(deadMachine)).toBe('marked');

    const marking = await sweepViaRest(api, { ...spec, mode: 'delete' });
    expect(decisionsById(marking).get(group)).toBe('marked');
    const deleting = await sweepViaRest(api, { ...spec, mode: 'delete' });
    expect(decisionsById(deleting).get(deadMachine)).toBe('deleted');
    expect(decisionsById(deleting).get(group)).toBe('kept-referenced');
    expect(deleting.status.decisions.find((record) => record.id === group)?.code).toBe('holds-kept');
    const left = await cloudContents(cloud);
    expect(left.has(deadMachine)).toBe(false);
    expect(left.has(stray)).toBe(true);
    expect(left.has(group)).toBe(true);
    expect(await westus.describeMachine(`${elsewhere}-stray`)).toBeDefined();
  });

  it('deletes nothing when the inventory of live entities cannot be read', { timeout: 120_000 }, async () => {
    const cloud = simulatedCloud();
    const dead = infraIdOf('unread');
    const machine = await leakMachine(cloud, dead, 'worker-0', { [TAG.sweepMarked]: new Date(Date.now() - 3_600_000).toISOString() });
    const input: SweepInput = { target: { platform: 'simulated', region: SIM_REGION }, mode: 'delete', minAgeMs: 0, namespace: 'default', managementId: stack.managementId };

    // A worker whose Temporal client for the inventory points where no server listens: the read fails for real.
    const taskQueue = `${stack.taskQueue}-blind`;
    // No retry interceptor: each attempt fails at once instead of retrying the call for a while.
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s', interceptors: [] }) });
    const projection = createProjection(stack.redis, { prefix: stack.redisPrefix });
    const adapters = createAdapterResolver({ secrets: fileSecretStore(join(stack.home, 'secrets')), simCloudUrl: stack.simCloud.url, simulatedApiKey: stack.simCloud.apiKey, env: process.env });
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await Worker.create({
      connection,
      namespace: stack.namespace,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: { ...createSweepActivities({ adapters, temporal: unreachable, taskQueue: stack.taskQueue, projection, marks: redisSweepMarks(stack.redis, stack.redisPrefix) }), ...createProjectionActivities(projection) },
      sinks: slipwaySinks(),
    });
    const held = await worker.runUntil(
      stack.client.workflow.execute(SWEEP_WORKFLOW_TYPE, { taskQueue, workflowId: `${SWEEP_KIND}/default/blind-${randomUUID().slice(0, 8)}`, args: [input] }) as Promise<SweepObject>,
    );
    await connection.close();
    expect(held.status.phase).toBe('Held');
    expect(held.status.conditions.map((condition) => condition.reason)).toContain('inventory-unreadable');
    expect(held.status.counts.deleted).toBe(0);
    expect(held.status.counts.marked).toBe(0);
    expect((await cloudContents(cloud)).has(machine)).toBe(true);

    // The same sweep with an inventory it can read deletes that machine: the hold, not the setup, kept it.
    const sighted = await stack.client.workflow.execute(SWEEP_WORKFLOW_TYPE, { taskQueue: stack.taskQueue, workflowId: `${SWEEP_KIND}/default/sighted-${randomUUID().slice(0, 8)}`, args: [input] });
    expect(decisionsById(sighted as SweepObject).get(machine)).toBe('deleted');
    expect((await cloudContents(cloud)).has(machine)).toBe(false);
  });

  it('stops at its cap and raises the DeletionCapReached alert', { timeout: 60_000 }, async () => {
    const cloud = simulatedCloud();
    const dead = infraIdOf('many');
    const machines = [await leakMachine(cloud, dead, 'worker-0'), await leakMachine(cloud, dead, 'worker-1'), await leakMachine(cloud, dead, 'worker-2')];
    const capped = await sweepViaRest(api, { platform: 'simulated', region: SIM_REGION, mode: 'delete', minAgeSeconds: 0, maxDeletions: 1 });
    expect(capped.status.phase).toBe('CapReached');
    expect(capped.status.conditions.map((condition) => condition.type)).toContain('DeletionCapReached');
    const decided = machines.map((id) => decisionsById(capped).get(id));
    expect(decided.filter((decision) => decision === 'marked')).toHaveLength(1);
    expect(decided.filter((decision) => decision === 'kept-capped')).toHaveLength(2);
    const marked = [...(await cloudContents(cloud)).values()].filter((resource) => machines.includes(resource.id) && resource.tags[TAG.sweepMarked] !== undefined);
    expect(marked).toHaveLength(1);
    const alerts = (await metricsRegistry.getSingleMetric('slipway_sweep_alerts_total')?.get())?.values ?? [];
    expect(alerts.find((value) => value.labels.provider === 'simulated' && value.labels.alert === 'deletion-cap')?.value).toBeGreaterThanOrEqual(1);
    for (const machine of machines) await cloud.adapter.deleteMachine(machine);
  });

  it('a schedule starts sweeps by itself, and is listed, paused and deleted through the CLI', { timeout: 120_000 }, async () => {
    const name = `tick-${randomBytes(3).toString('hex')}`;
    const created = await slipway(['sweep', 'schedule', 'create', name, '--platform', 'simulated', '--region', SIM_REGION, '--every', '5s', '--keep-reports', '2']);
    expect(created.code, created.stderr).toBe(0);
    const listedSweeps = async () => ((await api.request('GET', `${NS}/sweeps`)).body as { items: SweepObject[] }).items.filter((sweep) => sweep.metadata.labels?.['slipway.dev/sweep-schedule'] === name);
    const completed = async () => (await listedSweeps()).filter((sweep) => sweep.status.phase === 'Completed');
    const finished = await eventually(completed, (items) => items.length >= 2, 90_000, 500);
    expect(new Set(finished.map((sweep) => sweep.metadata.name)).size).toBeGreaterThanOrEqual(2);
    expect(finished.every((sweep) => sweep.spec.mode === 'dry-run' && sweep.spec.schedule === name)).toBe(true);
    // Later runs remove the oldest reports: only the newest two stay listed.
    const [oldest] = [...finished].sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
    const pruned = await eventually(listedSweeps, (items) => !items.some((sweep) => sweep.metadata.name === oldest?.metadata.name), 60_000, 500);
    expect(pruned.filter((sweep) => sweep.status.phase === 'Completed').length).toBeLessThanOrEqual(2);

    const listed = await slipway(['sweep', 'schedule', 'list', '-o', 'json']);
    expect(listed.code, listed.stderr).toBe(0);
    const schedule = (JSON.parse(listed.stdout) as { items: { metadata: { name: string }; status: { runs: number; paused: boolean } }[] }).items.find((item) => item.metadata.name === name);
    expect(schedule?.status.runs).toBeGreaterThanOrEqual(2);

    expect((await slipway(['sweep', 'schedule', 'pause', name])).code).toBe(0);
    expect(((await api.request('GET', `${NS}/sweepschedules/${name}`)).body as { status: { paused: boolean } }).status.paused).toBe(true);
    expect((await slipway(['sweep', 'schedule', 'delete', name])).code).toBe(0);
    expect((await api.request('GET', `${NS}/sweepschedules/${name}`)).status).toBe(404);
  });

  it('keeps one schedule per provider account and region: a second for the same target is a 409 naming the first, through REST and the CLI', { timeout: 60_000 }, async () => {
    const suffix = randomBytes(3).toString('hex');
    const first = `aws-east-${suffix}`;
    const spec = { platform: 'aws', region: AWS_REGION, credentialsSecret: 'aws-sweep', intervalSeconds: 3600, paused: true };
    const create = (name: string, extra: Record<string, unknown> = {}) => api.request('POST', `${NS}/sweepschedules`, { body: { metadata: { name }, spec: { ...spec, ...extra } } });
    const made = [first];
    expect((await create(first)).status).toBe(201);

    const again = await create(`aws-east-again-${suffix}`, { mode: 'delete', intervalSeconds: 600 });
    expect(again.status).toBe(409);
    expect(again.contentType).toContain('application/problem+json');
    const problem = again.body as { detail: string; errors: { path: string }[] };
    expect(problem.detail).toContain(`default/${first}`);
    expect(problem.detail).toContain(`slipway sweep schedule delete ${first}`);
    expect(problem.errors.map((error) => error.path)).toContain('body.spec.credentialsSecret');
    expect((await api.request('GET', `${NS}/sweepschedules/aws-east-again-${suffix}`)).status).toBe(404);

    // Another region, or the worker's own credentials instead of the secret, is another target.
    for (const [name, extra] of [[`aws-west-${suffix}`, { region: 'us-west-2' }], [`aws-own-${suffix}`, { credentialsSecret: undefined }]] as const) {
      const other = await create(name, extra);
      expect(other.status, JSON.stringify(other.body)).toBe(201);
      made.push(name);
    }

    // The CLI gets the same answer, and says it.
    const viaCli = await slipway(['sweep', 'schedule', 'create', `aws-cli-${suffix}`, '--platform', 'aws', '--region', AWS_REGION, '--credentials-secret', 'aws-sweep', '--every', '1h', '--paused']);
    expect(viaCli.code).not.toBe(0);
    expect(viaCli.stderr).toContain(`default/${first}`);
    expect(viaCli.stderr).toContain('Delete it first');

    // Two creates at once for a target without one: exactly one is made.
    const racing = await Promise.all([create(`race-a-${suffix}`, { region: 'eu-west-1' }), create(`race-b-${suffix}`, { region: 'eu-west-1' })]);
    expect(racing.map((answer) => answer.status).sort()).toEqual([201, 409]);
    made.push(racing[0]?.status === 201 ? `race-a-${suffix}` : `race-b-${suffix}`);

    // Once the first is deleted, its target takes a new schedule.
    expect((await slipway(['sweep', 'schedule', 'delete', first])).code).toBe(0);
    made.shift();
    const replacing = await slipway(['sweep', 'schedule', 'create', `aws-cli-${suffix}`, '--platform', 'aws', '--region', AWS_REGION, '--credentials-secret', 'aws-sweep', '--every', '1h', '--paused']);
    expect(replacing.code, replacing.stderr).toBe(0);
    made.push(`aws-cli-${suffix}`);
    for (const name of made) expect((await api.request('DELETE', `${NS}/sweepschedules/${name}`)).status, name).toBe(200);
  });
});
