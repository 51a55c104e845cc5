/** `npx slipway` as a person runs it from a clone: npm on the system Node, then the CLI on the project's Node. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

describe('npx slipway', () => {
  it('prints no npm warnings under the system Node (here older than the Node 24 the CLI runs on)', async () => {
    // System directories first, so npx runs on the system Node as it does in a person's shell.
    const PATH = `/usr/local/bin:/usr/bin:/bin:${process.env.PATH ?? ''}`;
    // npm checks engines when it first sets up its npx cache: start from an empty one, as a new user does.
    const cache = await mkdtemp(join(tmpdir(), 'slipway-npm-cache-'));
    try {
      const env = { ...process.env, PATH, npm_config_cache: cache };
      const { stdout, stderr } = await promisify(execFile)('npx', ['--no-install', 'slipway', '--help'], { cwd: ROOT, env, timeout: 60_000 });
      expect(stdout).toMatch(/Usage: slipway/);
      expect(stderr).not.toMatch(/EBADENGINE|npm warn/i);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
