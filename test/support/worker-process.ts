/** Runs services/worker/main.ts as a child process, so tests can SIGKILL it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER_MAIN = fileURLToPath(new URL('../../services/worker/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  kill(): Promise<void>;
  stop(): Promise<void>;
  output(): string;
}

/** Runs a service's main module (`node --import tsx <main>`) with its output's tail kept; Infinity keeps all of it. */
export function startServiceProcess(main: string, env: NodeJS.ProcessEnv, keepOutputChars: number): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-keepOutputChars)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-keepOutputChars)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { child, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM'), output: () => output };
}

/** keepOutputChars: how much of the worker's output output() keeps (the tail); Infinity keeps all of it. */
export function startWorkerProcess(env: NodeJS.ProcessEnv, keepOutputChars = 20_000): WorkerProcess {
  return startServiceProcess(WORKER_MAIN, env, keepOutputChars);
}

/** Polls until the predicate holds; on timeout the error carries the worker's recent output. */
export async function waitWhileWorkerRuns(predicate: () => Promise<boolean>, timeoutMs: number, what: string, worker: () => WorkerProcess | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; worker output:\n${worker()?.output() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
