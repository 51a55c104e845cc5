/** Starts the supervisor as its own process (services/supervisor/main.ts), for the dev stack and tests. */
import { fileURLToPath } from 'node:url';
import { startLocalServer, type LocalServer } from '../../infra/processes';

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

/** stop() (SIGTERM) stops its control planes and keeps their state; kill() (SIGKILL) leaves their processes running. */
export type RunningSupervisor = LocalServer;

export async function startSupervisor(options: SupervisorLaunchOptions): Promise<RunningSupervisor> {
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    SLIPWAY_HOME: options.home,
    SLIPWAY_SUPERVISOR_TOKEN: options.token,
    SLIPWAY_SUPERVISOR_PORT: String(options.port ?? 0),
    ...(options.etcdUnsafeNoFsync ? { SLIPWAY_ETCD_UNSAFE_NO_FSYNC: '1' } : {}),
  };
  return startLocalServer({ what: 'the supervisor', script: MAIN_PATH, args: [], env, cwd: REPO_ROOT, timeoutMs: STARTUP_MS, ...(options.logFile ? { logFile: options.logFile } : {}) });
}
