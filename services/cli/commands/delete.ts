/**
 * `slipway delete <kind> <name> [--wait]`: asks the API to delete the object (the entity
 * workflow then tears down its machines and infrastructure); `--wait` follows the
 * teardown until the object is gone.
 */
import { Command } from 'commander';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { isApiError } from '../api-client';
import { definitionOf, parseObjectArgs, qualifiedName } from '../kinds';
import { parseDuration } from '../parse';
import { waitForObject } from '../waiting';

interface DeleteOptions {
  namespace?: string;
  wait?: boolean;
  timeout: string;
}

export async function runDelete(context: CommandContext, kindArg: string, nameArg: string | undefined, options: DeleteOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(kindArg, nameArg);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const timeoutMs = parseDuration(options.timeout);
  const client = await context.api();
  try {
    await client.delete(kind, namespace, name);
  } catch (error) {
    if (isApiError(error, 404)) throw new CliError(`${definitionOf(kind).plural} "${name}" not found in namespace "${namespace}"; nothing to delete`);
    throw error;
  }
  context.out(`${definitionOf(kind).singular}.slipway.dev "${name}" deleted`);
  if (!options.wait) return 0;
  const progress = context.progress();
  try {
    await waitForObject(client, kind, namespace, name, { type: 'delete' }, { timeoutMs, progress, label: qualifiedName(kind, name) });
  } finally {
    progress.stop();
  }
  return 0;
}

export function deleteCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('delete')
    .description('delete an object; its cloud resources are torn down by its workflow')
    .argument('<kind>', 'kind, plural or short name (cd), or <kind>/<name>')
    .argument('[name]', 'the object\'s name')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .option('--wait', 'follow the teardown until the object is gone')
    .option('--timeout <duration>', 'with --wait: how long to wait, e.g. 10m', '30m')
    .action(async (kind: string, name: string | undefined, options: DeleteOptions) => setExitCode(await runDelete(context, kind, name, options)));
}
