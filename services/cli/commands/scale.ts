/**
 * `slipway scale md/<name> --replicas N` (or np/<name>), as kubectl scale does: sets
 * spec.replicas through the scale subresource, which MachineDeployments and NodePools have.
 */
import { Command } from 'commander';
import { isApiError } from '../api-client';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { notFoundError, parseObjectArgs, qualifiedName } from '../kinds';
import { parseCount } from '../parse';

interface ScaleOptions {
  replicas: string;
  namespace?: string;
}

export async function runScale(context: CommandContext, refArg: string, nameArg: string | undefined, options: ScaleOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(refArg, nameArg);
  if (kind !== 'MachineDeployment' && kind !== 'NodePool') {
    throw new CliError(`${kind}s cannot be scaled here; scale machinedeployments (md) or nodepools (np), or change a ClusterDeployment's spec.compute replicas`);
  }
  const replicas = parseCount(options.replicas, '--replicas', 0);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const client = await context.api();
  try {
    await client.patchSubresource(kind, namespace, name, 'scale', { spec: { replicas } });
  } catch (error) {
    if (isApiError(error, 404)) throw notFoundError(kind, name, namespace);
    throw error;
  }
  context.out(`${qualifiedName(kind, name)} scaled`);
  return 0;
}

export function scaleCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('scale')
    .description('set the number of machines of a MachineDeployment or NodePool')
    .argument('<ref>', 'md/<name> or np/<name>, or the kind followed by the name')
    .argument('[name]', 'the object\'s name, when <ref> is only a kind')
    .requiredOption('--replicas <n>', 'the number of machines')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (ref: string, name: string | undefined, options: ScaleOptions) => setExitCode(await runScale(context, ref, name, options)));
}
