/** Starts the simulated cloud as its own process, so killing a worker never kills the cloud. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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
  const args = ['--import', 'tsx', SERVER_PATH, '--state', options.statePath];
  for (const [flag, value] of flags) if (value !== undefined) args.push(flag, String(value));
  // The key goes through the environment, not argv, so it never shows in a process list.
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, SIMCLOUD_API_KEY: apiKey }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (options.logFile) child.stderr?.pipe(createWriteStream(options.logFile, { flags: 'a' }));
  else child.stderr?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulated cloud did not start within 30 s')), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the simulated cloud exited with code ${code} before it listened${options.logFile ? `; see ${options.logFile}` : ''}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const ready = JSON.parse(line) as { listening?: string };
        if (ready.listening) {
          clearTimeout(timer);
          resolve(ready.listening);
        }
      } catch {
        // not the ready line
      }
    });
  });

  return {
    url,
    pid: child.pid,
    apiKey,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
