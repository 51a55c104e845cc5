/**
 * The README's path, for real: `npm run dev`'s stack in a subprocess, the example
 * 3 control-plane + 3 worker cluster created over REST until Ready, the stack restarted
 * on the same SLIPWAY_HOME (the cluster is still there, and so is a hosted control plane the
 * stack's supervisor runs), then deleted with nothing left in the simulated cloud, and Ctrl-C
 * leaving no process and no port behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { portIsFree } from '../../infra/processes';
import { freePort } from '../support/redis-server';
import { createSupervisorClient } from '../../services/supervisor/client';
import { controlPlaneFilesOf } from '../../services/worker/control-plane-activities';
import { controlPlaneKey } from '../../services/worker/hosted-names';
import { ensureHostedPkiSecrets, readHostedPki } from '../../services/worker/hosted-secrets';
import { fileSecretStore } from '../../services/worker/secrets';
import { availableReport } from '../support/supervisor';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASE = '/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments';

let home: string;
let ports: Record<'api' | 'temporal' | 'ui' | 'redis' | 'simcloud' | 'metrics' | 'supervisor', number>;
let stack: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;

function startDevStack(extraEnv: NodeJS.ProcessEnv = {}) {
  const args = ['--import', 'tsx', join(ROOT, 'infra/dev-stack.ts'), '--api-port', `${ports.api}`, '--temporal-port', `${ports.temporal}`, '--temporal-ui-port', `${ports.ui}`];
  args.push('--redis-port', `${ports.redis}`, '--simcloud-port', `${ports.simcloud}`, '--worker-metrics-port', `${ports.metrics}`, '--supervisor-port', `${ports.supervisor}`);
  const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_HOME: home, SLIPWAY_SIM_BOOT_MS: '200', SLIPWAY_SIM_DELETE_MS: '100', SLIPWAY_LOG_LEVEL: 'warn' };
  delete env.TEMPORAL_ADDRESS;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; dev stack output:\n${stack?.output() ?? ''}`);
    if (stack && stack.child.exitCode !== null) throw new Error(`the dev stack exited while waiting for ${what}:\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function api(method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const token = (await readFile(join(home, 'token'), 'utf8')).trim();
  const response = await fetch(`http://127.0.0.1:${ports.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/yaml' } : {}) },
    ...(body ? { body } : {}),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The stack prints its summary last, once every part answers. */
async function stackIsUp(): Promise<boolean> {
  return (stack?.output() ?? '').includes('Slipway dev stack is up.');
}

async function stopDevStack(): Promise<number | null> {
  if (!stack) return null;
  stack.child.kill('SIGINT');
  const code = await stack.exited;
  stack = undefined;
  return code;
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'slipway-devstack-'));
  ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), redis: await freePort(), simcloud: await freePort(), metrics: await freePort(), supervisor: await freePort() };
});
afterAll(async () => {
  await stopDevStack();
  await rm(home, { recursive: true, force: true });
});

type Cluster = { status?: { infraID?: string; conditions?: { type: string; status: string }[] } };
const isReady = (cluster: Cluster) => cluster.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;

it('runs the README path: up, create the example cluster, restart, delete, Ctrl-C', { timeout: 300_000 }, async () => {
  stack = startDevStack();
  await until('the stack to be up', () => stackIsUp(), Boolean);
  const endpoints = JSON.parse(await readFile(join(home, 'endpoints.json'), 'utf8')) as { api: string; simCloud: string };
  expect(endpoints.api).toBe(`http://127.0.0.1:${ports.api}`);
  const token = (await readFile(join(home, 'token'), 'utf8')).trim();
  expect((await stat(join(home, 'token'))).mode & 0o777).toBe(0o600);
  expect(stack.output()).toContain('npx slipway apply -f examples/cluster-deployment.yaml');
  expect(stack.output()).not.toContain(token);

  const example = await readFile(join(ROOT, 'examples/cluster-deployment.yaml'), 'utf8');
  expect((await api('POST', BASE, example)).status).toBe(201);
  const ready = await until('the example cluster to be Ready', async () => (await api('GET', `${BASE}/demo`)).json as Cluster, isReady);
  const infraId = ready.status?.infraID ?? '';
  // A hosted control plane under the stack's supervisor, as the worker's activities start one.
  const supervisor = async () => createSupervisorClient({ url: `http://127.0.0.1:${ports.supervisor}`, token: (await readFile(join(home, 'supervisor-token'), 'utf8')).trim() });
  expect((JSON.parse(await readFile(join(home, 'endpoints.json'), 'utf8')) as { supervisor?: string }).supervisor).toBe(`http://127.0.0.1:${ports.supervisor}`);
  const hosted = { namespace: 'default', name: 'dev-hosted', uid: 'dev-stack-hosted-uid' };
  await ensureHostedPkiSecrets(fileSecretStore(join(home, 'secrets')), hosted);
  const files = controlPlaneFilesOf(await readHostedPki(fileSecretStore(join(home, 'secrets')), hosted));
  await (await supervisor()).ensure(controlPlaneKey(hosted), { kubernetesVersion: '1.34.2', files });
  const hostedBefore = await availableReport(await supervisor(), controlPlaneKey(hosted));
  expect(hostedBefore?.kubeAPIServer.available, hostedBefore?.kubeAPIServer.message).toBe(true);

  expect(await stopDevStack()).toBe(0);
  for (const port of [...Object.values(ports), ...Object.values(hostedBefore!.ports)]) expect(await portIsFree(port)).toBe(true);

  stack = startDevStack();
  await until('the stack to be up after a restart', () => stackIsUp(), Boolean);
  const again = (await api('GET', `${BASE}/demo`)).json as Cluster;
  expect(isReady(again)).toBe(true);
  expect(again.status?.infraID).toBe(infraId);
  // The supervisor started the recorded control plane again, on the same ports.
  const hostedAfter = await availableReport(await supervisor(), controlPlaneKey(hosted));
  expect(hostedAfter?.kubeAPIServer.available, hostedAfter?.kubeAPIServer.message).toBe(true);
  expect(hostedAfter?.ports).toEqual(hostedBefore?.ports);
  await (await supervisor()).remove(controlPlaneKey(hosted));
  const listed = await until('the list projection', async () => (await api('GET', BASE)).json as { items: { metadata: { name: string } }[] }, (list) => list.items.length === 1);
  expect(listed.items[0]?.metadata.name).toBe('demo');

  expect((await api('DELETE', `${BASE}/demo`)).status).toBe(202);
  await until('the cluster to be gone', async () => (await api('GET', `${BASE}/demo`)).status, (status) => status === 404);
  const simKey = (JSON.parse(await readFile(join(home, 'secrets/slipway-system/simulated-credentials.json'), 'utf8')) as { apiKey: string }).apiKey;
  const leftovers = await fetch(`${endpoints.simCloud}/admin/resources?tag=${encodeURIComponent(`slipway.dev/cluster=${infraId}`)}`, { headers: { authorization: `Bearer ${simKey}` } });
  expect(((await leftovers.json()) as { items: unknown[] }).items).toEqual([]);

  expect(await stopDevStack()).toBe(0);
  for (const port of Object.values(ports)) expect(await portIsFree(port)).toBe(true);
});

it('prints no Redis password and writes none to endpoints.json or its logs, when REDIS_URL holds one', { timeout: 180_000 }, async () => {
  const password = 'dev-stack-redis-pw-9d4c2b7e';
  const redisPort = await freePort();
  const redis = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    const running = startDevStack({ REDIS_URL: `redis://:${password}@127.0.0.1:${redisPort}` });
    stack = running;
    await until('the stack to be up on a Redis with a password', () => stackIsUp(), Boolean);
    expect(running.output()).toContain(`redis://:***@127.0.0.1:${redisPort}`);
    const endpointsFile = await readFile(join(home, 'endpoints.json'), 'utf8');
    expect((JSON.parse(endpointsFile) as { redis: string }).redis).toBe(`redis://:***@127.0.0.1:${redisPort}`);
    expect(await stopDevStack()).toBe(0);
    const logs = await Promise.all((await readdir(join(home, 'logs'))).map((file) => readFile(join(home, 'logs', file), 'utf8')));
    expect(logs.length).toBeGreaterThan(0);
    for (const text of [running.output(), endpointsFile, ...logs]) expect(text).not.toContain(password);
  } finally {
    await stopDevStack();
    redis.kill('SIGTERM');
  }
});
