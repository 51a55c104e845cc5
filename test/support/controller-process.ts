/** Runs services/controller/main.ts as a child process, so tests can SIGKILL a leader. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { startServiceProcess, type WorkerProcess } from './worker-process';

const CONTROLLER_MAIN = fileURLToPath(new URL('../../services/controller/main.ts', import.meta.url));

/** Writes the kubeconfig where the controller's SLIPWAY_KUBECONFIG can point. */
export async function writeKubeconfig(kubeConfig: KubeConfig, dir: string): Promise<string> {
  const path = join(dir, 'kubeconfig.json');
  await writeFile(path, kubeConfig.exportConfig(), { mode: 0o600 });
  return path;
}

export function startControllerProcess(env: NodeJS.ProcessEnv, keepOutputChars = 40_000): WorkerProcess {
  return startServiceProcess(CONTROLLER_MAIN, env, keepOutputChars);
}
