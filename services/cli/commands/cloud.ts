/**
 * `slipway cloud ls [--tag key=value]... [-o json|yaml]`: what the simulated cloud holds,
 * read from the cloud's own admin API rather than from Slipway's status, so anyone can
 * see a leaked machine or load balancer.
 */
import { Command } from 'commander';
import { isPlainObject } from '../../../crds/json';
import { TAG } from '../../../providers/tags';
import { parseProblem, problemLines } from '../api-client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CLOUD_HEADERS, cloudResourceRows, formatDocument, renderColumns, type CloudResourceView } from '../output';
import { parseTags } from '../parse';
import { resolveSimCloudTarget, type SimCloudTarget } from '../target';

interface CloudListOptions {
  tag: string[];
  output?: string;
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}

/** Reads one resource from the admin API's answer, tolerating the usual spellings. */
export function toCloudResource(value: unknown): CloudResourceView | undefined {
  if (!isPlainObject(value)) return undefined;
  const tags = stringRecord(value.tags);
  const id = firstString(value.id, value.providerId, value.providerID);
  if (id === undefined) return undefined;
  const createdAt = firstString(value.createdAt, value.creationTimestamp, tags[TAG.createdAt]);
  return {
    kind: firstString(value.kind, value.type) ?? 'resource',
    name: firstString(value.name) ?? '',
    id,
    state: firstString(value.state, value.phase, value.status) ?? '',
    tags,
    ...(createdAt ? { createdAt } : {}),
  };
}

/** The resources out of an admin answer: a bare array, or an object holding `items`/`resources`. */
export function cloudResourcesFrom(body: unknown): CloudResourceView[] {
  const list = Array.isArray(body) ? body : isPlainObject(body) ? (body.items ?? body.resources) : undefined;
  if (!Array.isArray(list)) throw new CliError('the simulated cloud answered with no resource list; is SLIPWAY_SIMCLOUD_URL pointing at it?');
  return list.map(toCloudResource).filter((resource) => resource !== undefined);
}

const MAX_PAGES = 10_000;

/** Every resource the simulated cloud holds with all of `tags`, page by page. */
export async function fetchCloudResources(target: SimCloudTarget, tags: Record<string, string>): Promise<CloudResourceView[]> {
  const resources: CloudResourceView[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(tags)) query.append('tag', `${key}=${value}`);
    if (pageToken) query.set('pageToken', pageToken);
    const url = `${target.url.replace(/\/+$/, '')}/admin/resources${query.size > 0 ? `?${query.toString()}` : ''}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const reason = error instanceof Error && isPlainObject(error.cause) && typeof error.cause.code === 'string' ? error.cause.code : String(error);
      throw new CliError(`cannot reach the simulated cloud at ${target.url} (${reason}): start the dev stack with \`npm run dev\`, or set SLIPWAY_SIMCLOUD_URL`);
    }
    const text = await response.text();
    if (!response.ok) {
      const { message, details } = problemLines(parseProblem(response.status, response.statusText, text));
      const hint = response.status === 401 || response.status === 403 ? '; set SLIPWAY_SIMCLOUD_API_KEY to the key the dev stack stored' : '';
      throw new CliError(`the simulated cloud refused the listing (${response.status}): ${message}${hint}`, details);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new CliError(`the simulated cloud at ${target.url} answered with something that is not JSON`);
    }
    resources.push(...cloudResourcesFrom(body));
    pageToken = isPlainObject(body) ? firstString(body.nextPageToken, body.continue) : undefined;
    if (!pageToken) return resources;
  }
  throw new CliError(`the simulated cloud kept answering with more pages after ${MAX_PAGES}; narrow the listing with --tag`);
}

export async function runCloudList(context: CommandContext, options: CloudListOptions): Promise<number> {
  const tags = parseTags(options.tag);
  const format = options.output;
  if (format !== undefined && format !== 'json' && format !== 'yaml') throw new CliError(`unknown output format ${JSON.stringify(format)}: use -o json or -o yaml`);
  const target = await resolveSimCloudTarget(context.env);
  const resources = await fetchCloudResources(target, tags);
  if (format === 'json' || format === 'yaml') {
    context.out(formatDocument({ items: resources }, format));
    return 0;
  }
  if (resources.length === 0) {
    context.err(Object.keys(tags).length > 0 ? 'No cloud resources carry those tags.' : 'The simulated cloud holds no resources.');
    return 0;
  }
  context.out(renderColumns(CLOUD_HEADERS, cloudResourceRows(resources, TAG.cluster, context.now())));
  return 0;
}

export function cloudCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  const cloud = new Command('cloud').description('look inside the simulated cloud (the dev stack\'s default provider)');
  cloud.addCommand(
    new Command('ls')
      .alias('list')
      .description('list every resource the simulated cloud holds (machines, networks, load balancers, DNS records)')
      .option('--tag <key=value>', 'only resources with this tag; repeat for several (e.g. --tag slipway.dev/cluster=<infraID>)', (value: string, previous: string[]) => [...previous, value], [])
      .option('-o, --output <format>', 'json or yaml')
      .action(async (options: CloudListOptions) => setExitCode(await runCloudList(context, options)))
      .exitOverride(),
  );
  return cloud;
}
