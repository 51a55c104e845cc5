/**
 * No secret leaves the worker (issue 12, item 3): plant secret values (a malformed credentials
 * Secret, a credential the cloud refuses, the valid key, a Redis password) and drive a real flow
 * through the REST API, a worker process and the simulated cloud: the cluster waits on the
 * malformed Secret, then on the refused one, then goes Ready with the valid one and is deleted.
 * Then every place a secret could end up is scanned for each planted value: the workflow
 * histories (payloads decoded), every API answer the test received, every key and value in
 * Redis, the CLI's `get -o yaml` and `describe`, and the worker's and the API's logs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api';
import { clusterObject } from '../support/clusters';
import { slipwayBin } from '../support/slipway-bin';
import { startTestStack, type TestStack } from '../support/stack';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const MALFORMED = 'planted-malformed-7c1e9a40d2';
const REFUSED = 'planted-refused-4b8d2f61c9';
const REDIS_PASSWORD = 'planted-redis-pw-5e3a9d07b1';
const NAME = 'leak';
const BASE = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';

let stack: TestStack;
let api: TestApi;
let worker: WorkerProcess | undefined;
const answers: unknown[] = [];

beforeAll(async () => {
  stack = await startTestStack({ inProcessWorker: false, simCloud: { bootMs: 100, deleteMs: 50 } });
  api = await startTestApi(stack);
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await stack?.stop();
});

async function writeSecret(content: string): Promise<void> {
  await mkdir(join(stack.home, 'secrets', 'default'), { recursive: true });
  await writeFile(join(stack.home, 'secrets', 'default', 'leak-creds.json'), content, { mode: 0o600 });
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await api.request(method, path, body === undefined ? {} : { body });
  answers.push(answer);
  return answer;
}

type Conditions = { type: string; status: string; message?: string }[];

async function waitForCondition(what: string, holds: (conditions: Conditions) => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const answer = await call('GET', `${BASE}/${NAME}`);
    last = answer.body;
    const conditions = ((answer.body as { status?: { conditions?: Conditions } }).status?.conditions ?? []) as Conditions;
    if (answer.status === 200 && holds(conditions)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}; last answer ${JSON.stringify(last)}; worker output:\n${worker?.output() ?? ''}`);
}

const credentialsWait = (conditions: Conditions) => conditions.some((condition) => condition.type === 'CredentialsReady' && condition.status === 'False');

/** A history as text with every payload's bytes decoded, so a secret inside a payload shows as itself. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      return Buffer.from((value as { data: number[] }).data).toString('utf8');
    }
    return value;
  });
}

async function redisText(): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await stack.redis.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      parts.push(key);
      const type = await stack.redis.type(key);
      if (type === 'string') parts.push((await stack.redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await stack.redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await stack.redis.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await stack.redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await stack.redis.zrange(key, 0, -1, 'WITHSCORES')));
      else if (type === 'stream') parts.push(JSON.stringify(await stack.redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

it('plants secrets, drives a cluster through a malformed, a refused and a valid credential and its deletion, and finds none of them anywhere', { timeout: 240_000 }, async () => {
  const validKey = stack.simCloud.apiKey ?? '';
  expect(validKey.length).toBeGreaterThan(8);
  const passwordFile = join(stack.home, 'redis-password');
  await writeFile(passwordFile, `${REDIS_PASSWORD}\n`, { mode: 0o600 });
  // The run's Redis has no password: Redis answers AUTH with an error ioredis only warns about, so the password is sent and used.
  worker = startWorkerProcess({ ...stack.workerEnv, REDIS_PASSWORD_FILE: passwordFile, SLIPWAY_LOG_LEVEL: 'debug' }, Number.POSITIVE_INFINITY);

  await writeSecret(`{"apiKey": "${MALFORMED}`);
  const object = clusterObject(NAME, { platform: { simulated: { region: 'local-1', credentialsSecretRef: { name: 'leak-creds' } } }, controlPlane: { replicas: 1 }, compute: [{ name: 'worker', replicas: 1 }] });
  expect((await call('POST', BASE, object)).status).toBe(201);
  await waitForCondition('the malformed Secret to be reported', (conditions) => credentialsWait(conditions) && conditions.some((condition) => /leak-creds/.test(condition.message ?? '')));

  await writeSecret(JSON.stringify({ apiKey: REFUSED }));
  await waitForCondition('the refused credential to be reported', (conditions) => credentialsWait(conditions) && conditions.some((condition) => /refused/.test(condition.message ?? '')));

  await writeSecret(JSON.stringify({ apiKey: validKey }));
  await waitForCondition('the cluster to be Ready', (conditions) => conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True'));
  await call('GET', BASE);

  const cli = slipwayBin(stack, api, stack.home);
  const cliOutputs = await Promise.all([cli(['get', 'cd', NAME, '-o', 'yaml']), cli(['get', 'cd', NAME, '-o', 'json']), cli(['describe', 'cd', NAME])]);
  for (const output of cliOutputs) expect(output.code).toBe(0);

  expect((await call('DELETE', `${BASE}/${NAME}`)).status).toBeLessThan(300);
  const deadline = Date.now() + 90_000;
  while ((await call('GET', `${BASE}/${NAME}`)).status !== 404) {
    if (Date.now() > deadline) throw new Error(`the cluster was not deleted; worker output:\n${worker.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const histories: string[] = [];
  for await (const execution of stack.client.workflow.list({ query: `TaskQueue = '${stack.taskQueue}'` })) {
    histories.push(historyText(await stack.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory()));
  }
  expect(histories.length).toBeGreaterThanOrEqual(2);
  // The scan can see a secret where there is one: the malformed Secret's message names the file, and histories carry the conditions.
  expect(histories.join('\n')).toMatch(/leak-creds/);

  const places: Record<string, string> = {
    'workflow histories': histories.join('\n'),
    'API answers': JSON.stringify(answers),
    Redis: await redisText(),
    'CLI output': cliOutputs.map((output) => output.stdout + output.stderr).join('\n'),
    'worker log': worker.output(),
    'API log': api.logs(),
  };
  for (const [place, text] of Object.entries(places)) expect(text.length, `${place} is empty, so the scan would prove nothing`).toBeGreaterThan(0);
  const found = Object.entries(places).flatMap(([place, text]) =>
    Object.entries({ MALFORMED, REFUSED, REDIS_PASSWORD, 'the valid key': validKey }).flatMap(([secret, value]) => (text.includes(value) ? [`${secret} in ${place}`] : [])),
  );
  expect(found).toEqual([]);
});
