import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api';
import { startTestStack, type TestStack } from '../support/stack';
import { PROVOKES_TASK_FAILURE } from '../support/task-failures';

const BASE = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';

let stack: TestStack;
let api: TestApi;
beforeAll(async () => {
  stack = await startTestStack({ simCloud: { bootMs: 100, deleteMs: 50 } });
  api = await startTestApi(stack, { env: { SLIPWAY_API_READ_TIMEOUT_SECONDS: '5' } });
});
afterAll(async () => {
  await api?.close();
  await stack?.stop();
});

const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'slipway.dev/v1alpha1',
  kind: 'ClusterDeployment',
  metadata: { name, labels: { team: 'blue' } },
  spec: { clusterName: name, baseDomain: 'example.test', platform: { simulated: { region: 'local-1' } }, controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }], ...extra },
});

type Obj = { metadata: { name: string; resourceVersion?: string; generation?: number }; status?: { conditions?: { type: string; status: string }[]; workerPools?: { readyReplicas: number }[] } };
const ready = (object: Obj) => object.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

async function pollGet(name: string, accept: (response: { status: number; body: unknown }) => boolean): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await api.request('GET', `${BASE}/${name}`);
    if (accept(response) || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function expectProblem(response: { status: number; contentType: string; body: unknown }, status: number, path?: RegExp) {
  expect(response.status).toBe(status);
  expect(response.contentType).toContain('application/problem+json');
  const problem = response.body as { type: string; title: string; status: number; detail: string; errors?: { path: string; message: string }[] };
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  if (path) expect(problem.errors?.map((error) => error.path).join(' ')).toMatch(path);
  return problem;
}

describe('ClusterDeployment over REST', () => {
  it('creates, reads its own write, lists, watches to Ready, scales, and deletes', async () => {
    const created = await api.request('POST', BASE, { body: manifest('rest-one') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ metadata: { name: 'rest-one', namespace: 'default', generation: 1, uid: expect.any(String) } });

    const got = await api.request('GET', `${BASE}/rest-one`);
    expect(got.status).toBe(200);

    // Watch from the beginning of the change stream until the cluster is Ready.
    const controller = new AbortController();
    const stream = await fetch(new URL(`${BASE}?watch=1&resourceVersion=0`, api.url), { headers: { authorization: `Bearer ${api.token}` }, signal: controller.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    const events: { type: string; id: string; object: Obj }[] = [];
    while (!events.some((event) => event.object.metadata.name === 'rest-one' && ready(event.object))) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      const blocks = buffered.split('\n\n');
      buffered = blocks.pop() ?? '';
      for (const block of blocks) {
        const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        const data = field('data');
        if (data) events.push({ type: field('event') ?? '', id: field('id') ?? '', object: JSON.parse(data) as Obj });
      }
    }
    controller.abort();
    expect(events[0]?.type).toBe('ADDED');
    expect(events.at(-1)?.type).toBe('MODIFIED');
    expect(events.every((event) => event.id === event.object.metadata.resourceVersion)).toBe(true);

    const list = await api.request('GET', `${BASE}?labelSelector=team%3Dblue`);
    expect((list.body as { items: Obj[] }).items.map((item) => item.metadata.name)).toContain('rest-one');
    const none = await api.request('GET', `${BASE}?labelSelector=team%20notin%20(blue)`);
    expect((none.body as { items: Obj[] }).items.map((item) => item.metadata.name)).not.toContain('rest-one');

    const patched = await api.request('PATCH', `${BASE}/rest-one`, { body: { spec: { compute: [{ name: 'worker', replicas: 2 }] } }, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    expect((patched.body as Obj).metadata.generation).toBe(2);
    const scaled = await pollGet('rest-one', (response) => ready(response.body as Obj) && (response.body as Obj).status?.workerPools?.[0]?.readyReplicas === 2);
    // GET carries the projection's resourceVersion of the object, so a client can order it against watch events.
    expect((scaled.body as Obj).metadata.resourceVersion).toMatch(/^\d+-\d+$/);

    const deleting = await api.request('DELETE', `${BASE}/rest-one`);
    expect(deleting.status).toBe(202);
    const gone = await pollGet('rest-one', (response) => response.status === 404);
    expectProblem({ ...gone, contentType: 'application/problem+json' }, 404);
    const after = await api.request('GET', BASE);
    expect((after.body as { items: Obj[] }).items.map((item) => item.metadata.name)).not.toContain('rest-one');
  });

  it('accepts YAML and upstream Hive manifests', async () => {
    const yaml = [
      'apiVersion: hive.openshift.io/v1',
      'kind: ClusterDeployment',
      'metadata:',
      '  name: hive-one',
      'spec:',
      '  clusterName: hive-one',
      '  baseDomain: example.test',
      '  platform:',
      '    aws:',
      '      region: us-east-1',
    ].join('\n');
    const created = await api.request('POST', BASE, { raw: yaml, contentType: 'application/yaml' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'slipway.dev/v1alpha1', spec: { platform: { aws: { region: 'us-east-1' } } } });
    expect((await api.request('DELETE', `${BASE}/hive-one`)).status).toBe(202);
  });

  it('answers a duplicate name with 409, an idempotent retry with the first answer, and a reused key with 422', async () => {
    const first = await api.request('POST', BASE, { body: manifest('rest-two'), headers: { 'idempotency-key': 'key-1' } });
    expect(first.status).toBe(201);
    const retried = await api.request('POST', BASE, { body: manifest('rest-two'), headers: { 'idempotency-key': 'key-1' } });
    expect(retried.status).toBe(201);
    expect(retried.body).toEqual(first.body);
    expectProblem(await api.request('POST', BASE, { body: manifest('rest-two') }), 409);
    expectProblem(await api.request('POST', BASE, { body: manifest('rest-three'), headers: { 'idempotency-key': 'key-1' } }), 422, /idempotency-key/);
    await pollGet('rest-two', (response) => ready(response.body as Obj));
    expectProblem(await api.request('PATCH', `${BASE}/rest-two`, { body: { spec: { baseDomain: 'other.test', compute: [{ name: 'worker', replicas: -1 }] } } }), 422, /spec\.baseDomain.*spec\.compute\[0\]\.replicas|spec\.compute\[0\]\.replicas.*spec\.baseDomain/);
    expect((await api.request('PATCH', `${BASE}/rest-two`, { body: { metadata: { annotations: { 'slipway.dev/protected-delete': 'true' } } } })).status).toBe(200);
    expectProblem(await api.request('DELETE', `${BASE}/rest-two`), 409);
    await api.request('PATCH', `${BASE}/rest-two`, { body: { metadata: { annotations: { 'slipway.dev/protected-delete': null } } } });
    expect((await api.request('DELETE', `${BASE}/rest-two`)).status).toBe(202);
  });
});

describe('GET of one object', () => {
  it('answers from the projection only when its copy holds every write the API acknowledged', async () => {
    const created = await api.request('POST', BASE, { body: manifest('read-path') });
    expect(created.status).toBe(201);
    await pollGet('read-path', (response) => ready(response.body as Obj));
    const key = `${stack.redisPrefix}:obj:ClusterDeployment:default/read-path`;
    const labelsOf = (response: { body: unknown }) => (response.body as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {};
    // A copy in the projection that the workflow does not hold, numbered beyond anything the entity publishes.
    const plant = async (label: string, sequence: string) => {
      const stored = JSON.parse((await stack.redis.hget(key, 'object')) ?? '{}') as { metadata: { labels?: Record<string, string> } };
      stored.metadata.labels = { ...stored.metadata.labels, copy: label };
      await stack.redis.hset(key, 'object', JSON.stringify(stored), 'seq', sequence);
    };

    await plant('planted', '9000000000000000');
    expect(labelsOf(await api.request('GET', `${BASE}/read-path`))).toMatchObject({ copy: 'planted' });

    // A PATCH records its floor before it answers: a copy numbered below it is not served.
    const patched = await api.request('PATCH', `${BASE}/read-path`, { body: { metadata: { labels: { note: 'one' } } }, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    const floor = Number(await stack.redis.hget(key, 'floor'));
    expect(floor).toBeGreaterThan(0);
    await plant('stale', String(floor - 1));
    const afterPatch = await api.request('GET', `${BASE}/read-path`);
    expect(afterPatch.status).toBe(200);
    expect(labelsOf(afterPatch)).toMatchObject({ note: 'one' });
    expect(labelsOf(afterPatch).copy).toBeUndefined();
    expect((afterPatch.body as Obj).metadata.resourceVersion).toMatch(/^\d+-\d+$/);

    // The same copy numbered at the floor counts as holding the write.
    await plant('current', String(floor));
    expect(labelsOf(await api.request('GET', `${BASE}/read-path`))).toMatchObject({ copy: 'current' });

    expect((await api.request('DELETE', `${BASE}/read-path`)).status).toBe(202);
    expect((await pollGet('read-path', (response) => response.status === 404)).status).toBe(404);
  });
});

describe('bad requests', () => {
  it('refuses a missing or wrong token with 401, and never logs a token', async () => {
    expectProblem(await api.request('GET', BASE, { token: null }), 401);
    expectProblem(await api.request('GET', BASE, { token: 'wrong' }), 401);
    expect((await api.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect(api.logs()).not.toContain(api.token);
    expect(api.logs()).not.toContain('Bearer');
  });

  it.each([
    ['wrong types', { body: manifest('typed', { controlPlane: { replicas: 'three' } }) }, 422, /spec\.controlPlane\.replicas/],
    ['unknown fields', { body: manifest('extra', { colour: 'red' }) }, 422, /spec\.colour/],
    ['a missing name', { body: { ...manifest('x'), metadata: {} } }, 422, /metadata\.name/],
    ['a bad name', { body: manifest('Not_A_Name') }, 422, /metadata\.name/],
    ['a huge body', { raw: JSON.stringify({ ...manifest('huge'), padding: 'x'.repeat(2 * 1024 * 1024) }) }, 413, /\(root\)/],
    ['broken JSON', { raw: '{"apiVersion": ' }, 400, /\(root\)/],
    ['broken YAML', { raw: 'kind: [unclosed', contentType: 'application/yaml' }, 400, /./],
    ['an array body', { body: [1, 2] }, 400, /\(root\)/],
    ['an unsupported content type', { raw: '<cluster/>', contentType: 'application/xml' }, 415, /content-type/],
    ['a kind from another collection', { body: { ...manifest('md'), kind: 'MachineDeployment' } }, 422, /./],
    ['a namespace that disagrees with the path', { body: { ...manifest('ns'), metadata: { name: 'ns', namespace: 'other' } } }, 422, /metadata\.namespace/],
  ])('answers %s with a 4xx problem naming the field', async (_what, options, status, path) => {
    expectProblem(await api.request('POST', BASE, options), status, path);
  });

  it('answers bad queries, unknown routes and missing objects with problems, never a 500', async () => {
    expectProblem(await api.request('GET', `${BASE}?labelSelector=%3D%3D%3D`), 400, /labelSelector/);
    expectProblem(await api.request('GET', `${BASE}?limit=zero`), 400, /limit/);
    expectProblem(await api.request('GET', `${BASE}?watch=1&resourceVersion=abc`), 400, /resourceVersion/);
    expectProblem(await api.request('GET', '/apis/slipway.dev/v1alpha1/namespaces/BAD_NS/clusterdeployments'), 400, /namespace/);
    expectProblem(await api.request('GET', '/nowhere'), 404);
    expectProblem(await api.request('GET', `${BASE}/does-not-exist`), 404);
    expectProblem(await api.request('PATCH', `${BASE}/does-not-exist`, { body: { spec: {} } }), 404);
    expectProblem(await api.request('PATCH', `${BASE}/whatever`, { body: { status: {} } }), 422, /status/);
    expectProblem(await api.request('DELETE', `${BASE}/does-not-exist`), 404);
  });
});

describe('an object whose workflow is failing', () => {
  it('answers 503 with a problem, not 500', async () => {
    // A start input the workflow cannot read fails its every task, as a bug in a workflow would; Queries then time out or are refused.
    const handle = await stack.client.workflow.start('clusterDeploymentWorkflow', {
      workflowId: 'ClusterDeployment/default/wedged',
      taskQueue: stack.taskQueue,
      args: [{}],
      memo: { [PROVOKES_TASK_FAILURE]: true },
    });
    const deadline = Date.now() + 30_000;
    const taskFailed = async () => ((await handle.fetchHistory()).events ?? []).some((event) => event.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    while (!(await taskFailed()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await api.request('GET', `${BASE}/wedged`);
    expect(response.status, `the API's log:\n${api.logs()}`).toBe(503);
    expectProblem(response, 503);
    // Creating a MachineDeployment reads its cluster within the same read deadline (5 s here). Without
    // it, the answer waited for the server to give up on the Query (about 25 s), past this request's abort.
    const machineDeployment = { apiVersion: 'slipway.dev/v1alpha1', kind: 'MachineDeployment', metadata: { name: 'joins-wedged' }, spec: { clusterName: 'wedged', replicas: 1, template: { spec: { infrastructure: { instanceType: 'm6i.large' } } } } };
    const create = await api.request('POST', '/apis/slipway.dev/v1alpha1/namespaces/default/machinedeployments', { body: machineDeployment, abortAfterMs: 18_000 });
    expect(create.status, `the API's log:\n${api.logs()}`).toBe(503);
    expectProblem(create, 503);
    await handle.terminate('test over');
  });
});

describe('operations endpoints', () => {
  it('serves the OpenAPI document, health, readiness and metrics', async () => {
    const openapi = await api.request('GET', '/openapi.json');
    expect(openapi.status).toBe(200);
    const document = openapi.body as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toContain('/apis/slipway.dev/v1alpha1/namespaces/{namespace}/clusterdeployments/{name}');
    expect(document.components.schemas).toHaveProperty('ClusterDeployment');
    expect((await api.request('GET', '/readyz', { token: null })).status).toBe(200);
    const metrics = await api.request('GET', '/metrics');
    expect(String(metrics.body)).toContain('slipway_http_requests_total');
    expect(String(metrics.body)).toContain('slipway_workflows_started_total{kind="ClusterDeployment"}');
    expect((await api.request('GET', '/docs', { headers: { accept: 'text/html' } })).status).toBeLessThan(400);
  });

  it('rebuilds the list projection from Temporal visibility when Redis loses it', async () => {
    expect((await api.request('POST', BASE, { body: manifest('rebuilt') })).status).toBe(201);
    await pollGet('rebuilt', (response) => ready(response.body as Obj));
    // Visibility takes in a memo after the workflow task that wrote it; on a busy machine that can
    // trail the Query by seconds. What is rebuilt is what visibility holds, so wait until it holds Ready.
    const handle = stack.client.workflow.getHandle('ClusterDeployment/default/rebuilt');
    for (let tries = 0; !ready(((await handle.describe()).memo?.object ?? {}) as Obj); tries += 1) {
      expect(tries, 'visibility never showed the Ready memo').toBeLessThan(300);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const keys = await stack.redis.keys(`${stack.redisPrefix}:*`);
    await stack.redis.del(...keys);
    // The next list notices the projection is gone and rebuilds it from visibility.
    const names = ((await api.request('GET', BASE)).body as { items: Obj[] }).items.map((item) => item.metadata.name);
    expect(names).toContain('rebuilt');
    const rebuilt = ((await api.request('GET', `${BASE}?labelSelector=team%3Dblue`)).body as { items: Obj[] }).items.find((item) => item.metadata.name === 'rebuilt');
    expect(ready(rebuilt as Obj)).toBe(true);
    // The rebuilt copy came from a memo; the entity, asked to, publishes its own copy, and GET reads the projection again.
    const key = `${stack.redisPrefix}:obj:ClusterDeployment:default/rebuilt`;
    for (let tries = 0; (await stack.redis.hget(key, 'seq')) === null; tries += 1) {
      expect(tries, 'the entity never published its own copy after the rebuild').toBeLessThan(300);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await handle.fetchHistory()).events?.some((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'republish')).toBe(true);
    expect((await api.request('DELETE', `${BASE}/rebuilt`)).status).toBe(202);
  });
});
