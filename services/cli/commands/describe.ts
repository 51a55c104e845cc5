/**
 * `slipway describe <kind> <name>` (and `describe cluster <name>`): the object as a tree,
 * like `clusterctl describe cluster`: its Ready condition, its other conditions, then the
 * control plane and each worker pool with their machines, each with READY, SEVERITY,
 * REASON, SINCE and MESSAGE. `--watch` redraws the tree on every change (on a terminal;
 * elsewhere it prints the tree again), until Ctrl-C, --timeout or the object is gone.
 */
import { Command } from 'commander';
import { isPlainObject } from '../../../crds/json';
import type { KindName } from '../../../crds/schemas/index';
import type { ApiClient } from '../api-client';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import type { ObjectLike } from '../conditions';
import { describeTree } from '../describe-tree';
import { hostedClusterTree, nodePoolTree } from '../hosted-tree';
import type { TreeNode } from '../output';
import { displayRef, notFoundError, parseObjectArgs } from '../kinds';
import { observeObject, untilInterrupted } from '../observe';
import { renderTree } from '../output';
import { parseDuration } from '../parse';

interface DescribeOptions {
  namespace?: string;
  watch?: boolean;
  timeout?: string;
}

/** The tree of one object; a HostedCluster's takes in its NodePools, read from the API. */
async function treeOf(client: ApiClient, kind: KindName, namespace: string, object: ObjectLike): Promise<TreeNode> {
  if (kind === 'NodePool') return nodePoolTree(object);
  if (kind !== 'HostedCluster') return describeTree(object);
  const { items } = await client.list('NodePool', namespace);
  const name = object.metadata?.name;
  const pools = items.filter((pool) => isPlainObject(pool.spec) && pool.spec.clusterName === name);
  return hostedClusterTree(object, pools);
}

/** Rows the text takes on a terminal `columns` wide, counting wrapped lines. */
function terminalRows(text: string, columns: number | undefined): number {
  const width = columns && columns > 0 ? columns : Number.POSITIVE_INFINITY;
  return text.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / width)), 0);
}

async function watchTree(context: CommandContext, client: ApiClient, kind: KindName, namespace: string, name: string, signal: AbortSignal): Promise<void> {
  let shownLines = 0;
  let shownText = '';
  try {
    for await (const { object } of observeObject(client, kind, namespace, name, { signal })) {
      if (object === undefined) {
        context.out(`${displayRef(kind, namespace, name)} is gone.`);
        return;
      }
      const text = renderTree(await treeOf(client, kind, namespace, object), context.now());
      if (text === shownText) continue;
      // On a terminal, move up over the previous tree and clear it; elsewhere print a fresh copy.
      if (context.interactive && shownLines > 0) context.stdout.write(`\u001b[${shownLines}F\u001b[J`);
      else if (shownLines > 0) context.out('');
      context.out(text);
      shownText = text;
      shownLines = terminalRows(text, context.stdout.columns);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

export async function runDescribe(context: CommandContext, kindArg: string, nameArg: string | undefined, options: DescribeOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(kindArg, nameArg);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const timeoutMs = options.timeout ? parseDuration(options.timeout) : undefined;
  const client = await context.api();
  const object = await client.find(kind, namespace, name);
  if (!object) throw notFoundError(kind, name, namespace);
  if (!options.watch) {
    context.out(renderTree(await treeOf(client, kind, namespace, object), context.now()));
    return 0;
  }
  await untilInterrupted(timeoutMs, (signal) => watchTree(context, client, kind, namespace, name, signal));
  return 0;
}

export function describeCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('describe')
    .description('show an object as a tree of its conditions, pools and machines (like clusterctl describe cluster)')
    .argument('<kind>', 'kind, plural or short name (cd, or "cluster"), or <kind>/<name>')
    .argument('[name]', 'the object\'s name')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .option('-w, --watch', 'redraw the tree as the object changes (Ctrl-C to stop)')
    .option('--timeout <duration>', 'with --watch: stop after this long, e.g. 10m')
    .action(async (kind: string, name: string | undefined, options: DescribeOptions) => setExitCode(await runDescribe(context, kind, name, options)));
}
