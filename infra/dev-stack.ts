/**
 * `npm run dev`: the whole Slipway stack on this machine. A Temporal dev server (with its
 * UI, state in SLIPWAY_HOME), Redis, the simulated cloud, a worker and the REST API.
 * Ctrl-C stops everything; the next start picks every cluster up where it was.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { connectTemporal, createRedisClient, redisConnectionSettings, temporalConnectionSettings } from '../services/common/connections';
import { startSimulatedCloud, type RunningSimulatedCloud } from '../providers/simulated/launch';
import { homeFiles, loadConfig, type Endpoints } from '../services/common/config';
import { portIsFree, startProcess, waitFor, type Supervised } from './processes';
import { startSupervisor, type RunningSupervisor } from '../services/supervisor/launch';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;

const program = new Command()
  .name('npm run dev --')
  .description('Start Slipway locally: Temporal, Redis, the simulated cloud, a worker and the REST API.')
  .option('--home <dir>', 'state folder (env SLIPWAY_HOME)', env.SLIPWAY_HOME)
  .option('--api-port <port>', 'REST API port (env SLIPWAY_API_PORT)', env.SLIPWAY_API_PORT ?? '8080')
  .option('--temporal-port <port>', 'Temporal frontend port (env SLIPWAY_TEMPORAL_PORT)', env.SLIPWAY_TEMPORAL_PORT ?? '7233')
  .option('--temporal-ui-port <port>', 'Temporal web UI port (env SLIPWAY_TEMPORAL_UI_PORT)', env.SLIPWAY_TEMPORAL_UI_PORT ?? '8233')
  .option('--redis-port <port>', 'Redis port (env SLIPWAY_REDIS_PORT)', env.SLIPWAY_REDIS_PORT ?? '6390')
  .option('--simcloud-port <port>', 'simulated cloud port (env SLIPWAY_SIMCLOUD_PORT)', env.SLIPWAY_SIMCLOUD_PORT ?? '8090')
  .option('--supervisor-port <port>', 'port of the supervisor of local control planes (env SLIPWAY_SUPERVISOR_PORT)', env.SLIPWAY_SUPERVISOR_PORT ?? '8091')
  .option('--worker-metrics-port <port>', "worker's /metrics port (env SLIPWAY_WORKER_METRICS_PORT)", env.SLIPWAY_WORKER_METRICS_PORT ?? '9464')
  .option('--headless', 'no Temporal web UI', false)
  .option('--kubeconfig <file>', 'also run the Kubernetes controller against the cluster in this kubeconfig (env SLIPWAY_KUBECONFIG)', env.SLIPWAY_KUBECONFIG);
program.parse();
const flags = program.opts<{ home?: string; apiPort: string; temporalPort: string; temporalUiPort: string; redisPort: string; simcloudPort: string; supervisorPort: string; workerMetricsPort: string; headless: boolean; kubeconfig?: string }>();

const config = loadConfig({
  ...env,
  ...(flags.home ? { SLIPWAY_HOME: flags.home } : {}),
  SLIPWAY_API_PORT: flags.apiPort,
  SLIPWAY_TEMPORAL_PORT: flags.temporalPort,
  SLIPWAY_REDIS_PORT: flags.redisPort,
  SLIPWAY_SIMCLOUD_PORT: flags.simcloudPort,
});
const home = config.home;
const logs = join(home, 'logs');
const children: Supervised[] = [];
let simCloud: RunningSimulatedCloud | undefined;
let supervisor: RunningSupervisor | undefined;
let stopping = false;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function ensureSecretFile(path: string, make: () => string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const value = make();
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return value;
}

async function checkPorts(ports: [string, string, string][]): Promise<void> {
  for (const [port, flag, variable] of ports) {
    if (!(await portIsFree(Number(port)))) {
      throw new Error(`port ${port} on 127.0.0.1 is already in use. Another dev stack may be running; pick another port with ${flag} or ${variable} (and another SLIPWAY_HOME).`);
    }
  }
}

function redisBinary(): string {
  try {
    return execFileSync('bash', ['-c', `source "${join(ROOT, 'infra/tools.sh')}" && ensure_redis`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    throw new Error('redis-server is not installed and could not be installed. Install it (Debian: apt-get install redis-server), or set REDIS_URL to a running Redis.');
  }
}

/** The last lines a process wrote to its log, to say why it stopped without sending the reader to a file. */
function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function exitedEarly(): string | undefined {
  const dead = children.find((child) => child.child.exitCode !== null || child.child.signalCode !== null);
  if (!dead) return undefined;
  const tail = logTail(dead.logFile);
  return `${dead.name} exited during start-up; see ${dead.logFile}${tail ? `, which ends:\n${tail}` : ''}`;
}

async function stopAll(): Promise<void> {
  stopping = true;
  const byName = (name: string) => children.find((child) => child.name === name);
  for (const name of ['controller', 'api', 'worker']) await byName(name)?.stop();
  // The supervisor stops its control planes and keeps their state: the next start brings them back.
  await supervisor?.stop();
  await simCloud?.stop();
  for (const name of ['redis', 'temporal']) await byName(name)?.stop();
}

async function main(): Promise<void> {
  await mkdir(logs, { recursive: true });
  const token = await ensureSecretFile(homeFiles.token(home), () => randomBytes(32).toString('hex'));
  const simCredentials = homeFiles.simulatedCredentials(home);
  const simKey = (JSON.parse(await ensureSecretFile(simCredentials, () => JSON.stringify({ apiKey: randomBytes(24).toString('hex') }))) as { apiKey: string }).apiKey;

  const ports: [string, string, string][] = [
    [flags.apiPort, '--api-port', 'SLIPWAY_API_PORT'],
    [flags.simcloudPort, '--simcloud-port', 'SLIPWAY_SIMCLOUD_PORT'],
    [flags.workerMetricsPort, '--worker-metrics-port', 'SLIPWAY_WORKER_METRICS_PORT'],
  ];
  const hostedControlPlanes = Boolean(env.ETCD_BIN && env.KUBE_APISERVER_BIN);
  if (hostedControlPlanes) ports.push([flags.supervisorPort, '--supervisor-port', 'SLIPWAY_SUPERVISOR_PORT']);
  if (!env.TEMPORAL_ADDRESS) ports.push([flags.temporalPort, '--temporal-port', 'SLIPWAY_TEMPORAL_PORT']);
  if (!env.TEMPORAL_ADDRESS && !flags.headless) ports.push([flags.temporalUiPort, '--temporal-ui-port', 'SLIPWAY_TEMPORAL_UI_PORT']);
  if (!env.REDIS_URL) ports.push([flags.redisPort, '--redis-port', 'SLIPWAY_REDIS_PORT']);
  await checkPorts(ports);

  // Read before anything starts, so a setting that cannot be used stops the stack with its name.
  const temporalSettings = temporalConnectionSettings(config.temporalAddress, env);
  const redisSettings = redisConnectionSettings(config.redisUrl, env);
  if (!env.TEMPORAL_ADDRESS) {
    const cli = env.TEMPORAL_CLI;
    if (!cli) throw new Error('TEMPORAL_CLI is not set: start the stack with `npm run dev`, which installs the Temporal CLI, or set TEMPORAL_ADDRESS to a running server.');
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', flags.temporalPort, '--db-filename', homeFiles.temporalDb(home), '--namespace', 'default', '--log-level', 'warn'];
    args.push(...(flags.headless ? ['--headless'] : ['--ui-port', flags.temporalUiPort]));
    children.push(startProcess('temporal', cli, args, { env, logFile: join(logs, 'temporal.log') }));
  }
  await waitFor(
    `Temporal at ${config.temporalAddress}`,
    async () => {
      const connection = await connectTemporal(temporalSettings, (options) => Connection.connect({ ...options, connectTimeout: 1000 }));
      try {
        await new Client({ connection }).workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    },
    60_000,
    exitedEarly,
  );

  if (!env.REDIS_URL) {
    const args = ['--port', flags.redisPort, '--bind', '127.0.0.1', '--dir', home, '--save', '', '--appendonly', 'no'];
    children.push(startProcess('redis', redisBinary(), args, { env, logFile: join(logs, 'redis.log') }));
  }
  await waitFor(
    `Redis at ${redisSettings.display}`,
    async () => {
      const redis = createRedisClient(redisSettings, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        return (await redis.ping()) === 'PONG';
      } finally {
        redis.disconnect();
      }
    },
    30_000,
    exitedEarly,
  );

  simCloud = await startSimulatedCloud({
    statePath: homeFiles.simCloudDb(home),
    port: Number(flags.simcloudPort),
    apiKey: simKey,
    bootMs: Number(env.SLIPWAY_SIM_BOOT_MS ?? 3000),
    deleteMs: Number(env.SLIPWAY_SIM_DELETE_MS ?? 1500),
    ...(env.SLIPWAY_SIM_KUBELET_HEARTBEAT_MS ? { kubeletHeartbeatMs: Number(env.SLIPWAY_SIM_KUBELET_HEARTBEAT_MS) } : {}),
    logFile: join(logs, 'simcloud.log'),
  });

  // Hosted clusters' local control planes: etcd and kube-apiserver processes under the supervisor.
  const supervisorToken = hostedControlPlanes ? await ensureSecretFile(homeFiles.supervisorToken(home), () => randomBytes(32).toString('hex')) : undefined;
  if (supervisorToken) {
    supervisor = await startSupervisor({ home, token: supervisorToken, port: Number(flags.supervisorPort), logFile: join(logs, 'supervisor.log') });
  }

  const serviceEnv: NodeJS.ProcessEnv = {
    ...env,
    SLIPWAY_HOME: home,
    TEMPORAL_ADDRESS: config.temporalAddress,
    REDIS_URL: config.redisUrl,
    SLIPWAY_SIMCLOUD_URL: simCloud.url,
    SLIPWAY_SIMCLOUD_API_KEY: simKey,
    SLIPWAY_API_HOST: config.apiHost,
    SLIPWAY_API_PORT: flags.apiPort,
    SLIPWAY_WORKER_METRICS_PORT: flags.workerMetricsPort,
    SLIPWAY_API_TOKEN: token,
  };
  // With a management cluster, the worker reads secret references from its Secrets (then the file store).
  const workerEnv: NodeJS.ProcessEnv = {
    ...serviceEnv,
    ...(flags.kubeconfig ? { SLIPWAY_KUBECONFIG: resolve(flags.kubeconfig) } : {}),
    // Only the worker talks to the supervisor.
    ...(supervisor && supervisorToken ? { SLIPWAY_SUPERVISOR_URL: supervisor.url, SLIPWAY_SUPERVISOR_TOKEN: supervisorToken } : {}),
  };
  children.push(startProcess('worker', process.execPath, ['--import', 'tsx', join(ROOT, 'services/worker/main.ts')], { env: workerEnv, logFile: join(logs, 'worker.log'), cwd: ROOT }));
  children.push(startProcess('api', process.execPath, ['--import', 'tsx', join(ROOT, 'services/api/main.ts')], { env: serviceEnv, logFile: join(logs, 'api.log'), cwd: ROOT }));
  const apiUrl = `http://${config.apiHost}:${flags.apiPort}`;
  await waitFor('the REST API', async () => (await fetch(`${apiUrl}/healthz`)).ok, 60_000, exitedEarly);
  // The worker serves /metrics once its workflows are bundled and it is about to poll: until then a request would wait for it.
  await waitFor('the worker', async () => (await fetch(`http://${config.apiHost}:${flags.workerMetricsPort}/metrics`)).ok, 180_000, exitedEarly);
  const kubeconfig = flags.kubeconfig ? resolve(flags.kubeconfig) : undefined;
  if (kubeconfig) {
    if (!existsSync(kubeconfig)) throw new Error(`--kubeconfig ${kubeconfig} does not exist; point it (or SLIPWAY_KUBECONFIG) at the kubeconfig file of your management cluster.`);
    // The controller talks to Temporal and Redis only: it gets neither the API token nor the cloud's key.
    const { SLIPWAY_API_TOKEN: _apiToken, SLIPWAY_SIMCLOUD_API_KEY: _cloudKey, ...controllerBase } = serviceEnv;
    const controllerEnv = { ...controllerBase, SLIPWAY_KUBECONFIG: kubeconfig };
    children.push(startProcess('controller', process.execPath, ['--import', 'tsx', join(ROOT, 'services/controller/main.ts')], { env: controllerEnv, logFile: join(logs, 'controller.log'), cwd: ROOT }));
  }

  const endpoints: Endpoints = {
    api: apiUrl,
    temporal: config.temporalAddress,
    ...(env.TEMPORAL_ADDRESS || flags.headless ? {} : { temporalUI: `http://127.0.0.1:${flags.temporalUiPort}` }),
    // Never the password: endpoints.json is read by the CLI and shown by anyone who cats it.
    redis: redisSettings.display,
    simCloud: simCloud.url,
    ...(supervisor ? { supervisor: supervisor.url } : {}),
  };
  await writeFile(homeFiles.endpoints(home), `${JSON.stringify(endpoints, null, 2)}\n`);

  const watched = [...children.map((child) => ({ name: child.name, logFile: child.logFile, exited: child.exited })), ...(supervisor ? [{ name: 'supervisor', logFile: join(logs, 'supervisor.log'), exited: supervisor.exited }] : [])];
  for (const child of watched) {
    void child.exited.then(async (code) => {
      if (stopping) return;
      process.stderr.write(`\n${child.name} exited unexpectedly (code ${code}); its log is ${child.logFile}. Stopping the rest.\n`);
      await stopAll();
      process.exit(1);
    });
  }

  say('');
  say('Slipway dev stack is up.');
  say(`  REST API         ${apiUrl}   (docs: ${apiUrl}/docs)`);
  say(`  Temporal         ${config.temporalAddress}${endpoints.temporalUI ? `   (UI: ${endpoints.temporalUI})` : ''}`);
  say(`  Redis            ${redisSettings.display}`);
  say(`  simulated cloud  ${simCloud.url}`);
  say(`  worker metrics   http://127.0.0.1:${flags.workerMetricsPort}/metrics`);
  say(supervisor ? `  supervisor       ${supervisor.url}   (hosted control planes; state in ${join(home, 'control-planes')})` : '  supervisor       off: ETCD_BIN and KUBE_APISERVER_BIN are not set (npm run dev sets them), so hosted clusters get no local control plane');
  if (kubeconfig) say(`  controller       reconciling ClusterDeployments and MachineDeployments on the cluster in ${kubeconfig}`);
  say(`  API token        ${homeFiles.token(home)}`);
  say(`  logs             ${logs}`);
  say('');
  say('Try:');
  say('  npx slipway apply -f examples/cluster-deployment.yaml --watch');
  say(`  curl -H "Authorization: Bearer $(cat ${homeFiles.token(home)})" -H 'Content-Type: application/yaml' \\`);
  say(`       --data-binary @examples/cluster-deployment.yaml ${apiUrl}/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments`);
  say('');
  say('Ctrl-C stops everything; state stays in ' + home + '.');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say('\nstopping the dev stack...');
    void stopAll().then(() => process.exit(0));
  });
}

main().catch(async (error: unknown) => {
  process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
  await stopAll();
  process.exit(1);
});
