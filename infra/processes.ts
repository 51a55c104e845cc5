/** Small process supervision for the dev stack: labelled children, log files, ordered stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';

export interface Supervised {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not gone within the grace period. */
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(name: string, command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; logFile: string; cwd?: string }): Supervised {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      log.write(`could not start ${command}: ${error.message}\n`);
      resolve(-1);
    });
    child.once('exit', (code) => resolve(code));
  });
  let stopping = false;
  return {
    name,
    logFile: options.logFile,
    child,
    exited,
    async stop(graceMs = 10_000) {
      if (stopping || child.exitCode !== null || child.signalCode !== null) return void (await exited);
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = failed?.();
    if (failure) throw new Error(failure);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
