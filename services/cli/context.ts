/**
 * What every command is given: where to write, whether stdout is a terminal, the clock,
 * the environment, and a lazily made API client (so `--help` and argument errors never
 * need a running stack).
 */
import { ApiClient } from './api-client';
import { createProgress, type Progress } from './progress';
import { resolveApiTarget } from './target';

export interface CommandContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** stdout is a terminal: spinners and live redraws are allowed. */
  readonly interactive: boolean;
  now(): Date;
  out(text: string): void;
  err(text: string): void;
  api(): Promise<ApiClient>;
  progress(options?: { quiet?: boolean }): Progress;
}

export function createContext(env: NodeJS.ProcessEnv = process.env): CommandContext {
  let client: Promise<ApiClient> | undefined;
  const interactive = process.stdout.isTTY === true;
  const timeoutMs = Number(env.SLIPWAY_CLI_REQUEST_TIMEOUT_MS ?? '') || 30_000;
  return {
    env,
    stdout: process.stdout,
    stderr: process.stderr,
    interactive,
    now: () => new Date(),
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    api: () => {
      client ??= resolveApiTarget(env).then((target) => new ApiClient({ baseUrl: target.apiUrl, token: target.token, timeoutMs }));
      return client;
    },
    progress: (options = {}) => createProgress({ stream: process.stdout, live: interactive, ...(options.quiet !== undefined ? { quiet: options.quiet } : {}) }),
  };
}

/** kubectl's default namespace when -n is not given. */
export const DEFAULT_NAMESPACE = 'default';
