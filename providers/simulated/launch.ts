/** Starts the simulated cloud as its own process, so killing a worker never kills the cloud. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startLocalServer } from '../../infra/processes';

const SERVER_PATH = fileURLToPath(new URL('./cloud-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SimulatedCloudOptions {
  /** The SQLite file that holds the cloud; reuse it and the cloud comes back as it was. */
  readonly statePath: string;
  readonly port?: number;
  /** Defaults to a fresh random key; pass the same key again after a restart. */
  readonly apiKey?: string;
  readonly bootMs?: number;
  readonly deleteMs?: number;
  readonly throttleRate?: number;
  readonly errorRate?: number;
  readonly timeoutRate?: number;
  readonly bootFailureRate?: number;
  readonly maxMachines?: number;
  /** How often a hosted cluster's machines renew their Node's Lease; 10 s when absent. */
  readonly kubeletHeartbeatMs?: number;
  /** Where the process's stderr goes; discarded when absent. */
  readonly logFile?: string;
}

export interface RunningSimulatedCloud {
  readonly url: string;
  /** The cloud's process, for benchmarks that measure what it costs. */
  readonly pid: number | undefined;
  readonly apiKey: string | undefined;
  stop(): Promise<void>;
  kill(): void;
}

export async function startSimulatedCloud(options: SimulatedCloudOptions): Promise<RunningSimulatedCloud> {
  const apiKey = options.apiKey ?? randomBytes(24).toString('hex');
  const flags: [string, number | undefined][] = [
    ['--port', options.port ?? 0],
    ['--boot-ms', options.bootMs],
    ['--delete-ms', options.deleteMs],
    ['--throttle-rate', options.throttleRate],
    ['--error-rate', options.errorRate],
    ['--timeout-rate', options.timeoutRate],
    ['--boot-failure-rate', options.bootFailureRate],
    ['--max-machines', options.maxMachines],
    ['--kubelet-heartbeat-ms', options.kubeletHeartbeatMs],
  ];
  const args = ['--state', options.statePath];
  for (const [flag, value] of flags) if (value !== undefined) args.push(flag, String(value));
  // The key goes through the environment, not argv, so it never shows in a process list.
  const server = await startLocalServer({ what: 'the simulated cloud', script: SERVER_PATH, args, env: { ...process.env, SIMCLOUD_API_KEY: apiKey }, cwd: REPO_ROOT, timeoutMs: 30_000, ...(options.logFile ? { logFile: options.logFile } : {}) });
  return {
    url: server.url,
    pid: server.pid,
    apiKey,
    stop: server.stop,
    kill() {
      void server.kill();
    },
  };
}
