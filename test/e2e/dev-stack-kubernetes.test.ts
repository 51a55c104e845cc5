/**
 * The README's Kubernetes path, for real: `SLIPWAY_KUBECONFIG=FILE npm run dev`'s stack in a
 * subprocess against a real kube-apiserver; the example ClusterDeployment applied as a custom
 * resource reaches Ready and REST shows the same cluster; deleting the CR deletes it in Slipway
 * too; Ctrl-C stops the controller with the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isPlainObject, type JsonObject } from '../../crds/json';
import { writeKubeconfig } from '../support/controller-process';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-apiserver';
import { freePort } from '../support/redis-server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLUSTER_DEPLOYMENTS = { group: 'slipway.dev', version: 'v1alpha1', plural: 'clusterdeployments', namespace: 'default' } as const;

let home: string;
let server: KubeApiServer;
let stack: { child: ChildProcess; output: () => string; exited: Promise<number | null>; apiUrl: string } | undefined;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'slipway-devstack-kube-'));
  server = await startKubeApiServer();
});

afterAll(async () => {
  if (stack) {
    stack.child.kill('SIGINT');
    await stack.exited;
  }
  await server?.stop();
  await rm(home, { recursive: true, force: true });
});

async function startDevStack(kubeconfig: string): Promise<NonNullable<typeof stack>> {
  const ports = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const args = ['--import', 'tsx', join(ROOT, 'infra/dev-stack.ts'), '--headless', '--api-port', `${ports[0]}`, '--temporal-port', `${ports[1]}`, '--redis-port', `${ports[2]}`];
  args.push('--simcloud-port', `${ports[3]}`, '--worker-metrics-port', `${ports[4]}`);
  const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_HOME: home, SLIPWAY_KUBECONFIG: kubeconfig, SLIPWAY_SIM_BOOT_MS: '200', SLIPWAY_SIM_DELETE_MS: '100', SLIPWAY_LOG_LEVEL: 'warn' };
  delete env.TEMPORAL_ADDRESS;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited, apiUrl: `http://127.0.0.1:${ports[0]}` };
}

async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    const controllerLog = await readFile(join(home, 'logs', 'controller.log'), 'utf8').catch(() => '');
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; dev stack output:\n${stack?.output() ?? ''}\ncontroller log:\n${controllerLog}`);
    if (stack && stack.child.exitCode !== null) throw new Error(`the dev stack exited while waiting for ${what}:\n${stack.output()}\ncontroller log:\n${controllerLog}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function object(value: unknown): JsonObject {
  if (!isPlainObject(value)) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return value;
}

it('runs the controller with SLIPWAY_KUBECONFIG: the example CR reaches Ready (REST sees the same cluster), and deleting the CR deletes it in Slipway too', async () => {
  stack = await startDevStack(await writeKubeconfig(server.kubeConfig, home));
  await until('the dev stack', async () => (stack?.output().includes('Slipway dev stack is up.') ? true : undefined));
  expect(stack.output()).toContain('controller       reconciling ClusterDeployments');

  const api = server.kubeConfig.makeApiClient(CustomObjectsApi);
  const example = object(parse(await readFile(join(ROOT, 'examples/cluster-deployment.yaml'), 'utf8')));
  await until('the CRDs the controller installs', async () => object(await api.createNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, body: example })));
  const ready = await until('demo to be Ready', async () => {
    const resource = object(await api.getNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'demo' }));
    const conditions = isPlainObject(resource.status) && Array.isArray(resource.status.conditions) ? resource.status.conditions.filter(isPlainObject) : [];
    return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True') ? resource : undefined;
  });
  expect(object(ready.status).infraID).toMatch(/^demo-/);
  const token = (await readFile(join(home, 'token'), 'utf8')).trim();
  const rest = (path: string) => fetch(`${stack?.apiUrl}/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments/${path}`, { headers: { authorization: `Bearer ${token}` } });
  const viaRest = object(await (await rest('demo')).json());
  expect(object(viaRest.status).infraID).toBe(object(ready.status).infraID);

  await api.deleteNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'demo' });
  await until('demo to be gone', async () => {
    try {
      await api.getNamespacedCustomObject({ ...CLUSTER_DEPLOYMENTS, name: 'demo' });
      return undefined;
    } catch (error) {
      return error instanceof Error && 'code' in error && error.code === 404 ? true : undefined;
    }
  });

  expect((await rest('demo')).status).toBe(404);

  stack.child.kill('SIGINT');
  expect(await stack.exited).toBe(0);
  stack = undefined;
}, 300_000);
