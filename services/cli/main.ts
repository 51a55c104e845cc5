/**
 * The `slipway` command line (bin/slipway runs this on Node >= 22). Finds the API through
 * SLIPWAY_HOME (default ~/.slipway) or SLIPWAY_API_URL/SLIPWAY_API_TOKEN; see target.ts.
 * Errors meant for people print as `error: ...` on stderr with exit code 1; stdout carries
 * only the command's output, so `-o json` can be piped.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { toCliError } from './api-client';
import { applyCommand } from './commands/apply';
import { cloudCommand } from './commands/cloud';
import { deleteCommand } from './commands/delete';
import { describeCommand } from './commands/describe';
import { getCommand } from './commands/get';
import { handoverCommand } from './commands/handover';
import { kubeconfigCommand } from './commands/kubeconfig';
import { rolloutCommand } from './commands/rollout-plan';
import { scaleCommand } from './commands/scale';
import { sweepCommand } from './commands/sweep';
import { machineCommand } from './commands/machine';
import { waitCommand } from './commands/wait';
import { createContext, type CommandContext } from './context';
import { isCliError } from './errors';

function packageVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(context: CommandContext, setExitCode: (code: number) => void): Command {
  const program = new Command('slipway')
    .description('Slipway: cluster lifecycle on Temporal. Talks to the API of the dev stack (npm run dev) or of SLIPWAY_API_URL.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => context.stderr.write(text), writeOut: (text) => context.stdout.write(text) })
    .exitOverride();
  for (const make of [applyCommand, getCommand, describeCommand, waitCommand, deleteCommand, scaleCommand, rolloutCommand, machineCommand, handoverCommand, kubeconfigCommand, cloudCommand, sweepCommand]) {
    program.addCommand(make(context, setExitCode).exitOverride());
  }
  program.addHelpText(
    'after',
    `
Examples:
  slipway apply -f cluster.yaml --watch
  slipway get cd
  slipway describe cluster demo
  slipway wait --for=condition=Ready cd/demo --timeout 10m
  slipway delete cd demo --wait
  slipway apply -f machine-deployment.yaml
  slipway get md
  slipway scale md/web --replicas 5
  slipway rollout status md/web --watch
  slipway rollout plan md/web --set-version v1.35.0
  slipway handover cd/demo --to kubernetes
  slipway cloud ls --tag slipway.dev/cluster=<infraID>
  slipway sweep --platform simulated --min-age 30m
  slipway sweep schedule create nightly --platform aws --region us-east-1 --every 24h --delete

Environment:
  SLIPWAY_HOME       dev-stack state, token and endpoints.json (default ~/.slipway)
  SLIPWAY_API_URL    the API's base URL (overrides endpoints.json)
  SLIPWAY_API_TOKEN  the API's bearer token (overrides $SLIPWAY_HOME/token)`,
  );
  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], context: CommandContext = createContext()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(context, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help/version text).
      return error.exitCode === 0 ? 0 : 1;
    }
    const problem = toCliError(error);
    if (isCliError(problem)) {
      context.err(`error: ${problem.message}`);
      for (const line of problem.details) context.err(`  ${line}`);
      return problem.exitCode;
    }
    context.err(`error: unexpected failure, please report it: ${problem instanceof Error ? (problem.stack ?? problem.message) : String(problem)}`);
    return 2;
  }
}

/** Exits once stdout and stderr have flushed, so piped output is never cut short. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

const entry = process.argv[1];
const invokedDirectly = entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href;
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then(exitAfterFlush, (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exitAfterFlush(2);
  });
}
