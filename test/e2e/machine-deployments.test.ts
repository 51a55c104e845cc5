/**
 * MachineDeployments over REST against a real stack: placement on a ClusterDeployment,
 * scale subresource, a template rollout followed over the watch stream, :plan, :undo,
 * pause/resume, a Cluster API v1beta2 manifest, delete (and the cloud emptied of the
 * deployment's machines), and malformed requests answered with problems naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../providers/tags';
import { ApiClient } from '../../services/cli/api-client';
import { fetchCloudResources } from '../../services/cli/commands/cloud';
import { startTestApi, type TestApi } from '../support/api';
import { startTestStack, type TestStack } from '../support/stack';

const NAMESPACE_PATH = '/apis/slipway.dev/v1alpha1/namespaces/default';
const CLUSTERS = `${NAMESPACE_PATH}/clusterdeployments`;
const BASE = `${NAMESPACE_PATH}/machinedeployments`;
const HOST = 'md-host';
const POLL_MS = 100;
const BOUND_MS = 60_000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface Md {
  metadata: { name: string; generation?: number; uid?: string; resourceVersion?: string };
  spec: { replicas: number; paused?: boolean; template: { spec: { version?: string } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    conditions?: Condition[];
    machineSets?: { revisionNumber: number }[];
  };
}
type Response = { status: number; contentType: string; body: unknown };

let stack: TestStack;
let api: TestApi;
let infraId: string;

const cluster = (name: string, compute: unknown[]) => ({
  apiVersion: 'slipway.dev/v1alpha1',
  kind: 'ClusterDeployment',
  metadata: { name },
  spec: { clusterName: name, baseDomain: 'example.test', platform: { simulated: { region: 'local-1' } }, controlPlane: { replicas: 1 }, compute },
});

const machineDeployment = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'slipway.dev/v1alpha1',
  kind: 'MachineDeployment',
  metadata: { name, labels: { tier: 'web' } },
  spec: {
    clusterName: HOST,
    replicas: 3,
    template: { spec: { version: 'v1.34.0', infrastructure: { instanceType: 'm6i.large' } } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    ...spec,
  },
});

const isReady = (conditions: Condition[] | undefined) => conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

/** Every machine of the spec's revision, available, exactly spec.replicas of them, for the current generation. */
function rolledOut(object: Md, replicas = object.spec.replicas): boolean {
  const status = object.status;
  return (
    status !== undefined &&
    status.observedGeneration === object.metadata.generation &&
    object.spec.replicas === replicas &&
    status.replicas === replicas &&
    status.updatedReplicas === replicas &&
    status.availableReplicas === replicas
  );
}

async function pollGet(path: string, accept: (response: Response) => boolean): Promise<Response> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const response = await api.request('GET', path);
    if (accept(response)) return response;
    if (Date.now() > deadline) throw new Error(`GET ${path} never became what the test waits for; last: ${response.status} ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const pollMd = async (name: string, accept: (object: Md) => boolean) => (await pollGet(`${BASE}/${name}`, (response) => response.status === 200 && accept(response.body as Md))).body as Md;

function expectProblem(response: Response, status: number, path?: RegExp) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.contentType).toContain('application/problem+json');
  const problem = response.body as { detail: string; errors?: { path: string }[] };
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  if (path) expect(problem.errors?.map((error) => error.path).join(' ')).toMatch(path);
  return problem;
}

/** Follows the watch stream (the CLI's client reading the SSE) until `until` holds for an event's object, within the bound. */
async function watchUntil(resourceVersion: string, until: (object: Md) => boolean): Promise<{ type: string; object: Md }[]> {
  const client = new ApiClient({ baseUrl: api.url, token: api.token });
  const events: { type: string; object: Md }[] = [];
  for await (const event of client.watch('MachineDeployment', 'default', { resourceVersion, signal: AbortSignal.timeout(BOUND_MS) })) {
    const object = event.object as unknown as Md;
    events.push({ type: event.type, object });
    if (until(object)) return events;
  }
  throw new Error(`the watch ended before the rollout finished; saw ${events.length} events`);
}

/** Machines the simulated cloud holds for the host cluster whose machine tag starts with `<md>-`, read the way `slipway cloud ls` reads them. */
async function cloudMachinesOf(md: string): Promise<string[]> {
  const resources = await fetchCloudResources({ url: stack.simCloud.url, apiKey: stack.simCloud.apiKey }, { [TAG.cluster]: infraId });
  return resources.filter((resource) => resource.kind === 'machine' && (resource.tags[TAG.machine] ?? '').startsWith(`${md}-`)).map((resource) => resource.name);
}

beforeAll(async () => {
  stack = await startTestStack({ simCloud: { bootMs: 100, deleteMs: 50 } });
  api = await startTestApi(stack);
  expect((await api.request('POST', CLUSTERS, { body: cluster(HOST, []) })).status).toBe(201);
  const host = await pollGet(`${CLUSTERS}/${HOST}`, (response) => isReady((response.body as { status?: { conditions?: Condition[] } }).status?.conditions));
  infraId = (host.body as { status: { infraID: string } }).status.infraID;
});
afterAll(async () => {
  await api?.request('DELETE', `${CLUSTERS}/${HOST}`).catch(() => undefined);
  await api?.close();
  await stack?.stop();
});

describe('MachineDeployment over REST', () => {
  it('creates, scales, rolls out a new template, previews, pauses, resumes, undoes and deletes', { timeout: 240_000 }, async () => {
    const created = await api.request('POST', BASE, { body: machineDeployment('web') });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ metadata: { name: 'web', namespace: 'default', generation: 1, uid: expect.any(String), creationTimestamp: expect.any(String) } });
    expect((await api.request('POST', BASE, { body: machineDeployment('web') })).status).toBe(409);
    await pollMd('web', (object) => object.status?.availableReplicas === 3 && rolledOut(object));

    const listed = await api.request('GET', `${BASE}?labelSelector=tier%3Dweb`);
    expect(listed.body).toMatchObject({ kind: 'MachineDeploymentList', items: expect.arrayContaining([expect.objectContaining({ metadata: expect.objectContaining({ name: 'web' }) })]) });

    // Scale through the subresource.
    expect((await api.request('GET', `${BASE}/web/scale`)).body).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 3 }, status: { replicas: 3 } });
    const scaled = await api.request('PATCH', `${BASE}/web/scale`, { body: { spec: { replicas: 5 } }, contentType: 'application/merge-patch+json' });
    expect(scaled.status).toBe(200);
    expect(scaled.body).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
    await pollMd('web', (object) => rolledOut(object, 5));
    expect((await api.request('GET', `${BASE}/web/scale`)).body).toMatchObject({ spec: { replicas: 5 }, status: { replicas: 5 } });

    // Preview a template change, then make it and follow the rollout over the watch stream.
    const newVersion = { spec: { template: { spec: { version: 'v1.35.0' } } } };
    const plan = await api.request('POST', `${BASE}/web:plan`, { body: { patch: newVersion, bootSeconds: 60, drainSeconds: 30 } });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    const preview = plan.body as { waves: { create: string[]; delete: string[] }[]; idealWaves: number; maxSurge: number; maxUnavailable: number };
    expect(preview).toMatchObject({ idealWaves: expect.any(Number), maxSurge: 1, maxUnavailable: 0 });
    expect(preview.waves.length).toBeGreaterThan(0);
    expect(preview.waves.flatMap((wave) => wave.create)).toHaveLength(5);
    expect(preview.waves.flatMap((wave) => wave.delete)).toHaveLength(5);
    expect((await api.request('POST', `${BASE}/web:plan`)).status).toBe(200);

    const fromVersion = ((await api.request('GET', `${BASE}?limit=1`)).body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const patched = await api.request('PATCH', `${BASE}/web`, { body: newVersion, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    expect((patched.body as Md).metadata.generation).toBe(3);
    const events = await watchUntil(fromVersion, (object) => object.metadata.name === 'web' && object.spec.template.spec.version === 'v1.35.0' && rolledOut(object, 5));
    const ofWeb = events.filter((event) => event.object.metadata.name === 'web');
    expect(ofWeb.every((event) => event.type === 'MODIFIED')).toBe(true);
    expect(ofWeb.some((event) => (event.object.status?.updatedReplicas ?? 0) < 5)).toBe(true);

    // Paused: a template change is taken but does not roll out until resumed.
    expect((await api.request('PATCH', `${BASE}/web`, { body: { spec: { paused: true } } })).status).toBe(200);
    const pausedChange = await api.request('PATCH', `${BASE}/web`, { body: { spec: { template: { spec: { version: 'v1.36.0' } } } } });
    const pausedGeneration = (pausedChange.body as Md).metadata.generation;
    const paused = await pollMd('web', (object) => object.status?.observedGeneration === pausedGeneration);
    expect(paused.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Paused', status: 'True' })]));
    expect(paused.status?.updatedReplicas).toBe(0);
    expect((await api.request('PATCH', `${BASE}/web`, { body: { spec: { paused: false } } })).status).toBe(200);
    await pollMd('web', (object) => object.spec.template.spec.version === 'v1.36.0' && rolledOut(object, 5));

    // Undo goes back to the previous template; an unknown revision is refused.
    expectProblem(await api.request('POST', `${BASE}/web:undo`, { body: { toRevision: 99 } }), 422, /toRevision/);
    const undone = await api.request('POST', `${BASE}/web:undo`, { body: {} });
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect((undone.body as Md).spec.template.spec.version).toBe('v1.35.0');
    await pollMd('web', (object) => object.spec.template.spec.version === 'v1.35.0' && rolledOut(object, 5));

    expect(await cloudMachinesOf('web')).toHaveLength(5);
    expect((await api.request('DELETE', `${BASE}/web`)).status).toBe(202);
    expectProblem(await pollGet(`${BASE}/web`, (response) => response.status === 404), 404);
    expect(await cloudMachinesOf('web')).toEqual([]);
    const after = (await api.request('GET', BASE)).body as { items: Md[] };
    expect(after.items.map((item) => item.metadata.name)).not.toContain('web');
  });

  it('accepts a Cluster API v1beta2 manifest in YAML', { timeout: 120_000 }, async () => {
    const yaml = [
      'apiVersion: cluster.x-k8s.io/v1beta2',
      'kind: MachineDeployment',
      'metadata:',
      '  name: capi-web',
      'spec:',
      `  clusterName: ${HOST}`,
      '  replicas: 3',
      '  selector:',
      '    matchLabels:',
      '      pool: capi-web',
      '  template:',
      '    metadata:',
      '      labels:',
      '        pool: capi-web',
      '    spec:',
      `      clusterName: ${HOST}`,
      '      version: v1.34.2',
      '      infrastructure:',
      '        instanceType: m6i.large',
      '  rollout:',
      '    strategy:',
      '      type: RollingUpdate',
      '      rollingUpdate:',
      '        maxSurge: 1',
      '        maxUnavailable: 0',
    ].join('\n');
    const created = await api.request('POST', BASE, { raw: yaml, contentType: 'application/yaml' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'slipway.dev/v1alpha1', kind: 'MachineDeployment', spec: { clusterName: HOST, replicas: 3, template: { spec: { version: 'v1.34.2' } } } });
    await pollMd('capi-web', (object) => object.status?.availableReplicas === 3 && rolledOut(object));
    expect(await cloudMachinesOf('capi-web')).toHaveLength(3);
    expect((await api.request('DELETE', `${BASE}/capi-web`)).status).toBe(202);
    await pollGet(`${BASE}/capi-web`, (response) => response.status === 404);
    expect(await cloudMachinesOf('capi-web')).toEqual([]);
  });

  it('refuses changes to a worker pool a ClusterDeployment owns, pointing at the cluster', { timeout: 120_000 }, async () => {
    expect((await api.request('POST', CLUSTERS, { body: cluster('owner', [{ name: 'worker', replicas: 1 }]) })).status).toBe(201);
    await pollGet(`${CLUSTERS}/owner`, (response) => isReady((response.body as { status?: { conditions?: Condition[] } }).status?.conditions));
    const pools = ((await api.request('GET', `${BASE}?labelSelector=slipway.dev%2Fcluster-deployment%3Downer`)).body as { items: Md[] }).items;
    expect(pools.map((item) => item.metadata.name)).toEqual(['owner-worker']);
    const problem = expectProblem(await api.request('PATCH', `${BASE}/owner-worker/scale`, { body: { spec: { replicas: 3 } } }), 409);
    expect(problem.detail).toMatch(/ClusterDeployment default\/owner/);
    expect((await api.request('DELETE', `${CLUSTERS}/owner`)).status).toBe(202);
  });

  it('replaces a machine a user deletes, from the new template under OnDelete, and annotates machines', { timeout: 120_000 }, async () => {
    const body = machineDeployment('manual', { replicas: 2, strategy: { type: 'OnDelete' } });
    expect((await api.request('POST', BASE, { body })).status).toBe(201);
    const first = await pollMd('manual', (object) => rolledOut(object));
    await api.request('PATCH', `${BASE}/manual`, { body: { spec: { template: { spec: { version: 'v1.35.0' } } } } });
    const [victim, keeper] = ((first.status as { machines?: { name: string }[] }).machines ?? []).map((machine) => machine.name);
    expect((await api.request('PATCH', `${BASE}/manual/machines/${keeper}`, { body: { metadata: { annotations: { 'slipway.dev/skip-remediation': '' } } } })).status).toBe(200);
    expectProblem(await api.request('PATCH', `${BASE}/manual/machines/${keeper}`, { body: { spec: {} } }), 422, /spec/);
    expectProblem(await api.request('DELETE', `${BASE}/manual/machines/no-such-machine`), 422, /names/);

    expect((await api.request('DELETE', `${BASE}/manual/machines/${victim}`)).status).toBe(202);
    const replaced = await pollMd('manual', (object) => object.status?.updatedReplicas === 1 && object.status.availableReplicas === 2 && object.status.replicas === 2);
    const names = ((replaced.status as { machines?: { name: string }[] }).machines ?? []).map((machine) => machine.name);
    expect(names).toContain(keeper);
    expect(names).not.toContain(victim);
    expect((await api.request('DELETE', `${BASE}/manual`)).status).toBe(202);
    await pollGet(`${BASE}/manual`, (response) => response.status === 404);
  });

  it('deletes the standalone MachineDeployments of a cluster with the cluster, so none recreates machines on it', { timeout: 120_000 }, async () => {
    expect((await api.request('POST', CLUSTERS, { body: cluster('doomed', []) })).status).toBe(201);
    const host = await pollGet(`${CLUSTERS}/doomed`, (response) => isReady((response.body as { status?: { conditions?: Condition[] } }).status?.conditions));
    const doomedInfra = (host.body as { status: { infraID: string } }).status.infraID;
    expect((await api.request('POST', BASE, { body: machineDeployment('doomed-web', { clusterName: 'doomed', replicas: 2 }) })).status).toBe(201);
    await pollMd('doomed-web', (object) => rolledOut(object));

    expect((await api.request('DELETE', `${CLUSTERS}/doomed`)).status).toBe(202);
    await pollGet(`${BASE}/doomed-web`, (response) => response.status === 404);
    await pollGet(`${CLUSTERS}/doomed`, (response) => response.status === 404);
    const left = await fetchCloudResources({ url: stack.simCloud.url, apiKey: stack.simCloud.apiKey }, { [TAG.cluster]: doomedInfra });
    expect(left).toEqual([]);
  });

  it("refuses a standalone MachineDeployment that takes the name of a cluster's worker pool, naming the cluster", { timeout: 120_000 }, async () => {
    expect((await api.request('POST', CLUSTERS, { body: cluster('keeper', [{ name: 'app', replicas: 0 }]) })).status).toBe(201);
    await pollGet(`${CLUSTERS}/keeper`, (response) => isReady((response.body as { status?: { conditions?: Condition[] } }).status?.conditions));
    const refused = await api.request('POST', BASE, { body: machineDeployment('keeper-app', { clusterName: 'keeper', replicas: 1 }) });
    expectProblem(refused, 409, /metadata\.name/);
    expect(JSON.stringify(refused.body)).toMatch(/ClusterDeployment default\/keeper/);
    expect((await api.request('DELETE', `${CLUSTERS}/keeper`)).status).toBe(202);
  });
});

describe('malformed MachineDeployment requests', () => {
  it.each([
    ['an unknown cluster', { body: machineDeployment('lost', { clusterName: 'nowhere' }) }, 422, /spec\.clusterName/],
    ['maxSurge and maxUnavailable both 0', { body: machineDeployment('stuck', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }) }, 422, /spec\.strategy\.rollingUpdate/],
    ['replicas of the wrong type', { body: machineDeployment('typed', { replicas: 'three' }) }, 422, /spec\.replicas/],
    ['a ClusterDeployment sent to the MachineDeployment collection', { body: cluster('misplaced', []) }, 422, /kind/],
    ['an unknown field', { body: machineDeployment('extra', { colour: 'red' }) }, 422, /spec\.colour/],
    ['an array body', { body: [1] }, 400, /\(root\)/],
  ])('answers %s with a problem naming the field', async (_what, options, status, path) => {
    expectProblem(await api.request('POST', BASE, options), status, path);
  });

  it('answers verbs and subresources of a missing MachineDeployment with 404, and bad bodies with 422', async () => {
    expectProblem(await api.request('POST', `${BASE}/missing:plan`, { body: {} }), 404);
    expectProblem(await api.request('POST', `${BASE}/missing:undo`, { body: {} }), 404);
    expectProblem(await api.request('GET', `${BASE}/missing/scale`), 404);
    expectProblem(await api.request('PATCH', `${BASE}/missing/scale`, { body: { spec: { replicas: 2 } } }), 404);
    expectProblem(await api.request('PATCH', `${BASE}/missing/scale`, { body: { spec: { replicas: 'two' } } }), 422, /spec\.replicas/);
    expectProblem(await api.request('PUT', `${BASE}/missing/scale`, { body: { spec: {} } }), 422, /spec\.replicas/);
    expectProblem(await api.request('POST', `${BASE}/missing:plan`, { body: { bootSeconds: 'soon' } }), 422, /bootSeconds/);
    expectProblem(await api.request('POST', `${BASE}/missing:undo`, { body: { toRevision: 'last' } }), 422, /toRevision/);
    expectProblem(await api.request('POST', `${BASE}/missing:rollback`, { body: {} }), 404);
    expectProblem(await api.request('PATCH', `${BASE}/missing`, { body: { status: {} } }), 422, /status/);
  });

  it('refuses a name that would give machines a name some cloud refuses, saying how long it may be', async () => {
    const name = `web-${'x'.repeat(40)}`;
    const problem = expectProblem(await api.request('POST', BASE, { body: machineDeployment(name) }), 422, /metadata\.name/);
    expect(problem.detail).toMatch(/GCP/);
    expect(problem.detail).toMatch(/at most \d+ characters/);
    expectProblem(await api.request('GET', `${BASE}/${name}`), 404);
  });

  it('documents the collection, the scale subresource and the verbs in the OpenAPI document', async () => {
    const paths = Object.keys(((await api.request('GET', '/openapi.json')).body as { paths: Record<string, unknown> }).paths);
    const item = '/apis/slipway.dev/v1alpha1/namespaces/{namespace}/machinedeployments/{name}';
    expect(paths).toEqual(expect.arrayContaining([item.replace('/{name}', ''), item, `${item}/scale`, `${item}:plan`, `${item}:undo`]));
  });

  it('refuses a bad change to an existing MachineDeployment with its field path, in a patch and in a preview', { timeout: 120_000 }, async () => {
    expect((await api.request('POST', BASE, { body: machineDeployment('checked', { replicas: 1 }) })).status).toBe(201);
    expectProblem(await api.request('PATCH', `${BASE}/checked`, { body: { spec: { replicas: -1 } } }), 422, /spec\.replicas/);
    expectProblem(await api.request('PATCH', `${BASE}/checked`, { body: { spec: { clusterName: 'other' } } }), 422, /spec\.clusterName/);
    expectProblem(await api.request('POST', `${BASE}/checked:plan`, { body: { patch: { spec: { replicas: 'many' } } } }), 422, /patch\.spec\.replicas/);
    expectProblem(await api.request('PATCH', `${BASE}/checked/scale`, { body: { spec: { replicas: 5000 } } }), 422, /spec\.replicas/);
    expect((await api.request('DELETE', `${BASE}/checked`)).status).toBe(202);
  });
});
