/** Starts the supervisor as its own process (services/supervisor/main.ts), for the dev stack and tests. */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN_PATH = fileURLToPath(new URL('./main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_MS = 60_000;

export interface SupervisorLaunchOptions {
  readonly home: string;
  readonly token: string;
  readonly port?: number;
  readonly etcdUnsafeNoFsync?: boolean;
  /** Where its output goes; discarded when absent. */
  readonly logFile?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningSupervisor {
  readonly url: string;
  readonly pid: number | undefined;
  readonly exited: Promise<number | null>;
  /** SIGTERM: stops its control planes and keeps their state. */
  stop(): Promise<void>;
  /** SIGKILL: what a crash looks like; its etcd and kube-apiserver processes are left running. */
  kill(): Promise<void>;
}

export async function startSupervisor(options: SupervisorLaunchOptions): Promise<RunningSupervisor> {
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    SLIPWAY_HOME: options.home,
    SLIPWAY_SUPERVISOR_TOKEN: options.token,
    SLIPWAY_SUPERVISOR_PORT: String(options.port ?? 0),
    ...(options.etcdUnsafeNoFsync ? { SLIPWAY_ETCD_UNSAFE_NO_FSYNC: '1' } : {}),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN_PATH], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (options.logFile) child.stderr?.pipe(createWriteStream(options.logFile, { flags: 'a' }));
  else child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the supervisor did not start within ${STARTUP_MS / 1000} s`)), STARTUP_MS);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the supervisor exited with code ${code} before it listened${options.logFile ? `; see ${options.logFile}` : ''}`));
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
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
