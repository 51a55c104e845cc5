/**
 * Where the CLI finds the API and the simulated cloud: SLIPWAY_API_URL / SLIPWAY_API_TOKEN
 * when set, else the files the dev stack writes into SLIPWAY_HOME (endpoints.json, token).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isPlainObject } from '../../crds/json';
import { homeFiles, type Endpoints } from '../common/config';
import { CliError } from './errors';

export interface ApiTarget {
  readonly home: string;
  readonly apiUrl: string;
  readonly token: string | undefined;
}

export function slipwayHome(env: NodeJS.ProcessEnv): string {
  return env.SLIPWAY_HOME && env.SLIPWAY_HOME !== '' ? env.SLIPWAY_HOME : join(homedir(), '.slipway');
}

export function noDevStack(home: string): CliError {
  return new CliError(`no dev stack found at ${home}: run \`npm run dev\`, or set SLIPWAY_API_URL and SLIPWAY_API_TOKEN`);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isPlainObject(error) && error.code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The dev stack's endpoints.json, or undefined when there is none. */
export async function readEndpoints(home: string): Promise<Partial<Endpoints> | undefined> {
  const path = homeFiles.endpoints(home);
  const text = await readOptional(path);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; restart the dev stack (npm run dev) to rewrite it`);
  }
  if (!isPlainObject(parsed)) throw new CliError(`${path} should hold an object of addresses; restart the dev stack (npm run dev) to rewrite it`);
  const endpoints: Partial<Record<keyof Endpoints, string>> = {};
  for (const key of ['api', 'temporal', 'temporalUI', 'redis', 'simCloud'] as const) {
    const value = parsed[key];
    if (typeof value === 'string' && value !== '') endpoints[key] = value;
  }
  return endpoints;
}

export async function resolveApiTarget(env: NodeJS.ProcessEnv = process.env): Promise<ApiTarget> {
  const home = slipwayHome(env);
  const apiUrl = env.SLIPWAY_API_URL || (await readEndpoints(home))?.api;
  if (!apiUrl) throw noDevStack(home);
  const token = env.SLIPWAY_API_TOKEN || (await readOptional(homeFiles.token(home)))?.trim();
  if (!token) throw noDevStack(home);
  return { home, apiUrl, token };
}

export interface SimCloudTarget {
  readonly url: string;
  readonly apiKey: string | undefined;
}

export async function resolveSimCloudTarget(env: NodeJS.ProcessEnv = process.env): Promise<SimCloudTarget> {
  const home = slipwayHome(env);
  const url = env.SLIPWAY_SIMCLOUD_URL || (await readEndpoints(home))?.simCloud;
  if (!url) {
    throw new CliError(`no simulated cloud found: no dev stack at ${home} (run \`npm run dev\`), and SLIPWAY_SIMCLOUD_URL is not set`);
  }
  const stored = await readOptional(homeFiles.simulatedCredentials(home));
  const apiKey = env.SLIPWAY_SIMCLOUD_API_KEY || (stored ? (JSON.parse(stored) as { apiKey?: string }).apiKey : undefined) || undefined;
  return { url, apiKey };
}
