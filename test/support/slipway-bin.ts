/**
 * The real `slipway` bin (bin/slipway) against a test stack and its API, as a person at a
 * terminal would run it. useCliStack starts the stack, the API and a scratch folder for a
 * test file and stops them after it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { startTestApi, type TestApi, type TestApiOptions } from './api';
import { startTestStack, type TestStack, type TestStackOptions } from './stack';

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

/**
 * For a test file: before its tests, a stack (simulated cloud with short latencies, worker)
 * with the REST API and a scratch folder; after them, all stopped and removed. Returns the
 * bin runner and paths in the scratch folder.
 */
export function useCliStack(scratchPrefix: string, options: { readonly stack?: TestStackOptions; readonly api?: (stack: TestStack) => TestApiOptions } = {}) {
  let stack: TestStack | undefined;
  let api: TestApi | undefined;
  let scratch = '';
  let runner: ReturnType<typeof slipwayBin> | undefined;
  beforeAll(async () => {
    stack = await startTestStack({ simCloud: { bootMs: 100, deleteMs: 50 }, ...options.stack });
    api = await startTestApi(stack, options.api?.(stack));
    scratch = await mkdtemp(join(tmpdir(), scratchPrefix));
    runner = slipwayBin(stack, api, scratch);
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return {
    slipway(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinResult> {
      if (!runner) throw new Error('useCliStack: the stack is not up; run the bin inside a test');
      return runner(args, env);
    },
    scratchPath: (name: string) => join(scratch, name),
  };
}
