/**
 * `slipway rollout plan -f md.yaml --current <n>`: what rolling a MachineDeployment's template
 * out over n machines of an older template would do, wave by wave, computed offline with the
 * same planner the MachineDeployment workflow runs. Accepts Slipway's MachineDeployment and
 * Cluster API's (cluster.x-k8s.io v1beta1 and v1beta2).
 *
 * Given md/<name> instead of -f, `rollout plan` asks the server (commands/rollout.ts), which
 * also adds status, pause, resume and undo to the `rollout` command built here.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { isPlainObject } from '../../../crds/json';
import { intakeManifests } from '../../../crds/manifests';
import type { MachineDeployment } from '../../../crds/schemas/machine-deployment';
import { previewRollout, rolloutStrategyErrors, templateRevision, type PlannedMachine, type RolloutPreview } from '../../../workflows/planners/rollout/index';
import { rolloutSpecOf } from '../../../workflows/machine-deployment/state';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { parseOutputFormat } from '../output';
import { previewJson, renderWaves } from '../rollout-preview';
import { addRolloutSubcommands, runServerRolloutPlan, type ServerPlanOptions } from './rollout';

export interface OfflinePlanOptions {
  filename?: string;
  current?: string;
  bootSeconds?: string;
  drainSeconds?: string;
  output?: string;
}

const DEFAULT_BOOT_SECONDS = '60';
const DEFAULT_DRAIN_SECONDS = '30';

/** The MachineSet the assumed older machines belong to, and their names' stem. */
const PREVIOUS_SET = 'previous';
const PREVIOUS_MACHINE = 'old';

async function readManifest(filename: string): Promise<string> {
  try {
    return await readFile(filename, 'utf8');
  } catch (error) {
    const code = isPlainObject(error) && typeof error.code === 'string' ? error.code : '';
    if (code === 'ENOENT') throw new CliError(`${filename} does not exist; pass a MachineDeployment manifest file`);
    throw new CliError(`cannot read ${filename}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function machineDeploymentFrom(text: string, filename: string): MachineDeployment {
  const intake = intakeManifests(text);
  if (!intake.ok) throw new CliError(`${filename} is not a valid manifest`, intake.errors.map((error) => `${error.path}: ${error.message}`));
  const found = intake.objects.filter((accepted) => accepted.kind === 'MachineDeployment');
  if (found.length !== 1) throw new CliError(`${filename} holds ${found.length} MachineDeployments; a plan needs exactly one`);
  return found[0]?.object as MachineDeployment;
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new CliError(`${flag} must be a whole number of ${flag === '--current' ? 'machines' : 'seconds'}, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function offlinePreview(object: MachineDeployment, current: number, bootSeconds: number, drainSeconds: number): RolloutPreview {
  const spec = rolloutSpecOf(object, templateRevision(object.spec.template));
  const problems = rolloutStrategyErrors(spec.strategy);
  if (problems.length > 0) throw new CliError(`the rollout strategy of ${object.metadata.name} cannot be planned`, problems.map((problem) => `${problem.path}: ${problem.message}`));
  const machines: PlannedMachine[] = Array.from({ length: current }, (_, index) => ({ name: `${PREVIOUS_MACHINE}-${index}`, machineSet: PREVIOUS_SET, createdAt: index, state: 'Ready', readySince: index }));
  return previewRollout({
    spec,
    machineSets: [{ name: PREVIOUS_SET, revision: PREVIOUS_SET, replicas: current, revisionNumber: 1 }],
    machines,
    bootSeconds,
    drainSeconds,
    namePrefix: `${object.metadata.name}-`,
    now: current,
  });
}

function renderPreview(object: MachineDeployment, current: number, preview: RolloutPreview): string {
  const { spec } = object;
  const lines = [
    `MachineDeployment ${object.metadata.name}: ${current} machines of an older template to ${spec.replicas} of revision ${templateRevision(spec.template)} (${spec.strategy.type}, maxSurge ${preview.budget.maxSurge}, maxUnavailable ${preview.budget.maxUnavailable})`,
  ];
  if (preview.waves.length === 0) {
    if (spec.paused) lines.push('paused: nothing rolls out until spec.paused is false');
    else if (spec.strategy.type === 'OnDelete') lines.push('OnDelete: machines are replaced only as someone deletes them, so nothing happens on its own');
    else lines.push('nothing to do');
    return lines.join('\n');
  }
  lines.push(...renderWaves({ ...preview, maxSurge: preview.budget.maxSurge, maxUnavailable: preview.budget.maxUnavailable }));
  return lines.join('\n');
}

export async function runOfflineRolloutPlan(context: CommandContext, options: OfflinePlanOptions & { filename: string }): Promise<number> {
  const format = parseOutputFormat(options.output);
  if (format !== 'table' && format !== 'json') throw new CliError(`rollout plan prints a table or -o json, not ${format}`);
  const object = machineDeploymentFrom(await readManifest(options.filename), options.filename);
  const current = options.current === undefined ? object.spec.replicas : wholeNumber(options.current, '--current');
  const bootSeconds = wholeNumber(options.bootSeconds ?? DEFAULT_BOOT_SECONDS, '--boot-seconds');
  const preview = offlinePreview(object, current, bootSeconds, wholeNumber(options.drainSeconds ?? DEFAULT_DRAIN_SECONDS, '--drain-seconds'));
  context.out(format === 'json' ? previewJson(preview) : renderPreview(object, current, preview));
  return 0;
}

type PlanOptions = OfflinePlanOptions & ServerPlanOptions;

/** -f plans offline; md/<name> asks the server. */
export async function runRolloutPlan(context: CommandContext, target: string | undefined, options: PlanOptions): Promise<number> {
  const { filename } = options;
  if (filename !== undefined) {
    const serverOnly = [target !== undefined && target, options.replicas !== undefined && '--replicas', options.setVersion !== undefined && '--set-version', options.setInstanceType !== undefined && '--set-instance-type'].filter(Boolean);
    if (serverOnly.length > 0) throw new CliError(`-f plans the manifest offline, so ${serverOnly.join(', ')} cannot go with it; edit the manifest, or drop -f to plan md/<name> on the server`);
    return runOfflineRolloutPlan(context, { ...options, filename });
  }
  if (target === undefined) throw new CliError('give -f <manifest> for an offline plan, or md/<name> for the plan of a MachineDeployment on the server');
  if (options.current !== undefined) throw new CliError('--current goes with -f: the server knows how many machines there are');
  return runServerRolloutPlan(context, target, undefined, options);
}

export function rolloutCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  const rollout = new Command('rollout').description('manage MachineDeployment rollouts: plan, status, pause, resume, undo');
  rollout.addCommand(
    new Command('plan')
      .description('show the waves a rollout takes under maxSurge/maxUnavailable, and the ideal lower bound: of a manifest (-f), or of a change to md/<name> on the server')
      .argument('[target]', 'md/<name>: plan a change to this MachineDeployment on the server (instead of -f)')
      .option('-f, --filename <file>', 'a MachineDeployment manifest (slipway.dev/v1alpha1 or cluster.x-k8s.io), planned offline')
      .option('--current <n>', 'with -f: machines of the older template that exist now (default: spec.replicas)')
      .option('--replicas <n>', 'with md/<name>: plan scaling to this many machines')
      .option('--set-version <version>', 'with md/<name>: plan a new spec.template.spec.version')
      .option('--set-instance-type <type>', 'with md/<name>: plan a new instance type')
      .option('--boot-seconds <seconds>', `how long a new machine takes to become Ready (offline default ${DEFAULT_BOOT_SECONDS})`)
      .option('--drain-seconds <seconds>', `how long deleting a machine takes (offline default ${DEFAULT_DRAIN_SECONDS})`)
      .option('-n, --namespace <namespace>', 'with md/<name>: namespace (default "default")')
      .option('-o, --output <format>', 'json')
      .action(async (target: string | undefined, options: PlanOptions) => setExitCode(await runRolloutPlan(context, target, options)))
      .exitOverride(),
  );
  return addRolloutSubcommands(rollout, context, setExitCode);
}
