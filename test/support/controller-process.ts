/** Runs services/controller/main.ts as a child process, so tests can SIGKILL a leader. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkerProcess } from './worker-process';

const CONTROLLER_MAIN = fileURLToPath(new URL('../../services/controller/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Writes the kubeconfig where the controller's SLIPWAY_KUBECONFIG can point. */
export async function writeKubeconfig(kubeConfig: KubeConfig, dir: string): Promise<string> {
  const path = join(dir, 'kubeconfig.json');
  await writeFile(path, kubeConfig.exportConfig(), { mode: 0o600 });
  return path;
}

export function startControllerProcess(env: NodeJS.ProcessEnv, keepOutputChars = 40_000): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CONTROLLER_MAIN], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
