/**
 * `slipway machine delete md/<name> <machine>...` replaces machines (under OnDelete, from the
 * new template); `slipway machine annotate md/<name> <machine> key=value key-` sets or removes
 * annotations such as slipway.dev/delete-machine and slipway.dev/skip-remediation, as
 * kubectl annotate does.
 */
import { Command } from 'commander';
import { isApiError } from '../api-client';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { notFoundError, parseObjectArgs } from '../kinds';

interface MachineOptions {
  namespace?: string;
}

function machineDeploymentOf(ref: string): string {
  const { kind, name } = parseObjectArgs(ref, undefined);
  if (kind !== 'MachineDeployment') throw new CliError(`machines are reached through their MachineDeployment: give md/<name>, not ${ref}`);
  return name;
}

/** `key=value` sets, `key-` removes. */
export function parseAnnotationArgs(args: readonly string[]): Record<string, string | null> {
  if (args.length === 0) throw new CliError('give at least one annotation: key=value to set it, key- to remove it');
  return Object.fromEntries(
    args.map((arg) => {
      if (arg.endsWith('-') && !arg.includes('=')) return [arg.slice(0, -1), null];
      const at = arg.indexOf('=');
      if (at <= 0) throw new CliError(`annotation ${JSON.stringify(arg)} must look like key=value (to set) or key- (to remove)`);
      return [arg.slice(0, at), arg.slice(at + 1)];
    }),
  );
}

async function onMachineDeployment<T>(md: string, namespace: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isApiError(error, 404)) throw notFoundError('MachineDeployment', md, namespace);
    throw error;
  }
}

export function machineCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  const command = new Command('machine').description("act on single machines of a MachineDeployment (names from 'slipway describe md/<name>')");
  command
    .command('delete')
    .description('delete machines; their MachineDeployment replaces them (under OnDelete, from the new template)')
    .argument('<md>', 'md/<name>')
    .argument('<machines...>', 'machine names')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (ref: string, machines: string[], options: MachineOptions) => {
      const md = machineDeploymentOf(ref);
      const namespace = options.namespace ?? DEFAULT_NAMESPACE;
      const client = await context.api();
      for (const machine of machines) {
        await onMachineDeployment(md, namespace, () => client.deleteSubresource('MachineDeployment', namespace, md, `machines/${encodeURIComponent(machine)}`));
        context.out(`machine "${machine}" deleted; machinedeployment "${md}" replaces it`);
      }
      setExitCode(0);
    });
  command
    .command('annotate')
    .description('set (key=value) or remove (key-) annotations of one machine, e.g. slipway.dev/delete-machine=true')
    .argument('<md>', 'md/<name>')
    .argument('<machine>', 'the machine name')
    .argument('<annotations...>', 'key=value or key-')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (ref: string, machine: string, annotationArgs: string[], options: MachineOptions) => {
      const md = machineDeploymentOf(ref);
      const namespace = options.namespace ?? DEFAULT_NAMESPACE;
      const annotations = parseAnnotationArgs(annotationArgs);
      const client = await context.api();
      await onMachineDeployment(md, namespace, () =>
        client.patchSubresource('MachineDeployment', namespace, md, `machines/${encodeURIComponent(machine)}`, { metadata: { annotations } }),
      );
      context.out(`machine "${machine}" annotated`);
      setExitCode(0);
    });
  return command;
}
