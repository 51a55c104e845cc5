/** Bearer-token check for every endpoint but the health checks; constant-time, never logged. */
import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homeFiles, type SlipwayConfig } from '../common/config';

export function tokenMatches(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function loadApiToken(config: SlipwayConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.SLIPWAY_API_TOKEN) return env.SLIPWAY_API_TOKEN;
  const path = homeFiles.token(config.home);
  try {
    const token = (await readFile(path, 'utf8')).trim();
    if (token) return token;
  } catch {
    // fall through to the error below
  }
  throw new Error(`no API token: ${path} is missing or empty. Start the dev stack with \`npm run dev\` (it creates one), or set SLIPWAY_API_TOKEN.`);
}
