/** Small process supervision for the dev stack: labelled children, log files, ordered stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

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

/**
 * A loopback port that was free a moment ago, for a server started next. It is picked below the
 * kernel's ephemeral range: a port the OS hands out for port 0 is in that range, and the local
 * end of any outgoing connection made before the server binds (a second, for a process that
 * loads first) can take it. Falls back to the OS's pick when no such port is free.
 */
export async function freePort(): Promise<number> {
  const low = LISTEN_RANGE_START;
  const high = ephemeralRangeStart();
  for (let attempt = 0; high - low >= 1_000 && attempt < 20; attempt += 1) {
    const port = low + randomInt(high - low);
    if (await portIsFree(port)) return port;
  }
  return osPickedPort();
}

const LISTEN_RANGE_START = 20_000;

function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 0 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The URL a server process prints as {"listening": URL} on its stdout once it serves (the
 * simulated cloud and the supervisor do). Fails if it exits or stays silent past the deadline.
 */
export function listeningUrl(child: ChildProcess, what: string, timeoutMs: number, logFile?: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code} before it listened${logFile ? `; see ${logFile}` : ''}`));
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
}

export interface LocalServer {
  readonly url: string;
  readonly pid: number | undefined;
  readonly exited: Promise<number | null>;
  /** SIGTERM, and wait until it has gone. */
  stop(): Promise<void>;
  /** SIGKILL, and wait until it has gone: what a crash looks like. */
  kill(): Promise<void>;
}

/** Starts one of Slipway's own TypeScript servers under this Node, waiting for its {"listening": URL} line. */
export async function startLocalServer(options: { readonly what: string; readonly script: string; readonly args: readonly string[]; readonly env: NodeJS.ProcessEnv; readonly cwd: string; readonly logFile?: string; readonly timeoutMs: number }): Promise<LocalServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.script, ...options.args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (options.logFile) child.stderr?.pipe(createWriteStream(options.logFile, { flags: 'a' }));
  else child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await listeningUrl(child, options.what, options.timeoutMs, options.logFile);
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { url, pid: child.pid, exited, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}
