/**
 * Every route, through fastify.inject against a real stack (a worker, the simulated cloud):
 * its success, and the problems it documents that a request can provoke (400 naming the bad
 * parameter, 404, 409, 415, 422). Every answer, whatever the test expects of it, must be a status
 * /openapi.json documents for that operation, in a documented media type, with a body that
 * matches the documented schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api';
import { answerProblems, documentOf, operationOf, type OpenApiDocument } from '../support/openapi';
import { startTestStack, type TestStack } from '../support/stack';
import { hostedClusterManifest, LOCAL_RELEASE, nodePoolManifest } from '../support/hosted-clusters';
import { fileSecretStore } from '../../services/worker/secrets';
import { objectReads } from '../../services/common/metrics';
import { join } from 'node:path';

const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';
const BAD_NS = '/apis/slipway.dev/v1alpha1/namespaces/Bad_NS';
const CDS = `${NS}/clusterdeployments`;
const MDS = `${NS}/machinedeployments`;
const HOST = 'routes-host';
/** The worker pool MachineDeployment the host cluster owns: it refuses changes with 409. */
const POOL = `${HOST}-pool`;
const MD = 'routes-web';
const BOUND_MS = 60_000;

let stack: TestStack;
let api: TestApi;
let document: OpenApiDocument;
/** The statuses each operation answered in this file, checked against the document at the end. */
const answered = new Map<string, Set<number>>();

type Answer = { status: number; contentType: string; body: unknown };
type Problem = { status: number; type: string; detail: string; errors?: { path: string; message: string }[] };

/** Sends through fastify.inject and checks the answer against /openapi.json before returning it. */
async function call(method: string, url: string, options: { body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string>; token?: boolean } = {}): Promise<Answer> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await api.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(options.token === false ? {} : { authorization: `Bearer ${api.token}` }),
      ...(payload === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
      ...options.headers,
    },
    ...(payload === undefined ? {} : { payload }),
  });
  let body: unknown = response.body;
  try {
    body = JSON.parse(response.body);
  } catch {
    // text: an event stream or metrics
  }
  const answer = { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body };
  expect(answerProblems(document, method, url, answer), `${method} ${url} answered ${answer.status} ${response.body.slice(0, 400)}`).toEqual([]);
  const operationId = operationOf(document, method, url)?.operation.operationId ?? `${method} ${url}`;
  answered.set(operationId, (answered.get(operationId) ?? new Set()).add(answer.status));
  return answer;
}

function expectProblem(answer: Answer, status: number, path?: RegExp): Problem {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.contentType).toContain('application/problem+json');
  const problem = answer.body as Problem;
  if (path) expect(problem.errors?.map((error) => error.path).join(' '), problem.detail).toMatch(path);
  return problem;
}

async function poll(url: string, accept: (answer: Answer) => boolean): Promise<Answer> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const answer = await call('GET', url);
    if (accept(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`GET ${url} never became what the test waits for; last: ${answer.status} ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Md = { metadata: { generation?: number }; spec: { replicas: number }; status?: { observedGeneration?: number; availableReplicas?: number; updatedReplicas?: number; replicas?: number; machines?: { name: string }[] } };
const settled = (object: Md) => object.status?.observedGeneration === object.metadata.generation && object.status?.availableReplicas === object.spec.replicas && object.status?.updatedReplicas === object.spec.replicas && object.status?.replicas === object.spec.replicas;
const ready = (answer: Answer) => (answer.body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

const cluster = (name: string, compute: unknown[] = []) => ({
  apiVersion: 'slipway.dev/v1alpha1',
  kind: 'ClusterDeployment',
  metadata: { name },
  spec: { clusterName: name, baseDomain: 'example.test', platform: { simulated: { region: 'local-1' } }, controlPlane: { replicas: 1 }, compute },
});
const machineDeployment = (name: string, replicas = 1) => ({
  apiVersion: 'slipway.dev/v1alpha1',
  kind: 'MachineDeployment',
  metadata: { name },
  spec: { clusterName: HOST, replicas, template: { spec: { version: 'v1.34.0', infrastructure: { instanceType: 'sim.small' } } } },
});

beforeAll(async () => {
  // The hosted control plane's activities are built on another branch: stand-ins run them here.
  stack = await startTestStack({ simCloud: { bootMs: 50, deleteMs: 20 }, supervisor: true });
  api = await startTestApi(stack, { secrets: fileSecretStore(join(stack.home, 'secrets')) });
  document = documentOf(api.app);
  expect((await call('POST', CDS, { body: cluster(HOST, [{ name: 'pool', replicas: 1 }]) })).status).toBe(201);
  await poll(`${CDS}/${HOST}`, ready);
  expect((await call('POST', MDS, { body: machineDeployment(MD) })).status).toBe(201);
  await poll(`${MDS}/${MD}`, (answer) => answer.status === 200 && settled(answer.body as Md));
}, 180_000);
afterAll(async () => {
  await api?.app.inject({ method: 'DELETE', url: `${CDS}/${HOST}`, headers: { authorization: `Bearer ${api.token}` } }).catch(() => undefined);
  await api?.close();
  await stack?.stop();
});

describe('ClusterDeployment routes', () => {
  it('lists, and refuses a bad namespace or query naming the parameter', async () => {
    const list = await call('GET', `${CDS}?limit=1`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'ClusterDeploymentList', metadata: { resourceVersion: expect.any(String) } });
    expectProblem(await call('GET', `${BAD_NS}/clusterdeployments`), 400, /^path\.namespace$/);
    expectProblem(await call('GET', `${CDS}?limit=0`), 400, /^query\.limit$/);
    expectProblem(await call('GET', `${CDS}?limit=many&watch=maybe`), 400, /query\.limit.*query\.watch/);
    expectProblem(await call('GET', `${CDS}?watch=true&resourceVersion=yesterday`), 400, /^query\.resourceVersion$/);
    expectProblem(await call('GET', `${CDS}?watch=true`, { headers: { 'last-event-id': 'not-a-version' } }), 400, /^headers\.last-event-id$/);
    expectProblem(await call('GET', `${CDS}?labelSelector=%3D%3D`), 400, /^query\.labelSelector$/);
    expectProblem(await call('GET', CDS, { token: false }), 401);
    // A path that cannot be decoded is a problem too, not Fastify's own error body.
    expectProblem(await call('GET', '/apis/slipway.dev/v1alpha1/namespaces/%E0%A4%A/clusterdeployments'), 400);
  });

  it('watches as Server-Sent Events, and answers 410 for a resourceVersion it cannot serve', async () => {
    const watched = await call('GET', `${CDS}?watch=true&resourceVersion=0&timeoutSeconds=1`);
    expect(watched.status).toBe(200);
    expect(watched.contentType).toContain('text/event-stream');
    expect(String(watched.body)).toMatch(new RegExp(`event: ADDED\\nid: [0-9-]+\\ndata: .*"name":"${HOST}"`));
    expectProblem(await call('GET', `${CDS}?watch=1&resourceVersion=1-0`), 410, /^query\.resourceVersion$/);
  });

  it('creates, and refuses a bad key, body, type or object, and a name in use', async () => {
    const created = await call('POST', CDS, { body: cluster('routes-made'), headers: { 'idempotency-key': 'routes-made-1' } });
    expect(created.status).toBe(201);
    const replayed = await call('POST', CDS, { body: cluster('routes-made'), headers: { 'idempotency-key': 'routes-made-1' } });
    expect(replayed.status).toBe(201);
    expect(replayed.body).toEqual(created.body);
    expectProblem(await call('POST', CDS, { body: cluster('routes-made') }), 409);
    expectProblem(await call('POST', CDS, { body: cluster('routes-key'), headers: { 'idempotency-key': 'k'.repeat(256) } }), 400, /^headers\.idempotency-key$/);
    expectProblem(await call('POST', `${BAD_NS}/clusterdeployments`, { body: cluster('routes-ns') }), 400, /^path\.namespace$/);
    expectProblem(await call('POST', CDS, { raw: '{"kind": ' }), 400, /^\(root\)$/);
    expectProblem(await call('POST', CDS, { raw: '<cluster/>', contentType: 'application/xml' }), 415, /content-type/);
    expectProblem(await call('POST', CDS, { raw: JSON.stringify({ padding: 'x'.repeat(1_100_000) }) }), 413);
    expectProblem(await call('POST', CDS, { body: { ...cluster('routes-bad'), spec: { ...cluster('routes-bad').spec, controlPlane: { replicas: 'three' } } } }), 422, /spec\.controlPlane\.replicas/);
  });

  it('reads, patches and deletes, with 404 for no such object, 409 while protected and 422 for a bad patch', async () => {
    const read = await call('GET', `${CDS}/${HOST}`);
    expect(read.body).toMatchObject({ metadata: { name: HOST, resourceVersion: expect.any(String) } });
    expectProblem(await call('GET', `${CDS}/no-such-object`), 404);
    expectProblem(await call('GET', `${BAD_NS}/clusterdeployments/${HOST}`), 400, /^path\.namespace$/);

    const protect = { metadata: { annotations: { 'slipway.dev/protected-delete': 'true' } } };
    expect((await call('PATCH', `${CDS}/routes-made`, { body: protect, contentType: 'application/merge-patch+json' })).status).toBe(200);
    expectProblem(await call('PATCH', `${CDS}/routes-made`, { body: { status: {} } }), 422, /^status$/);
    expectProblem(await call('PATCH', `${CDS}/routes-made`, { body: { spec: { baseDomain: 'other.test' } } }), 422, /spec\.baseDomain/);
    expectProblem(await call('PATCH', `${CDS}/no-such-object`, { body: { spec: {} } }), 404);
    expectProblem(await call('PATCH', `${CDS}/routes-made`, { raw: 'spec: {}', contentType: 'application/xml' }), 415);
    expectProblem(await call('PATCH', `${BAD_NS}/clusterdeployments/routes-made`, { body: { spec: {} } }), 400, /^path\.namespace$/);

    expectProblem(await call('DELETE', `${CDS}/routes-made`), 409);
    expectProblem(await call('DELETE', `${CDS}/no-such-object`), 404);
    expectProblem(await call('DELETE', `${CDS}/routes-made`, { raw: '<why/>', contentType: 'application/xml' }), 415);
    expectProblem(await call('DELETE', `${BAD_NS}/clusterdeployments/routes-made`), 400, /^path\.namespace$/);
    await call('PATCH', `${CDS}/routes-made`, { body: { metadata: { annotations: { 'slipway.dev/protected-delete': null } } } });
    expect((await call('DELETE', `${CDS}/routes-made`)).status).toBe(202);
  });

  it('hands an object over with :handover, and refuses REST changes while Kubernetes owns it with 409', async () => {
    const handed = await call('POST', `${CDS}/${HOST}:handover`, { body: { to: 'kubernetes' } });
    expect(handed.status, JSON.stringify(handed.body)).toBe(200);
    expect(handed.body).toMatchObject({ metadata: { annotations: { 'slipway.dev/owner': 'kubernetes' } } });
    const refused = expectProblem(await call('PATCH', `${CDS}/${HOST}`, { body: { metadata: { labels: { tier: 'x' } } } }), 409, /slipway\.dev\/owner/);
    expect(refused.detail).toContain('slipway handover cd/routes-host --to rest');
    expectProblem(await call('DELETE', `${CDS}/${HOST}`), 409, /slipway\.dev\/owner/);
    expectProblem(await call('PATCH', `${CDS}/${HOST}`, { body: { metadata: { annotations: { 'slipway.dev/owner': 'rest' } } } }), 422, /slipway\.dev\/owner/);
    expect(expectProblem(await call('POST', `${CDS}/${HOST}:handover`, { body: { to: 'cluster' } }), 422, /^to$/).detail).toContain('must be "rest" or "kubernetes"');
    expectProblem(await call('POST', `${CDS}/no-such-object:handover`, { body: { to: 'rest' } }), 404);
    expect((await call('POST', `${CDS}/${HOST}:handover`, { body: { to: 'rest' } })).status).toBe(200);
    expect((await call('PATCH', `${CDS}/${HOST}`, { body: { metadata: { labels: { tier: 'x' } } } })).status).toBe(200);

    // A manifest copied from a Kubernetes-owned object makes a REST-owned one: REST deletes it.
    const copied = cluster('routes-copied');
    const created = await call('POST', CDS, { body: { ...copied, metadata: { ...copied.metadata, annotations: { 'slipway.dev/owner': 'kubernetes', 'slipway.dev/cr-generation': '3', keep: 'me' } } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((created.body as { metadata: { annotations?: Record<string, string> } }).metadata.annotations).toEqual({ keep: 'me' });
    expect((await call('DELETE', `${CDS}/routes-copied`)).status).toBe(202);
  });
});

describe('MachineDeployment routes', () => {
  it('lists, creates, reads and patches, and refuses changes to a pool its cluster owns with 409', async () => {
    expect((await call('GET', `${MDS}?fieldSelector=metadata.name%3D${MD}`)).body).toMatchObject({ kind: 'MachineDeploymentList', items: [{ metadata: { name: MD } }] });
    expectProblem(await call('POST', MDS, { body: { ...machineDeployment('routes-lost'), spec: { ...machineDeployment('routes-lost').spec, clusterName: 'no-such-cluster' } } }), 422, /spec\.clusterName/);
    expectProblem(await call('POST', MDS, { body: machineDeployment(POOL) }), 409, /metadata\.name/);
    expectProblem(await call('POST', MDS, { raw: 'kind: [', contentType: 'application/yaml' }), 400);
    expectProblem(await call('POST', MDS, { raw: '<md/>', contentType: 'application/xml' }), 415);
    expectProblem(await call('GET', `${MDS}?limit=1001`), 400, /^query\.limit$/);
    expect((await call('GET', `${MDS}/${MD}`)).status).toBe(200);
    expectProblem(await call('GET', `${MDS}/no-such-object`), 404);
    expect((await call('PATCH', `${MDS}/${MD}`, { body: { metadata: { labels: { tier: 'web' } } } })).status).toBe(200);
    expectProblem(await call('PATCH', `${MDS}/${POOL}`, { body: { spec: { replicas: 2 } } }), 409);
    expectProblem(await call('DELETE', `${MDS}/${POOL}`), 409);
  });

  it('refuses REST scale and undo of a MachineDeployment handed over to Kubernetes, until it is handed back', async () => {
    expect((await call('POST', `${MDS}/${MD}:handover`, { body: { to: 'kubernetes' } })).status).toBe(200);
    expectProblem(await call('PATCH', `${MDS}/${MD}/scale`, { body: { spec: { replicas: 2 } }, contentType: 'application/merge-patch+json' }), 409, /slipway\.dev\/owner/);
    expectProblem(await call('POST', `${MDS}/${MD}:undo`), 409, /slipway\.dev\/owner/);
    expectProblem(await call('POST', `${MDS}/no-such-object:handover`, { body: { to: 'rest' } }), 404);
    expect((await call('POST', `${MDS}/${MD}:handover`, { body: { to: 'rest' } })).status).toBe(200);
  });

  it('reads and sets the scale subresource', async () => {
    const scale = await call('GET', `${MDS}/${MD}/scale`);
    expect(scale.body).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 1 } });
    expectProblem(await call('GET', `${MDS}/no-such-object/scale`), 404);
    expectProblem(await call('GET', `${BAD_NS}/machinedeployments/${MD}/scale`), 400, /^path\.namespace$/);
    for (const method of ['PATCH', 'PUT']) {
      expect((await call(method, `${MDS}/${MD}/scale`, { body: { spec: { replicas: 2 } }, contentType: 'application/merge-patch+json' })).body).toMatchObject({ spec: { replicas: 2 } });
      expectProblem(await call(method, `${MDS}/${MD}/scale`, { body: { spec: { replicas: -1 } } }), 422, /^spec\.replicas$/);
      expectProblem(await call(method, `${MDS}/no-such-object/scale`, { body: { spec: { replicas: 1 } } }), 404);
      expectProblem(await call(method, `${MDS}/${POOL}/scale`, { body: { spec: { replicas: 3 } } }), 409);
      expectProblem(await call(method, `${MDS}/${MD}/scale`, { raw: 'replicas=1', contentType: 'application/x-www-form-urlencoded' }), 415);
      expectProblem(await call(method, `${BAD_NS}/machinedeployments/${MD}/scale`, { body: { spec: { replicas: 1 } } }), 400, /^path\.namespace$/);
    }
    expectProblem(await call('PUT', `${MDS}/${MD}/scale`, { body: { kind: 'Scale' } }), 422, /^spec\.replicas$/);
    await poll(`${MDS}/${MD}`, (answer) => answer.status === 200 && settled(answer.body as Md) && (answer.body as Md).spec.replicas === 2);
    // Once the projection holds the write, GET of the scale reads it there, as GET of the object does.
    const projectionReads = async () => (await objectReads.get()).values.find((value) => value.labels.kind === 'MachineDeployment' && value.labels.source === 'projection')?.value ?? 0;
    const before = await projectionReads();
    expect((await call('GET', `${MDS}/${MD}/scale`)).body).toMatchObject({ spec: { replicas: 2 }, status: { replicas: 2 } });
    expect((await projectionReads()) - before).toBe(1);
  });

  it('previews a rollout with :plan, and rolls back with :undo', async () => {
    const plan = await call('POST', `${MDS}/${MD}:plan`, { body: { patch: { spec: { template: { spec: { version: 'v1.35.0' } } } }, bootSeconds: 30 } });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ idealWaves: expect.any(Number), waves: expect.any(Array) });
    expect((await call('POST', `${MDS}/${MD}:plan`)).status).toBe(200);
    expectProblem(await call('POST', `${MDS}/${MD}:plan`, { body: { bootSeconds: -1 } }), 422, /^bootSeconds$/);
    expectProblem(await call('POST', `${MDS}/${MD}:plan`, { body: { patch: { spec: { replicas: 'many' } } } }), 422, /^patch\.spec\.replicas$/);
    expectProblem(await call('POST', `${MDS}/no-such-object:plan`, { body: {} }), 404);
    expectProblem(await call('POST', `${MDS}/${MD}:plan`, { raw: '<plan/>', contentType: 'application/xml' }), 415);
    expectProblem(await call('POST', `${BAD_NS}/machinedeployments/${MD}:plan`, { body: {} }), 400, /^path\.namespace$/);

    expectProblem(await call('POST', `${MDS}/${MD}:undo`, { body: {} }), 422, /^toRevision$/);
    const changed = await call('PATCH', `${MDS}/${MD}`, { body: { spec: { template: { spec: { version: 'v1.35.0' } } } } });
    expect(changed.status).toBe(200);
    await poll(`${MDS}/${MD}`, (answer) => answer.status === 200 && settled(answer.body as Md));
    const undone = await call('POST', `${MDS}/${MD}:undo`);
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(undone.body).toMatchObject({ spec: { template: { spec: { version: 'v1.34.0' } } } });
    expectProblem(await call('POST', `${MDS}/${MD}:undo`, { body: { toRevision: 0 } }), 422, /^toRevision$/);
    expectProblem(await call('POST', `${MDS}/no-such-object:undo`, { body: {} }), 404);
    expectProblem(await call('POST', `${MDS}/${POOL}:undo`, { body: {} }), 409);
    expectProblem(await call('POST', `${MDS}/${MD}:undo`, { raw: '<undo/>', contentType: 'application/xml' }), 415);
    expectProblem(await call('POST', `${BAD_NS}/machinedeployments/${MD}:undo`, { body: {} }), 400, /^path\.namespace$/);
    await poll(`${MDS}/${MD}`, (answer) => answer.status === 200 && settled(answer.body as Md));
  });

  it('annotates and deletes one machine', async () => {
    const current = (await call('GET', `${MDS}/${MD}`)).body as Md;
    const machine = current.status?.machines?.[0]?.name ?? '';
    expect(machine).not.toBe('');
    const annotated = await call('PATCH', `${MDS}/${MD}/machines/${machine}`, { body: { metadata: { annotations: { 'slipway.dev/delete-machine': 'true' } } }, contentType: 'application/merge-patch+json' });
    expect(annotated.status).toBe(200);
    expectProblem(await call('PATCH', `${MDS}/${MD}/machines/${machine}`, { body: { spec: {} } }), 422, /spec/);
    expectProblem(await call('PATCH', `${MDS}/no-such-object/machines/${machine}`, { body: { metadata: { annotations: {} } } }), 404);
    expectProblem(await call('PATCH', `${MDS}/${MD}/machines/${machine}`, { raw: '<m/>', contentType: 'application/xml' }), 415);
    expectProblem(await call('PATCH', `${BAD_NS}/machinedeployments/${MD}/machines/${machine}`, { body: { metadata: { annotations: {} } } }), 400, /^path\.namespace$/);
    expectProblem(await call('DELETE', `${MDS}/${MD}/machines/no-such-machine`), 422, /names/);
    expectProblem(await call('DELETE', `${MDS}/no-such-object/machines/${machine}`), 404);
    expectProblem(await call('DELETE', `${MDS}/${MD}/machines/${machine}`, { raw: '<m/>', contentType: 'application/xml' }), 415);
    expectProblem(await call('DELETE', `${BAD_NS}/machinedeployments/${MD}/machines/${machine}`), 400, /^path\.namespace$/);
    expect((await call('DELETE', `${MDS}/${MD}/machines/${machine}`)).status).toBe(202);
    const replaced = await poll(`${MDS}/${MD}`, (answer) => answer.status === 200 && settled(answer.body as Md) && !(answer.body as Md).status?.machines?.some((item) => item.name === machine));
    expect((replaced.body as Md).status?.machines).toHaveLength(2);
    expect((await call('DELETE', `${MDS}/${MD}`)).status).toBe(202);
  });
});

describe('HostedCluster and NodePool routes', () => {
  const HCS = `${NS}/hostedclusters`;
  const NPS = `${NS}/nodepools`;
  const HC = 'rt-hc';
  const NP = 'rt-np';
  const available = (answer: Answer) => (answer.body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((condition) => condition.type === 'Available' && condition.status === 'True') ?? false;
  type Pool = { spec: { replicas?: number }; status?: { replicas?: number; readyReplicas?: number } };
  const poolAt = (replicas: number) => (answer: Answer) => answer.status === 200 && (answer.body as Pool).status?.readyReplicas === replicas && (answer.body as Pool).status?.replicas === replicas;

  it('create, list, read, patch, read the kubeconfig of and delete a HostedCluster, and refuse what is wrong naming the field', async () => {
    expectProblem(await call('POST', HCS, { body: { ...hostedClusterManifest(HC, LOCAL_RELEASE), spec: { ...hostedClusterManifest(HC, LOCAL_RELEASE).spec, platform: { type: 'Simulated', aws: { region: 'x' } } } } }), 422, /spec\.platform/);
    expectProblem(await call('POST', HCS, { body: { kind: 'HostedCluster' } }), 422);
    const created = await call('POST', HCS, { body: hostedClusterManifest(HC, LOCAL_RELEASE) });
    expect(created.status).toBe(201);
    expectProblem(await call('POST', HCS, { body: hostedClusterManifest(HC, LOCAL_RELEASE) }), 409);
    const up = await poll(`${HCS}/${HC}`, (answer) => answer.status === 200 && available(answer));
    expect((up.body as { status?: { version?: { history?: { state: string }[] } } }).status?.version?.history?.[0]?.state).toBe('Completed');
    expectProblem(await call('GET', `${HCS}/no-such-cluster`), 404);
    expectProblem(await call('GET', `${BAD_NS}/hostedclusters`), 400, /^path\.namespace$/);
    expect((await call('GET', HCS)).body).toMatchObject({ kind: 'HostedClusterList' });
    expect((await call('PATCH', `${HCS}/${HC}`, { body: { metadata: { labels: { team: 'a' } } }, contentType: 'application/merge-patch+json' })).status).toBe(200);
    expectProblem(await call('PATCH', `${HCS}/${HC}`, { body: { spec: { release: { image: '' } } }, contentType: 'application/merge-patch+json' }), 422, /spec\.release\.image/);
    expectProblem(await call('PATCH', `${HCS}/${HC}`, { body: { spec: { dns: { baseDomain: 'other.test' } } }, contentType: 'application/merge-patch+json' }), 422, /^spec\.dns\.baseDomain$/);
    expectProblem(await call('PATCH', `${HCS}/no-such-cluster`, { body: { metadata: { labels: {} } } }), 404);

    const kubeconfig = await call('GET', `${HCS}/${HC}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    expect(kubeconfig.contentType).toContain('application/yaml');
    expect(String(kubeconfig.body)).toContain('kind: Config');
    expectProblem(await call('GET', `${HCS}/no-such-cluster/kubeconfig`), 404);
    expectProblem(await call('GET', `${BAD_NS}/hostedclusters/${HC}/kubeconfig`), 400, /^path\.namespace$/);

    expect((await call('POST', `${HCS}/${HC}:handover`, { body: { to: 'kubernetes' } })).status).toBe(200);
    expectProblem(await call('PATCH', `${HCS}/${HC}`, { body: { metadata: { labels: { team: 'b' } } }, contentType: 'application/merge-patch+json' }), 409);
    expectProblem(await call('POST', `${HCS}/no-such-cluster:handover`, { body: { to: 'rest' } }), 404);
    expect((await call('POST', `${HCS}/${HC}:handover`, { body: { to: 'rest' } })).status).toBe(200);
  });

  it('create, scale, read, patch and delete a NodePool on it, whose machines come from its MachineDeployment', async () => {
    expectProblem(await call('POST', NPS, { body: nodePoolManifest(NP, 'no-such-cluster') }), 422, /^spec\.clusterName$/);
    expectProblem(await call('POST', NPS, { body: nodePoolManifest(NP, HC, { platform: { type: 'AWS', aws: { instanceType: 'm6i.large' } } }) }), 422, /^spec\.platform\.type$/);
    expect((await call('POST', NPS, { body: nodePoolManifest(NP, HC, { replicas: 1 }) })).status).toBe(201);
    await poll(`${NPS}/${NP}`, poolAt(1));
    expect((await call('POST', `${NPS}/${NP}:handover`, { body: { to: 'kubernetes' } })).status).toBe(200);
    expectProblem(await call('POST', `${NPS}/no-such-pool:handover`, { body: { to: 'rest' } }), 404);
    expect((await call('POST', `${NPS}/${NP}:handover`, { body: { to: 'rest' } })).status).toBe(200);
    expect((await call('GET', NPS)).body).toMatchObject({ kind: 'NodePoolList' });
    expectProblem(await call('GET', `${BAD_NS}/nodepools`), 400, /^path\.namespace$/);
    expectProblem(await call('GET', `${NPS}/no-such-pool`), 404);

    expect((await call('GET', `${NPS}/${NP}/scale`)).body).toMatchObject({ kind: 'Scale', spec: { replicas: 1 }, status: { replicas: 1 } });
    expectProblem(await call('GET', `${NPS}/no-such-pool/scale`), 404);
    expect((await call('PATCH', `${NPS}/${NP}/scale`, { body: { spec: { replicas: 2 } }, contentType: 'application/merge-patch+json' })).body).toMatchObject({ spec: { replicas: 2 } });
    expectProblem(await call('PATCH', `${NPS}/${NP}/scale`, { body: { spec: { replicas: -1 } } }), 422, /^spec\.replicas$/);
    await poll(`${NPS}/${NP}`, poolAt(2));
    expect((await call('PUT', `${NPS}/${NP}/scale`, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: NP }, spec: { replicas: 1 } } })).body).toMatchObject({ spec: { replicas: 1 } });
    expectProblem(await call('PUT', `${NPS}/${NP}/scale`, { body: { metadata: { name: NP } } }), 422, /^spec\.replicas$/);
    await poll(`${NPS}/${NP}`, poolAt(1));

    // Its machines are its MachineDeployment's, which takes changes only through the NodePool.
    const machines = await call('GET', `${MDS}/${HC}-${NP}`);
    expect(machines.status).toBe(200);
    expect((await call('PATCH', `${MDS}/${HC}-${NP}`, { body: { spec: { replicas: 5 } } })).status).toBe(409);

    expect((await call('PATCH', `${NPS}/${NP}`, { body: { spec: { management: { autoRepair: true } } }, contentType: 'application/merge-patch+json' })).status).toBe(200);
    expectProblem(await call('PATCH', `${NPS}/${NP}`, { body: { spec: { clusterName: 'other' } } }), 422, /^spec\.clusterName$/);
    expectProblem(await call('PATCH', `${NPS}/no-such-pool`, { body: { metadata: { labels: {} } } }), 404);
    expect((await call('DELETE', `${NPS}/${NP}`)).status).toBe(202);
    expectProblem(await call('DELETE', `${NPS}/no-such-pool`), 404);
    await poll(`${NPS}/${NP}`, (answer) => answer.status === 404);
  });

  it('deletes the HostedCluster with the NodePools it still has, and then answers 404', async () => {
    expect((await call('POST', NPS, { body: nodePoolManifest(`${NP}-2`, HC, { replicas: 1 }) })).status).toBe(201);
    await poll(`${NPS}/${NP}-2`, poolAt(1));
    expect((await call('DELETE', `${HCS}/${HC}`)).status).toBe(202);
    expectProblem(await call('POST', NPS, { body: nodePoolManifest(`${NP}-3`, HC) }), 409, /^spec\.clusterName$/);
    expectProblem(await call('DELETE', `${HCS}/no-such-cluster`), 404);
    await poll(`${HCS}/${HC}`, (answer) => answer.status === 404);
    expectProblem(await call('GET', `${NPS}/${NP}-2`), 404);
    expectProblem(await call('GET', `${HCS}/${HC}/kubeconfig`), 404);
  });
});

describe('sweep routes', () => {
  const SWEEPS = `${NS}/sweeps`;
  const SCHEDULES = `${NS}/sweepschedules`;
  const schedule = `routes-sweeps-${Date.now().toString(36)}`;

  afterAll(async () => {
    // A schedule left behind would keep starting sweeps on the shared server.
    await stack.client.schedule.getHandle(`SweepSchedule/default/${schedule}`).delete().catch(() => undefined);
  });

  it('starts, lists and reads a dry-run sweep, and refuses a bad body naming the field', async () => {
    expect((await call('POST', SWEEPS, { body: { metadata: { name: 'routes-sweep' }, spec: { platform: 'simulated' } } })).status).toBe(201);
    expectProblem(await call('POST', SWEEPS, { body: { spec: { platform: 'mars' } } }), 422, /body\.spec\.platform/);
    expect((await call('GET', SWEEPS)).status).toBe(200);
    expectProblem(await call('GET', `${BAD_NS}/sweeps`), 400, /path\.namespace/);
    await poll(`${SWEEPS}/routes-sweep`, (answer) => answer.status === 200);
    expectProblem(await call('GET', `${SWEEPS}/no-such-sweep`), 404);
  });

  it('creates, lists, reads, pauses, unpauses and deletes a schedule, with 404 for one that does not exist', async () => {
    expect((await call('POST', SCHEDULES, { body: { metadata: { name: schedule }, spec: { platform: 'simulated', intervalSeconds: 3600, paused: true } } })).status).toBe(201);
    expectProblem(await call('POST', SCHEDULES, { body: { metadata: { name: schedule }, spec: { platform: 'simulated', intervalSeconds: 1 } } }), 422, /body\.spec\.intervalSeconds/);
    expect((await call('GET', SCHEDULES)).status).toBe(200);
    expectProblem(await call('GET', `${BAD_NS}/sweepschedules`), 400, /path\.namespace/);
    expect((await call('GET', `${SCHEDULES}/${schedule}`)).status).toBe(200);
    expectProblem(await call('GET', `${SCHEDULES}/no-such-schedule`), 404);
    expect((await call('POST', `${SCHEDULES}/${schedule}:unpause`)).status).toBe(200);
    expectProblem(await call('POST', `${SCHEDULES}/no-such-schedule:unpause`), 404);
    expect((await call('POST', `${SCHEDULES}/${schedule}:pause`)).status).toBe(200);
    expectProblem(await call('POST', `${SCHEDULES}/no-such-schedule:pause`), 404);
    expect((await call('DELETE', `${SCHEDULES}/${schedule}`)).status).toBe(200);
    expectProblem(await call('DELETE', `${SCHEDULES}/${schedule}`), 404);
  });
});

describe('operations routes', () => {
  it('answers health, readiness and metrics', async () => {
    expect((await call('GET', '/healthz', { token: false })).body).toEqual({ status: 'ok' });
    expect((await call('GET', '/readyz', { token: false })).body).toEqual({ status: 'ready' });
    expect(String((await call('GET', '/metrics')).body)).toContain('slipway_http_requests_total');
    expectProblem(await call('GET', '/metrics', { token: false }), 401);
  });
});

describe('the document', () => {
  it('was held against a success and a problem of every operation', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = [...(answered.get(operation.operationId ?? '') ?? [])];
        expect(statuses.some((status) => status < 300), `${method} ${path}: no success`).toBe(true);
        if (!['/healthz', '/readyz'].includes(path)) expect(statuses.some((status) => status >= 400), `${method} ${path}: no problem`).toBe(true);
      }
    }
  });
});
