/**
 * One process of a control plane (etcd or kube-apiserver) that the supervisor keeps running:
 * started again after every exit it did not ask for, with back-off. Its output goes straight
 * to a log file, so it neither blocks on nor dies with a pipe to the supervisor, and its pid is
 * written beside it, so a supervisor killed without warning finds and ends it on its next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { crashesInARow, restartDelayMs, type BackoffPolicy, DEFAULT_BACKOFF } from './restart-backoff';

export interface ComponentSpec {
  /** etcd or kube-apiserver: for messages and file names. */
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly pidFile: string;
  /** Part of every argument list this component runs with, to tell our own leftover process from a pid reused by another. */
  readonly marker: string;
  readonly backoff?: BackoffPolicy;
}

export interface ComponentState {
  readonly pid?: number;
  readonly running: boolean;
  /** Starts after crashes since the supervisor began supervising it. */
  readonly restarts: number;
  readonly lastExit?: string;
  /** ISO time of the next start, while it waits out its back-off. */
  readonly nextStartAt?: string;
}

export interface Component {
  state(): ComponentState;
  /** SIGTERM, then SIGKILL after the grace period; no restart follows. */
  stop(graceMs?: number): Promise<void>;
}

async function processArguments(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await processArguments(pid)) === undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Ends the process a previous supervisor left running (it was killed before it could stop it). */
export async function endLeftover(spec: Pick<ComponentSpec, 'pidFile' | 'marker'>): Promise<void> {
  const pid = Number((await readFile(spec.pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const args = await processArguments(pid);
  if (args?.includes(spec.marker)) {
    process.kill(pid, 'SIGKILL');
    await gone(pid, 10_000);
  }
  await rm(spec.pidFile, { force: true });
}

export async function startComponent(spec: ComponentSpec): Promise<Component> {
  await endLeftover(spec);
  const backoff = spec.backoff ?? DEFAULT_BACKOFF;
  let child: ChildProcess | undefined;
  let stopping = false;
  let crashes = 0;
  let restarts = 0;
  let lastExit: string | undefined;
  let nextStartAt: number | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = (): void => {
    nextStartAt = undefined;
    const log = openSync(spec.logFile, 'a');
    const startedAt = Date.now();
    // A process group of its own: a Ctrl-C at the terminal reaches the supervisor, which stops it in order, not the process itself.
    const current = spawn(spec.binary, [...spec.args], { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    child = current;
    // Written before launch returns: a supervisor killed right after this spawn must find the process by it.
    if (current.pid !== undefined) {
      try {
        writeFileSync(spec.pidFile, `${current.pid}\n`);
      } catch {
        // Without its pid file a leftover process is not ended on the next start; the component still runs.
      }
    }
    exited = new Promise((resolve) => {
      current.once('error', (error) => {
        lastExit = `could not start ${spec.binary}: ${error.message}`;
      });
      current.once('close', (code, signal) => {
        resolve();
        if (stopping) return;
        lastExit = signal ? `killed by ${signal}` : `exited with code ${code}`;
        crashes = crashesInARow(crashes, Date.now() - startedAt, backoff);
        const delay = restartDelayMs(crashes, backoff);
        nextStartAt = Date.now() + delay;
        restartTimer = setTimeout(() => {
          restarts += 1;
          launch();
        }, delay);
      });
    });
  };
  launch();

  return {
    state() {
      const running = child !== undefined && child.exitCode === null && child.signalCode === null && nextStartAt === undefined;
      return {
        ...(running && child?.pid !== undefined ? { pid: child.pid } : {}),
        running,
        restarts,
        ...(lastExit ? { lastExit } : {}),
        ...(nextStartAt !== undefined ? { nextStartAt: new Date(nextStartAt).toISOString() } : {}),
      };
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      clearTimeout(restartTimer);
      const current = child;
      if (current && current.exitCode === null && current.signalCode === null) {
        current.kill('SIGTERM');
        const kill = setTimeout(() => current.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(kill);
      }
      await rm(spec.pidFile, { force: true });
    },
  };
}
