/**
 * `slipway kubeconfig hc/<name>`: prints the hosted cluster's admin kubeconfig (YAML), as
 * `hcp create kubeconfig` does, so that `slipway kubeconfig hc/demo > demo.kubeconfig` gives
 * kubectl access to the hosted API server.
 */
import { Command } from 'commander';
import { isApiError } from '../api-client';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { notFoundError, parseObjectArgs } from '../kinds';

interface KubeconfigOptions {
  namespace?: string;
}

export async function runKubeconfig(context: CommandContext, refArg: string, nameArg: string | undefined, options: KubeconfigOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(refArg, nameArg);
  if (kind !== 'HostedCluster') throw new CliError(`only hostedclusters (hc) have an admin kubeconfig here; use: slipway kubeconfig hc/<name>`);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const client = await context.api();
  try {
    const kubeconfig = await client.text(kind, namespace, name, 'kubeconfig', 'application/yaml');
    context.stdout.write(kubeconfig.endsWith('\n') ? kubeconfig : `${kubeconfig}\n`);
  } catch (error) {
    if (isApiError(error, 404)) throw notFoundError(kind, name, namespace);
    throw error;
  }
  return 0;
}

export function kubeconfigCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('kubeconfig')
    .description('print the admin kubeconfig of a HostedCluster (YAML), e.g. slipway kubeconfig hc/demo > demo.kubeconfig')
    .argument('<ref>', 'hc/<name>, or hc followed by the name')
    .argument('[name]', 'the HostedCluster\'s name, when <ref> is only a kind')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (ref: string, name: string | undefined, options: KubeconfigOptions) => setExitCode(await runKubeconfig(context, ref, name, options)));
}
