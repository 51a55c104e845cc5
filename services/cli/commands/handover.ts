/**
 * `slipway handover cd/<name> --to kubernetes|rest`: moves an object between its owner sides
 * through the API's :handover. Kubernetes: the custom resource of the same name drives it from
 * then on (its spec is applied; REST reads it but no longer changes it); rest: the other way.
 */
import { Command } from 'commander';
import { OWNER_SIDES, isOwnerSide, type OwnerSide } from '../../../workflows/entity/ownership';
import { isApiError } from '../api-client';
import type { ObjectLike } from '../conditions';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { notFoundError, parseObjectArgs, qualifiedName } from '../kinds';

interface HandoverOptions {
  to: string;
  namespace?: string;
}

function side(value: string): OwnerSide {
  if (!isOwnerSide(value)) throw new CliError(`--to ${JSON.stringify(value)} is not a side: use --to ${OWNER_SIDES.join(' or --to ')}`);
  return value;
}

export async function runHandover(context: CommandContext, refArg: string, nameArg: string | undefined, options: HandoverOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(refArg, nameArg);
  const to = side(options.to);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const client = await context.api();
  try {
    await client.action<ObjectLike>(kind, namespace, name, 'handover', { to });
  } catch (error) {
    if (isApiError(error, 404)) throw notFoundError(kind, name, namespace);
    throw error;
  }
  const next = to === 'kubernetes' ? 'its Kubernetes custom resource drives it; change it with kubectl' : 'REST drives it; its custom resource is a read-only view';
  context.out(`${qualifiedName(kind, name)} handed over to ${to}: ${next}`);
  return 0;
}

export function handoverCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('handover')
    .description('move an object between REST and its Kubernetes custom resource (one owner side at a time)')
    .argument('<ref>', 'cd/<name>, md/<name>, or a kind followed by the name')
    .argument('[name]', "the object's name, when <ref> is only a kind")
    .requiredOption('--to <side>', `the side that owns it from now on: ${OWNER_SIDES.join(' or ')}`)
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (ref: string, name: string | undefined, options: HandoverOptions) => setExitCode(await runHandover(context, ref, name, options)));
}
