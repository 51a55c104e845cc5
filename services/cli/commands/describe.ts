/**
 * `slipway describe <kind> <name>` (and `describe cluster <name>`): the object as a tree,
 * like `clusterctl describe cluster`: its Ready condition, its other conditions, then the
 * control plane and each worker pool with their machines, each with READY, SEVERITY,
 * REASON, SINCE and MESSAGE.
 */
import { Command } from 'commander';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { describeTree } from '../describe-tree';
import { definitionOf, parseObjectArgs } from '../kinds';
import { renderTree } from '../output';

interface DescribeOptions {
  namespace?: string;
}

export async function runDescribe(context: CommandContext, kindArg: string, nameArg: string | undefined, options: DescribeOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(kindArg, nameArg);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const client = await context.api();
  const object = await client.find(kind, namespace, name);
  if (!object) {
    throw new CliError(`${definitionOf(kind).plural} "${name}" not found in namespace "${namespace}"; list them with: slipway get ${definitionOf(kind).plural} -n ${namespace}`);
  }
  context.out(renderTree(describeTree(object), context.now()));
  return 0;
}

export function describeCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('describe')
    .description('show an object as a tree of its conditions, pools and machines (like clusterctl describe cluster)')
    .argument('<kind>', 'kind, plural or short name (cd, or "cluster"), or <kind>/<name>')
    .argument('[name]', 'the object\'s name')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (kind: string, name: string | undefined, options: DescribeOptions) => setExitCode(await runDescribe(context, kind, name, options)));
}
