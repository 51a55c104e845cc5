/**
 * The whole-stack half of bench:hosted: `npm run dev`'s stack (infra/dev-stack.ts: Temporal dev
 * server, Redis, the simulated cloud, the supervisor, a worker and the REST API) as one child
 * process on a home folder and ports of its own, and a hosted cluster taken through it over REST
 * as a user would: POST a HostedCluster until Available, POST a NodePool of it until Ready, then
 * DELETE the cluster until it is gone (404) and its etcd and kube-apiserver have exited.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitFor } from '../infra/processes';
import { homeFiles } from '../services/common/config';
import { ApiClient } from '../services/cli/api-client';
import { resolveApiTarget } from '../services/cli/target';
import { waitForObject } from '../services/cli/waiting';
import { createSupervisorClient, type SupervisorClient } from '../services/supervisor/client';
import { controlPlaneKey } from '../services/worker/hosted-names';
import { eventually } from '../test/support/async-checks';
import { LOCAL_RELEASE, hostedClusterManifest, nodePoolManifest } from '../test/support/hosted-clusters';
import { processExists } from '../test/support/supervisor';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACE = 'default';
const STACK_STARTUP_MS = 180_000;
/** Each step's limit: a first kube-apiserver start on a busy two-core machine can take a minute or more. */
const STEP_LIMIT_MS = 300_000;
const STACK_STOP_GRACE_MS = 60_000;
/** The GET backstop beside the watch stream: a missed event may cost a figure no more than this. */
const BACKSTOP_POLL_MS = 250;

export interface SimulatedCloudLatencies {
  readonly bootMs: number;
  readonly deleteMs: number;
  readonly kubeletHeartbeatMs: number;
}

export interface BenchDevStack {
  readonly api: ApiClient;
  readonly supervisor: SupervisorClient;
  readonly home: string;
  /** Stops the stack and removes its home folder, unless asked to keep it (with every part's log) to see why a run failed. */
  stop(options?: { readonly keepHome?: boolean }): Promise<void>;
}

/** Starts the dev stack with its etcds unsynced (as the bare run's), and waits until it says it is up (it writes endpoints.json last). */
export async function startBenchDevStack(cloud: SimulatedCloudLatencies): Promise<BenchDevStack> {
  const home = await mkdtemp(join(tmpdir(), 'slipway-bench-hosted-stack-'));
  const supervisorPort = await freePort();
  const ports = ['--api-port', await freePort(), '--temporal-port', await freePort(), '--redis-port', await freePort(), '--simcloud-port', await freePort(), '--supervisor-port', supervisorPort, '--worker-metrics-port', await freePort()];
  // The stack starts its own Temporal and Redis only when none is named.
  const { TEMPORAL_ADDRESS: _temporalAddress, REDIS_URL: _redisUrl, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    SLIPWAY_HOME: home,
    SLIPWAY_SIM_BOOT_MS: String(cloud.bootMs),
    SLIPWAY_SIM_DELETE_MS: String(cloud.deleteMs),
    SLIPWAY_SIM_KUBELET_HEARTBEAT_MS: String(cloud.kubeletHeartbeatMs),
    SLIPWAY_ETCD_UNSAFE_NO_FSYNC: '1',
    SLIPWAY_LOG_LEVEL: 'warn',
  };
  const stack = startProcess('dev stack', process.execPath, ['--import', 'tsx', join(ROOT, 'infra/dev-stack.ts'), '--headless', ...ports.map(String)], { env, logFile: join(home, 'dev-stack.log'), cwd: ROOT });
  const stop = async (options: { readonly keepHome?: boolean } = {}) => {
    await stack.stop(STACK_STOP_GRACE_MS);
    if (!options.keepHome) await rm(home, { recursive: true, force: true });
  };
  try {
    await waitFor('the dev stack', async () => existsSync(homeFiles.endpoints(home)), STACK_STARTUP_MS, () => (stack.child.exitCode === null ? undefined : `the dev stack exited during start-up; see ${stack.logFile}`));
    const target = await resolveApiTarget({ SLIPWAY_HOME: home });
    // The stack writes the supervisor's token only when it runs one, which it does when it is given the binaries.
    if (!existsSync(homeFiles.supervisorToken(home))) throw new Error('the dev stack runs no supervisor of local control planes: ETCD_BIN and KUBE_APISERVER_BIN are not set (npm run bench:hosted sets them)');
    const supervisorToken = (await readFile(homeFiles.supervisorToken(home), 'utf8')).trim();
    return {
      api: new ApiClient({ baseUrl: target.apiUrl, ...(target.token ? { token: target.token } : {}) }),
      supervisor: createSupervisorClient({ url: `http://127.0.0.1:${supervisorPort}`, token: supervisorToken }),
      home,
      stop,
    };
  } catch (error) {
    await stop({ keepHome: true });
    throw error;
  }
}

export interface HostedClusterTimings {
  /** POST of the HostedCluster until its Available condition is True. */
  readonly availableMs: number;
  /** POST of the NodePool until its Ready condition is True. */
  readonly poolReadyMs: number;
  /** DELETE of the HostedCluster until it is gone: its DELETED watch event or a 404, whichever comes first (a GET then checks the 404). */
  readonly goneMs: number;
  /** DELETE of the HostedCluster until its etcd and kube-apiserver have exited. */
  readonly processesStoppedMs: number;
}

/** Takes one hosted cluster (a local control plane, no placement given) and one NodePool of `replicas` through the stack, timing each step from its request. */
export async function timeHostedClusterThroughStack(stack: BenchDevStack, names: { readonly cluster: string; readonly pool: string }, replicas: number): Promise<HostedClusterTimings> {
  const { api } = stack;
  const available = { type: 'condition', condition: 'Available', status: 'True' } as const;
  const ready = { type: 'condition', condition: 'Ready', status: 'True' } as const;
  const waitOptions = { timeoutMs: STEP_LIMIT_MS, pollIntervalMs: BACKSTOP_POLL_MS };

  const posted = performance.now();
  const created = await api.create('HostedCluster', NAMESPACE, hostedClusterManifest(names.cluster, LOCAL_RELEASE));
  await waitForObject(api, 'HostedCluster', NAMESPACE, names.cluster, available, waitOptions);
  const availableMs = performance.now() - posted;

  const uid = created.metadata?.uid;
  if (typeof uid !== 'string') throw new Error(`the API answered the POST of HostedCluster ${names.cluster} without a uid`);
  const report = await stack.supervisor.describe(controlPlaneKey({ namespace: NAMESPACE, name: names.cluster, uid }));
  if (!report) throw new Error(`HostedCluster ${names.cluster} is Available but the supervisor runs no control plane for it`);
  const controlPlanePids = [report.etcd.pid, report.kubeAPIServer.pid].filter((pid): pid is number => pid !== undefined);

  const poolPosted = performance.now();
  await api.create('NodePool', NAMESPACE, nodePoolManifest(names.pool, names.cluster, { ...LOCAL_RELEASE, replicas }));
  await waitForObject(api, 'NodePool', NAMESPACE, names.pool, ready, waitOptions);
  const poolReadyMs = performance.now() - poolPosted;

  const deleted = performance.now();
  await api.delete('HostedCluster', NAMESPACE, names.cluster);
  const [goneMs, processesStoppedMs] = await Promise.all([
    waitForObject(api, 'HostedCluster', NAMESPACE, names.cluster, { type: 'delete' }, waitOptions).then(() => performance.now() - deleted),
    eventually(async () => controlPlanePids.filter(processExists), (running) => running.length === 0, STEP_LIMIT_MS, 50).then((running) => {
      if (running.length > 0) throw new Error(`HostedCluster ${names.cluster}'s control-plane processes ${running.join(', ')} still run ${STEP_LIMIT_MS / 1000} s after its DELETE`);
      return performance.now() - deleted;
    }),
  ]);
  // The bench's own check that "gone" means a 404, not only a DELETED watch event.
  if ((await api.find('HostedCluster', NAMESPACE, names.cluster)) !== undefined) throw new Error(`HostedCluster ${names.cluster} still answers a GET after its deletion was seen`);
  return { availableMs, poolReadyMs, goneMs, processesStoppedMs };
}
