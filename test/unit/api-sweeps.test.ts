/**
 * The sweep endpoints' HTTP edge, on the real API with real Temporal and Redis and no worker:
 * bad input answers problem+json naming each failing field, missing objects 404, and every
 * status is one /openapi.json documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareApi } from '../support/api';
import { documentedStatuses, documentOf, type OpenApiDocument } from '../support/openapi';

const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';

let api: Awaited<ReturnType<typeof startBareApi>>;
let document: OpenApiDocument;
beforeAll(async () => {
  api = await startBareApi();
  document = documentOf(api.app);
});
afterAll(async () => {
  for await (const schedule of api.peers.client.schedule.list()) {
    const handle = api.peers.client.schedule.getHandle(schedule.scheduleId);
    const description = await handle.describe().catch(() => undefined);
    if (description?.action.type === 'startWorkflow' && description.action.taskQueue === api.peers.taskQueue) await handle.delete().catch(() => undefined);
  }
  for await (const execution of api.peers.client.workflow.list({ query: `TaskQueue = '${api.peers.taskQueue}' AND ExecutionStatus = 'Running'` })) {
    await api.peers.client.workflow.getHandle(execution.workflowId).terminate('test over').catch(() => undefined);
  }
  await api?.close();
});

interface ProblemBody {
  readonly status: number;
  readonly errors?: readonly { path: string; message: string }[];
}

describe('sweep endpoints', () => {
  it.each([
    { name: 'an unknown platform', method: 'POST', url: `${NS}/sweeps`, body: { spec: { platform: 'mars' } }, status: 422, path: 'body.spec.platform' },
    { name: 'a negative grace period', method: 'POST', url: `${NS}/sweeps`, body: { spec: { platform: 'simulated', minAgeSeconds: -1 } }, status: 422, path: 'body.spec.minAgeSeconds' },
    { name: 'no spec', method: 'POST', url: `${NS}/sweeps`, body: {}, status: 422, path: 'body.spec' },
    { name: 'a field the spec does not have', method: 'POST', url: `${NS}/sweepschedules`, body: { metadata: { name: 'x' }, spec: { platform: 'aws', intervalSeconds: 60, cron: '* * * * *' } }, status: 422, path: 'body.spec.cron' },
    { name: 'an interval under 5 s', method: 'POST', url: `${NS}/sweepschedules`, body: { metadata: { name: 'x' }, spec: { platform: 'aws', intervalSeconds: 1 } }, status: 422, path: 'body.spec.intervalSeconds' },
    { name: 'a bad namespace', method: 'GET', url: '/apis/slipway.dev/v1alpha1/namespaces/Not_A_Label/sweeps', body: undefined, status: 400, path: 'path.namespace' },
  ])('answers $status naming $path for $name', async ({ method, url, body, status, path }) => {
    const answer = await api.request(method, url, body === undefined ? {} : { body });
    expect(answer.status).toBe(status);
    expect(answer.contentType).toContain('application/problem+json');
    expect((answer.body as ProblemBody).errors?.map((error) => error.path)).toContain(path);
    expect(documentedStatuses(document, method, url)).toContain(String(status));
  });

  it.each([
    ['GET', `${NS}/sweeps/no-such-sweep`],
    ['GET', `${NS}/sweepschedules/no-such-schedule`],
    ['DELETE', `${NS}/sweepschedules/no-such-schedule`],
    ['POST', `${NS}/sweepschedules/no-such-schedule:pause`],
  ])('%s %s answers a documented 404', async (method, url) => {
    const answer = await api.request(method, url);
    expect(answer.status).toBe(404);
    expect(documentedStatuses(document, method, url)).toContain('404');
  });

  it('starts a dry run by default, refuses the same name twice, and creates, pauses and deletes a schedule', async () => {
    const started = await api.request('POST', `${NS}/sweeps`, { body: { metadata: { name: 'once' }, spec: { platform: 'simulated' } } });
    expect(started.status).toBe(201);
    expect((started.body as { spec: { mode: string; minAgeSeconds: number; maxDeletions: number } }).spec).toMatchObject({ mode: 'dry-run', minAgeSeconds: 3600, maxDeletions: 100 });
    const again = await api.request('POST', `${NS}/sweeps`, { body: { metadata: { name: 'once' }, spec: { platform: 'simulated' } } });
    expect(again.status).toBe(409);

    const name = `edge-${Date.now().toString(36)}`;
    const created = await api.request('POST', `${NS}/sweepschedules`, { body: { metadata: { name }, spec: { platform: 'simulated', intervalSeconds: 3600, paused: true } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await api.request('POST', `${NS}/sweepschedules`, { body: { metadata: { name }, spec: { platform: 'simulated', intervalSeconds: 3600 } } })).status).toBe(409);
    const unpaused = await api.request('POST', `${NS}/sweepschedules/${name}:unpause`);
    expect((unpaused.body as { status: { paused: boolean } }).status.paused).toBe(false);
    const listed = await api.request('GET', `${NS}/sweepschedules`);
    expect((listed.body as { items: { metadata: { name: string } }[] }).items.map((item) => item.metadata.name)).toContain(name);
    expect((await api.request('DELETE', `${NS}/sweepschedules/${name}`)).status).toBe(200);
    expect((await api.request('GET', `${NS}/sweepschedules/${name}`)).status).toBe(404);
  });
});
