/** Runs the real `slipway` bin (bin/slipway) against a test stack and its API, as a person at a terminal would. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestApi } from './api';
import type { TestStack } from './stack';

const BIN = fileURLToPath(new URL('../../bin/slipway', import.meta.url));
const run = promisify(execFile);

export interface BinResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A runner of `slipway <args>` pointed at the stack's API and simulated cloud, with SLIPWAY_HOME under `scratch`. */
export function slipwayBin(stack: TestStack, api: TestApi, scratch: string) {
  return async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinResult> => {
    try {
      const { stdout, stderr } = await run('bash', [BIN, ...args], {
        env: {
          ...process.env,
          SLIPWAY_HOME: join(scratch, 'home'),
          SLIPWAY_API_URL: api.url,
          SLIPWAY_API_TOKEN: api.token,
          SLIPWAY_SIMCLOUD_URL: stack.simCloud.url,
          SLIPWAY_SIMCLOUD_API_KEY: stack.simCloud.apiKey ?? '',
          ...env,
        },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };
}
