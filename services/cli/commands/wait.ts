/**
 * `slipway wait --for=condition=Ready cd/demo --timeout 120s`, as kubectl wait does
 * (also `--for=condition=Ready=False` and `--for=delete`). Exits 0 when met; 1 with the
 * last state seen on timeout, or at once when the object has failed for good.
 */
import { Command } from 'commander';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { parseObjectArgs, qualifiedName } from '../kinds';
import { parseDuration, parseWaitFor } from '../parse';
import { waitForObject } from '../waiting';

interface WaitOptions {
  for: string;
  timeout: string;
  namespace?: string;
}

export async function runWait(context: CommandContext, refArg: string, nameArg: string | undefined, options: WaitOptions): Promise<number> {
  const { kind, name } = parseObjectArgs(refArg, nameArg);
  const target = parseWaitFor(options.for);
  const timeoutMs = parseDuration(options.timeout);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const client = await context.api();
  // Only the outcome line when piped, as kubectl wait prints; a spinner on a terminal.
  const progress = context.progress({ quiet: true });
  try {
    await waitForObject(client, kind, namespace, name, target, { timeoutMs, progress, label: qualifiedName(kind, name) });
  } finally {
    progress.stop();
  }
  return 0;
}

export function waitCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  return new Command('wait')
    .description('wait until an object has a condition (--for=condition=Ready) or is gone (--for=delete)')
    .argument('<ref>', '<kind>/<name>, e.g. cd/demo, or a kind followed by the name')
    .argument('[name]', 'the object\'s name, when <ref> is only a kind')
    .requiredOption('--for <target>', 'condition=<Type>[=True|False|Unknown], or delete')
    .option('--timeout <duration>', 'how long to wait, e.g. 90s, 2m, 1h', '30s')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .action(async (ref: string, name: string | undefined, options: WaitOptions) => setExitCode(await runWait(context, ref, name, options)));
}
