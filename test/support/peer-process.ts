/**
 * Starts an emulator process (moto, vcsim, sushy-tools) for a test file and waits until it
 * answers. A peer that is missing or dies fails the suite loudly, naming the binary, its
 * last output, and how to install it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './redis-server';

export interface PeerProcessOptions {
  /** For messages: "moto", "vcsim", ... */
  readonly name: string;
  /** The environment variable `npm test` sets to the binary's path, e.g. MOTO_SERVER. */
  readonly binaryEnv: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Resolves true once the peer serves requests; called until it does or the deadline passes. */
  ready(): Promise<boolean>;
  readonly startupTimeoutMs?: number;
}

export interface PeerProcess {
  readonly pid: number | undefined;
  /** The last of what the peer printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_KEPT = 8_000;

export async function startPeerProcess(options: PeerProcessOptions): Promise<PeerProcess> {
  const binary = process.env[options.binaryEnv];
  if (!binary) {
    throw new Error(`${options.binaryEnv} is not set, so ${options.name} cannot start. Run the suite through 'npm test', which installs ${options.name} (infra/tools.sh) and sets ${options.binaryEnv}.`);
  }
  let output = '';
  const child: ChildProcess = spawn(binary, [...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.startupTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new Error(`could not start ${options.name} (${binary}): ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`${options.name} exited with code ${child.exitCode} before it was ready. Its output:\n${output}`);
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} did not become ready within ${options.startupTimeoutMs ?? 30_000} ms. Its output:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid, output: () => output, stop };
}

/** A port picked free can be taken before the peer binds it (other suites run alongside); try again then. */
const PORT_ATTEMPTS = 3;

/**
 * Starts a peer on a free loopback port, with a fresh port when the first is taken.
 * A missing binary fails at once; it is not a port clash.
 */
export async function startPeerOnFreePort(options: (port: number) => PeerProcessOptions): Promise<{ readonly peer: PeerProcess; readonly port: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    const peerOptions = options(port);
    if (!process.env[peerOptions.binaryEnv]) return { peer: await startPeerProcess(peerOptions), port };
    try {
      return { peer: await startPeerProcess(peerOptions), port };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('the peer did not start');
}
