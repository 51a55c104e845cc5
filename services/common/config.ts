/**
 * Every setting Slipway's processes read, in one place. Each has an environment
 * variable; the dev stack sets them for the processes it starts, and README lists them.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SlipwayConfig {
  /** Dev-stack state: Temporal DB, simulated cloud DB, API token, endpoints.json, secrets/. */
  readonly home: string;
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  readonly taskQueue: string;
  readonly redisUrl: string;
  readonly apiHost: string;
  readonly apiPort: number;
  /** Base URL of the simulated cloud (providers/simulated/cloud-server.ts). */
  readonly simCloudUrl: string;
  /** Identifies this management plane; written on every cloud resource as slipway.dev/management. */
  readonly managementId: string;
  readonly logLevel: string;
  /** The dev stack's supervisor of local control planes (services/supervisor); absent outside the dev stack. */
  readonly supervisorUrl: string | undefined;
  /** Key prefix of the Redis projection; API and worker must agree. */
  readonly redisPrefix: string;
  /** How often the API compares the projection with the workflows and repairs it. */
  readonly projectionReconcileSeconds: number;
  /** How long the API waits for an object's workflow to answer a read before it answers 503. */
  readonly apiReadTimeoutSeconds: number;
  /** Where new HostedClusters' control planes run: local processes of the supervisor, or rendered into the management cluster. */
  readonly controlPlanePlacement: 'local' | 'kubernetes';
  /**
   * The NodePool autoscaler's thresholds, given to each NodePool workflow this process starts:
   * how long a Pod waits for a Node before its pool grows, and how long a Node runs no Pod before
   * it is removed. Undefined: the rule's defaults (workflows/planners/hosted/autoscaling.ts).
   */
  readonly nodePoolScaleUpAfterSeconds: number | undefined;
  readonly nodePoolScaleDownAfterSeconds: number | undefined;
  /**
   * Threads the worker runs workflow tasks and Queries on. Each thread holds its share of the
   * cached workflows in a heap of its own, so a Query waits on a smaller heap's garbage
   * collection (README, Tests and benchmarks: bench:fleet).
   */
  readonly workflowThreads: number;
}

/** A whole number in [min, max] from the environment, or the fallback when unset; `expected` completes "is not ...". */
function wholeNumberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, range: { min: number; max: number }, expected: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) throw new Error(`${name}=${raw} is not ${expected}, or unset it.`);
  return value;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumberFrom(env, name, fallback, { min: 0, max: 65535 }, 'a port number; set it to an integer from 0 to 65535');
}

function placementFrom(env: NodeJS.ProcessEnv): 'local' | 'kubernetes' {
  const value = env.SLIPWAY_CONTROL_PLANE_PLACEMENT ?? 'local';
  if (value !== 'local' && value !== 'kubernetes') throw new Error(`SLIPWAY_CONTROL_PLANE_PLACEMENT is "${value}"; set it to local (the supervisor's processes) or kubernetes (the management cluster of SLIPWAY_KUBECONFIG).`);
  return value;
}

function secondsFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumberFrom(env, name, fallback, { min: 1, max: Number.MAX_SAFE_INTEGER }, 'a number of seconds; set it to a whole number of 1 or more');
}

function threadsFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return wholeNumberFrom(env, name, fallback, { min: 1, max: 64 }, "a number of threads; set it to a whole number from 1 to 64 (about the worker's cores)");
}

function optionalSecondsFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : secondsFrom(env, name, 0);
}

/** How long the API waits for a workflow to answer a read before it answers 503 (SLIPWAY_API_READ_TIMEOUT_SECONDS). */
export const DEFAULT_API_READ_TIMEOUT_SECONDS = 30;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SlipwayConfig {
  const home = env.SLIPWAY_HOME ?? join(homedir(), '.slipway');
  return {
    home,
    temporalAddress: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${intFrom(env, 'SLIPWAY_TEMPORAL_PORT', 7233)}`,
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.SLIPWAY_TASK_QUEUE ?? 'slipway',
    redisUrl: env.REDIS_URL ?? `redis://127.0.0.1:${intFrom(env, 'SLIPWAY_REDIS_PORT', 6390)}`,
    apiHost: env.SLIPWAY_API_HOST ?? '127.0.0.1',
    apiPort: intFrom(env, 'SLIPWAY_API_PORT', 8080),
    simCloudUrl: env.SLIPWAY_SIMCLOUD_URL ?? `http://127.0.0.1:${intFrom(env, 'SLIPWAY_SIMCLOUD_PORT', 8090)}`,
    managementId: env.SLIPWAY_MANAGEMENT_ID ?? 'slipway-dev',
    logLevel: env.SLIPWAY_LOG_LEVEL ?? 'info',
    redisPrefix: env.SLIPWAY_REDIS_PREFIX ?? 'slipway',
    supervisorUrl: env.SLIPWAY_SUPERVISOR_URL || undefined,
    projectionReconcileSeconds: secondsFrom(env, 'SLIPWAY_PROJECTION_RECONCILE_SECONDS', 60),
    apiReadTimeoutSeconds: secondsFrom(env, 'SLIPWAY_API_READ_TIMEOUT_SECONDS', DEFAULT_API_READ_TIMEOUT_SECONDS),
    controlPlanePlacement: placementFrom(env),
    nodePoolScaleUpAfterSeconds: optionalSecondsFrom(env, 'SLIPWAY_NODE_POOL_SCALE_UP_AFTER_SECONDS'),
    nodePoolScaleDownAfterSeconds: optionalSecondsFrom(env, 'SLIPWAY_NODE_POOL_SCALE_DOWN_AFTER_SECONDS'),
    workflowThreads: threadsFrom(env, 'SLIPWAY_WORKFLOW_THREADS', 2),
  };
}

/** Files inside SLIPWAY_HOME that several processes agree on. */
export const homeFiles = {
  token: (home: string) => join(home, 'token'),
  endpoints: (home: string) => join(home, 'endpoints.json'),
  secrets: (home: string) => join(home, 'secrets'),
  /** The simulated cloud's API key, as the worker's secret store reads it: {"apiKey": "..."}. */
  simulatedCredentials: (home: string) => join(home, 'secrets', 'slipway-system', 'simulated-credentials.json'),
  temporalDb: (home: string) => join(home, 'temporal.db'),
  simCloudDb: (home: string) => join(home, 'simcloud.db'),
  /** The token the worker authenticates to the supervisor with. */
  supervisorToken: (home: string) => join(home, 'supervisor-token'),
} as const;

/** What the dev stack writes to endpoints.json, and what the CLI reads to find the API. */
export interface Endpoints {
  readonly api: string;
  readonly temporal: string;
  readonly temporalUI?: string;
  readonly redis: string;
  readonly simCloud: string;
  readonly supervisor?: string;
}
