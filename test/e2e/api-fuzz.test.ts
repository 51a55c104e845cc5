/**
 * schemathesis (pinned in infra/tools.sh), an OpenAPI-driven fuzzer none of us wrote, against
 * the live API of a test stack that holds a ClusterDeployment and a MachineDeployment named as
 * the document's examples, so GET, PATCH and DELETE reach real objects: no server error, no
 * status code or content type the document does not list, no response that breaks its schema.
 * It once found entities that wedged (a MachineDeployment whose delete failed for want of
 * credentials); the entity runtime now turns every such failure into a condition.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WATCH_TIMINGS } from '../../services/api/watch';
import { startTestApi, type TestApi } from '../support/api';
import { startTestStack, type TestStack } from '../support/stack';

const NS = '/apis/slipway.dev/v1alpha1/namespaces/default';

let stack: TestStack;
let api: TestApi;
beforeAll(async () => {
  stack = await startTestStack({ simCloud: { bootMs: 50, deleteMs: 20 } });
  // schemathesis asks for watch=true too: each watch ends within a second, as requests must within its timeout.
  api = await startTestApi(stack, { watchTimings: { ...DEFAULT_WATCH_TIMINGS, maxSeconds: 1 } });
  const cluster = { apiVersion: 'slipway.dev/v1alpha1', kind: 'ClusterDeployment', metadata: { name: 'demo' }, spec: { clusterName: 'demo', baseDomain: 'example.test', platform: { simulated: { region: 'local-1' } }, controlPlane: { replicas: 1 }, compute: [] } };
  expect((await api.request('POST', `${NS}/clusterdeployments`, { body: cluster })).status).toBe(201);
  const machines = { apiVersion: 'slipway.dev/v1alpha1', kind: 'MachineDeployment', metadata: { name: 'demo' }, spec: { clusterName: 'demo', replicas: 1, template: { spec: { infrastructure: { instanceType: 'sim.small' } } } } };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const created = await api.request('POST', `${NS}/machinedeployments`, { body: machines });
    if (created.status === 201) break;
    // 409 cluster-not-ready until the cluster reports its infrastructure ID.
    if (created.status !== 409 || Date.now() > deadline) throw new Error(`could not create the MachineDeployment: ${JSON.stringify(created.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
afterAll(async () => {
  // Sweep schedules the fuzzer created would go on starting sweeps on the shared server.
  for await (const schedule of stack.client.schedule.list()) {
    const handle = stack.client.schedule.getHandle(schedule.scheduleId);
    const description = await handle.describe().catch(() => undefined);
    if (description?.action.type === 'startWorkflow' && description.action.taskQueue === stack.taskQueue) await handle.delete().catch(() => undefined);
  }
  await api?.close();
  await stack?.stop();
});

describe('schemathesis against the live API', () => {
  it('finds no server error, undocumented status or content type, or response off its schema', { timeout: 600_000 }, async () => {
    const binary = process.env.SCHEMATHESIS;
    if (!binary) throw new Error('SCHEMATHESIS is not set. Run the suite through `npm test` (infra/with-node.sh installs the pinned schemathesis).');
    const checks = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'negative_data_rejection'].join(',');
    const args = ['run', `${api.url}/openapi.json`, '--header', `Authorization: Bearer ${api.token}`, '--checks', checks, '--max-examples', '25', '--workers', '1', '--seed', '11', '--phases', 'examples,coverage,fuzzing', '--no-color'];
    // schemathesis keeps a cache of what it found in its working directory: not in the repository.
    const scratch = await mkdtemp(join(tmpdir(), 'slipway-schemathesis-'));
    const result = await promisify(execFile)(binary, args, { cwd: scratch, timeout: 540_000, maxBuffer: 32 * 1024 * 1024 })
      .then(
        ({ stdout }) => ({ code: 0, output: stdout }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
      )
      .finally(() => rm(scratch, { recursive: true, force: true }));
    // On failure, what the API logged about its own errors says where to look.
    const serverErrors = api.logs().split('\n').filter((line) => line.includes('"level":50'));
    expect(result.code, `${result.output}\n${serverErrors.join('\n')}`).toBe(0);
  });
});
