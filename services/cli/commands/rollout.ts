/**
 * `slipway rollout status|pause|resume|undo md/<name>`, as kubectl rollout does for a
 * Deployment: status prints progress lines (and with --watch follows the object until the
 * rollout completes); pause and resume set spec.paused; undo goes back to an earlier
 * template revision through the API's :undo. `rollout plan md/<name>` (commands/rollout-plan.ts
 * registers plan) asks the API's :plan what a change would do, wave by wave.
 */
import { Command } from 'commander';
import type { RolloutPreview } from '../../../workflows/machine-deployment/definitions';
import { isApiError, type ApiClient } from '../api-client';
import type { ObjectLike } from '../conditions';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { displayRef, notFoundError, parseObjectArgs, qualifiedName, type ObjectRef } from '../kinds';
import { observeObject, untilInterrupted } from '../observe';
import { parseOutputFormat } from '../output';
import { parseCount, parseDuration } from '../parse';
import { rolloutStatus } from '../rollout-status';
import { previewJson, renderServerPreview } from '../rollout-preview';

const KIND = 'MachineDeployment';

interface TargetOptions {
  namespace?: string;
}

interface Target extends ObjectRef {
  readonly namespace: string;
  /** How hints name it, e.g. md/web. */
  readonly ref: string;
}

/** The MachineDeployment a rollout subcommand names (`md/web` or `md web`). */
export function rolloutTarget(refArg: string, nameArg: string | undefined, options: TargetOptions): Target {
  const { kind, name } = parseObjectArgs(refArg, nameArg);
  if (kind !== KIND) throw new CliError(`rollout works on machinedeployments (md), not ${kind}s; e.g. slipway rollout status md/<name>`);
  return { kind, name, namespace: options.namespace ?? DEFAULT_NAMESPACE, ref: `md/${name}` };
}

/** Calls the API, turning a 404 into "not found" with what to do. */
async function onExisting<T>(target: Target, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isApiError(error, 404)) throw notFoundError(target.kind, target.name, target.namespace);
    throw error;
  }
}

async function followRollout(context: CommandContext, client: ApiClient, target: Target, signal: AbortSignal): Promise<boolean> {
  let shown = '';
  try {
    for await (const { object } of observeObject(client, target.kind, target.namespace, target.name, { signal })) {
      if (object === undefined) throw new CliError(`${displayRef(target.kind, target.namespace, target.name)} was deleted while its rollout was being watched`);
      const status = rolloutStatus(object, target.ref);
      if (status.line !== shown) context.out(status.line);
      shown = status.line;
      if (status.done) return true;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return false;
}

interface StatusOptions extends TargetOptions {
  watch?: boolean;
  timeout?: string;
}

export async function runRolloutStatus(context: CommandContext, refArg: string, nameArg: string | undefined, options: StatusOptions): Promise<number> {
  const target = rolloutTarget(refArg, nameArg, options);
  const timeoutMs = options.timeout ? parseDuration(options.timeout) : undefined;
  const client = await context.api();
  const object = await client.find(target.kind, target.namespace, target.name);
  if (!object) throw notFoundError(target.kind, target.name, target.namespace);
  if (!options.watch) {
    context.out(rolloutStatus(object, target.ref).line);
    return 0;
  }
  const done = await untilInterrupted(timeoutMs, (signal) => followRollout(context, client, target, signal));
  if (done) return 0;
  throw new CliError(`timed out waiting for the rollout of ${displayRef(target.kind, target.namespace, target.name)} to finish`);
}

/** pause and resume: set spec.paused, saying so when it already was. */
export async function runRolloutPause(context: CommandContext, refArg: string, nameArg: string | undefined, options: TargetOptions, paused: boolean): Promise<number> {
  const target = rolloutTarget(refArg, nameArg, options);
  const client = await context.api();
  const verb = paused ? 'paused' : 'resumed';
  const object = await client.find(target.kind, target.namespace, target.name);
  if (!object) throw notFoundError(target.kind, target.name, target.namespace);
  const spec = object.spec as { paused?: unknown } | undefined;
  if ((spec?.paused === true) === paused) {
    context.out(`${qualifiedName(target.kind, target.name)} already ${verb}`);
    return 0;
  }
  await onExisting(target, () => client.patch(target.kind, target.namespace, target.name, { spec: { paused } }));
  context.out(`${qualifiedName(target.kind, target.name)} ${verb}`);
  return 0;
}

interface UndoOptions extends TargetOptions {
  toRevision?: string;
}

export async function runRolloutUndo(context: CommandContext, refArg: string, nameArg: string | undefined, options: UndoOptions): Promise<number> {
  const target = rolloutTarget(refArg, nameArg, options);
  const toRevision = options.toRevision === undefined ? undefined : parseCount(options.toRevision, '--to-revision', 1);
  const client = await context.api();
  await onExisting(target, () => client.action<ObjectLike>(target.kind, target.namespace, target.name, 'undo', toRevision === undefined ? {} : { toRevision }));
  context.out(`${qualifiedName(target.kind, target.name)} rolled back${toRevision === undefined ? '' : ` to revision ${toRevision}`}`);
  return 0;
}

export interface PlanFlags {
  replicas?: string;
  setVersion?: string;
  setInstanceType?: string;
}

/** The merge patch the plan flags describe; undefined when they change nothing (preview the current spec). */
export function planPatch(flags: PlanFlags): { spec: Record<string, unknown> } | undefined {
  const spec: Record<string, unknown> = {};
  if (flags.replicas !== undefined) spec.replicas = parseCount(flags.replicas, '--replicas', 0);
  const machine: Record<string, unknown> = {};
  if (flags.setVersion !== undefined) machine.version = flags.setVersion;
  if (flags.setInstanceType !== undefined) machine.infrastructure = { instanceType: flags.setInstanceType };
  if (Object.keys(machine).length > 0) spec.template = { spec: machine };
  return Object.keys(spec).length > 0 ? { spec } : undefined;
}

/** What the plan's headline says is being planned. */
export function describeChange(flags: PlanFlags): string {
  const parts = [
    flags.setVersion !== undefined ? `version ${flags.setVersion}` : undefined,
    flags.setInstanceType !== undefined ? `instance type ${flags.setInstanceType}` : undefined,
    flags.replicas !== undefined ? `${flags.replicas} replicas` : undefined,
  ].filter((part) => part !== undefined);
  return parts.length > 0 ? `rolling out ${parts.join(', ')}` : 'the rollout of its current spec';
}

export interface ServerPlanOptions extends TargetOptions, PlanFlags {
  bootSeconds?: string;
  drainSeconds?: string;
  output?: string;
}

/** `rollout plan md/<name> [--replicas N] [--set-version V] [--set-instance-type T]`: the server's preview of that change. */
export async function runServerRolloutPlan(context: CommandContext, refArg: string, nameArg: string | undefined, options: ServerPlanOptions): Promise<number> {
  const target = rolloutTarget(refArg, nameArg, options);
  const format = parseOutputFormat(options.output);
  if (format !== 'table' && format !== 'json') throw new CliError(`rollout plan prints a table or -o json, not ${format}`);
  const patch = planPatch(options);
  const request = {
    ...(patch ? { patch } : {}),
    ...(options.bootSeconds !== undefined ? { bootSeconds: parseCount(options.bootSeconds, '--boot-seconds', 0) } : {}),
    ...(options.drainSeconds !== undefined ? { drainSeconds: parseCount(options.drainSeconds, '--drain-seconds', 0) } : {}),
  };
  const client = await context.api();
  const preview = await onExisting(target, () => client.action<RolloutPreview>(target.kind, target.namespace, target.name, 'plan', request));
  context.out(format === 'json' ? previewJson(preview) : renderServerPreview(target.name, describeChange(options), preview));
  return 0;
}

/** A rollout subcommand taking md/<name> (or md <name>) and -n; exits through main.ts's handler, as every command does. */
function targetCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<ref>', 'md/<name>, or md followed by the name')
    .argument('[name]', 'the MachineDeployment\'s name, when <ref> is only a kind')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .exitOverride();
}

/** Adds status, pause, resume and undo to the `rollout` command (commands/rollout-plan.ts builds it, with plan). */
export function addRolloutSubcommands(rollout: Command, context: CommandContext, setExitCode: (code: number) => void): Command {
  rollout.addCommand(
    targetCommand('status', 'show the rollout\'s progress; with --watch, follow it until it completes')
      .option('-w, --watch', 'follow the rollout until it completes (or --timeout)')
      .option('--timeout <duration>', 'with --watch: give up after this long, e.g. 10m')
      .action(async (ref: string, name: string | undefined, options: StatusOptions) => setExitCode(await runRolloutStatus(context, ref, name, options))),
  );
  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    rollout.addCommand(
      targetCommand(verb, paused ? 'stop template changes from rolling out (sets spec.paused)' : 'let template changes roll out again (clears spec.paused)').action(
        async (ref: string, name: string | undefined, options: TargetOptions) => setExitCode(await runRolloutPause(context, ref, name, options, paused)),
      ),
    );
  }
  rollout.addCommand(
    targetCommand('undo', 'roll back to the previous template revision, or to --to-revision')
      .option('--to-revision <n>', 'the revision to go back to (status.machineSets[].revisionNumber)')
      .action(async (ref: string, name: string | undefined, options: UndoOptions) => setExitCode(await runRolloutUndo(context, ref, name, options))),
  );
  return rollout;
}
