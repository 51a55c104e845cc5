/**
 * `slipway get <kind> [name]`: a table (Hive-like columns for ClusterDeployment, the
 * registry's printer columns for every kind), or the objects as JSON/YAML (a List when
 * no name is given). `--watch` prints a row (or document) for every later change.
 */
import { Command } from 'commander';
import type { KindName } from '../../../crds/schemas/index';
import { isApiError, type ApiClient } from '../api-client';
import type { ObjectLike } from '../conditions';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { notFoundError, parseObjectArgs } from '../kinds';
import { sleep, untilInterrupted } from '../observe';
import { asList, formatDocument, parseOutputFormat, renderObjectsTable, type OutputFormat } from '../output';
import { matchesLabelSelector, parseDuration, parseLabelSelector, type SelectorRequirement } from '../parse';

interface GetOptions {
  namespace?: string;
  output?: string;
  selector?: string;
  watch?: boolean;
  timeout?: string;
  headers: boolean;
}

function print(context: CommandContext, kind: KindName, objects: ObjectLike[], format: OutputFormat, single: boolean, headers: boolean): void {
  if (format === 'json' || format === 'yaml') {
    context.out(formatDocument(single ? objects[0] : asList(objects), format));
    return;
  }
  context.out(renderObjectsTable(kind, objects, { wide: format === 'wide', now: context.now(), headers }));
}

async function watchChanges(
  context: CommandContext,
  client: ApiClient,
  kind: KindName,
  namespace: string,
  state: { resourceVersion: string | undefined; name: string | undefined; labelSelector: string; selector: readonly SelectorRequirement[]; format: OutputFormat },
  signal: AbortSignal,
): Promise<void> {
  let resourceVersion = state.resourceVersion;
  let backoffMs = 200;
  const labelSelector = state.labelSelector;
  while (!signal.aborted) {
    try {
      for await (const event of client.watch(kind, namespace, { ...(resourceVersion ? { resourceVersion } : {}), ...(labelSelector ? { labelSelector } : {}), signal })) {
        backoffMs = 200;
        if (event.resourceVersion) resourceVersion = event.resourceVersion;
        if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') continue;
        const object = event.object;
        if (state.name !== undefined && object.metadata?.name !== state.name) continue;
        const labels = object.metadata?.labels;
        if (!matchesLabelSelector(typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : undefined, state.selector)) continue;
        if (state.format === 'json') context.out(JSON.stringify(object));
        else if (state.format === 'yaml') context.out(`---\n${formatDocument(object, 'yaml')}`);
        else context.out(renderObjectsTable(kind, [object], { wide: state.format === 'wide', now: context.now(), headers: false }));
      }
    } catch (error) {
      if (signal.aborted) return;
      if (isApiError(error, 410)) {
        resourceVersion = (await client.list(kind, namespace, labelSelector ? { labelSelector, limit: 1 } : { limit: 1 })).resourceVersion;
        continue;
      }
      if (isApiError(error) && error.status < 500) throw error;
    }
    await sleep(backoffMs, signal);
    backoffMs = Math.min(backoffMs * 2, 5_000);
  }
}

export async function runGet(context: CommandContext, kindArg: string, nameArg: string | undefined, options: GetOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(kindArg, nameArg, true);
  const format = parseOutputFormat(options.output);
  const labelSelector = options.selector?.trim() ?? '';
  const selector = parseLabelSelector(labelSelector);
  const timeoutMs = options.timeout ? parseDuration(options.timeout) : undefined;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const client = await context.api();

  let objects: ObjectLike[];
  let resourceVersion: string | undefined;
  if (name !== undefined) {
    const object = await client.find(kind, namespace, name);
    if (!object) throw notFoundError(kind, name, namespace);
    objects = [object];
    if (options.watch) resourceVersion = (await client.list(kind, namespace, { limit: 1 })).resourceVersion;
  } else {
    const list = await client.list(kind, namespace, labelSelector ? { labelSelector } : {});
    objects = list.items;
    resourceVersion = list.resourceVersion;
  }

  if (objects.length === 0 && format !== 'json' && format !== 'yaml') {
    context.err(`No resources found in ${namespace} namespace.`);
  } else {
    print(context, kind, objects, format, name !== undefined, options.headers);
  }
  if (!options.watch) return 0;

  await untilInterrupted(timeoutMs, (signal) => watchChanges(context, client, kind, namespace, { resourceVersion, name, labelSelector, selector, format }, signal));
  return 0;
}

export function getCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('get')
    .description('list objects of a kind, or show one (kinds: clusterdeployments/cd, hostedclusters/hc, nodepools/np, machinedeployments/md, ...)')
    .argument('<kind>', 'kind, plural or short name (cd), or <kind>/<name>')
    .argument('[name]', 'one object\'s name')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .option('-o, --output <format>', 'json, yaml or wide')
    .option('-l, --selector <selector>', 'label selector, e.g. env=prod,tier!=db')
    .option('-w, --watch', 'after the first listing, print every change as it happens (Ctrl-C to stop)')
    .option('--timeout <duration>', 'with --watch: stop watching after this long, e.g. 5m')
    .option('--no-headers', 'omit the table header')
    .action(async (kind: string, name: string | undefined, options: GetOptions) => setExitCode(await runGet(context, kind, name, options)));
}
