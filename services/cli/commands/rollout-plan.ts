/**
 * `slipway rollout plan -f md.yaml --current <n>`: what rolling a MachineDeployment's template
 * out over n machines of an older template would do, wave by wave, computed offline with the
 * same planner the MachineDeployment workflow runs. Accepts Slipway's MachineDeployment and
 * Cluster API's (cluster.x-k8s.io v1beta1 and v1beta2).
 *
 * commands/rollout.ts has the server-side `rollout plan md/<name>`; main.ts registers that
 * `rollout` command. Its plan can hand `-f` over to runOfflineRolloutPlan; rolloutCommand here
 * is the offline command on its own.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { isPlainObject } from '../../../crds/json';
import { intakeManifests } from '../../../crds/manifests';
import type { MachineDeployment } from '../../../crds/schemas/machine-deployment';
import { previewRollout, rolloutStrategyErrors, templateRevision, type PlannedMachine, type RolloutPreview, type RolloutSpec } from '../../../workflows/planners/rollout/index';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { humanDuration, parseOutputFormat, renderColumns } from '../output';

export interface OfflinePlanOptions {
  filename?: string;
  current?: string;
  bootSeconds: string;
  drainSeconds: string;
  output?: string;
}

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

function rolloutSpecFrom(object: MachineDeployment): RolloutSpec {
  const { spec } = object;
  const rolling = spec.strategy.rollingUpdate;
  return {
    replicas: spec.replicas,
    strategy: {
      type: spec.strategy.type,
      ...(rolling?.maxSurge !== undefined ? { maxSurge: rolling.maxSurge } : {}),
      ...(rolling?.maxUnavailable !== undefined ? { maxUnavailable: rolling.maxUnavailable } : {}),
      ...(rolling?.deletePolicy !== undefined ? { deletePolicy: rolling.deletePolicy } : {}),
    },
    minReadySeconds: spec.minReadySeconds,
    paused: spec.paused,
    revision: templateRevision(spec.template),
    revisionHistoryLimit: spec.revisionHistoryLimit,
  };
}

export function offlinePreview(object: MachineDeployment, current: number, bootSeconds: number, drainSeconds: number): RolloutPreview {
  const spec = rolloutSpecFrom(object);
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
  lines.push(
    '',
    renderColumns(
      ['WAVE', 'DELETE', 'CREATE', 'EXPECTED'],
      preview.waves.map((wave, index) => [String(index + 1), wave.delete.join(',') || '-', wave.create.join(',') || '-', `${wave.expectedSeconds}s`]),
    ),
    '',
    `boot waves: ${preview.waves.filter((wave) => wave.create.length > 0).length}; ideal lower bound: ${preview.idealWaves} (no schedule within maxSurge ${preview.budget.maxSurge} and maxUnavailable ${preview.budget.maxUnavailable} boots fewer)`,
    `expected duration: ${humanDuration(preview.expectedSeconds * 1000)} (${preview.expectedSeconds}s)`,
  );
  return lines.join('\n');
}

export async function runOfflineRolloutPlan(context: CommandContext, target: string | undefined, options: OfflinePlanOptions): Promise<number> {
  if (options.filename === undefined) {
    const serverSide = target === undefined ? '' : `; the server-side plan of ${target} (slipway rollout plan machinedeployment/<name>) is not available yet`;
    throw new CliError(`give -f <manifest> for an offline plan${serverSide}`);
  }
  const format = parseOutputFormat(options.output);
  if (format !== 'table' && format !== 'json') throw new CliError(`rollout plan prints a table or -o json, not ${format}`);
  const object = machineDeploymentFrom(await readManifest(options.filename), options.filename);
  const current = options.current === undefined ? object.spec.replicas : wholeNumber(options.current, '--current');
  const preview = offlinePreview(object, current, wholeNumber(options.bootSeconds, '--boot-seconds'), wholeNumber(options.drainSeconds, '--drain-seconds'));
  if (format === 'json') {
    context.out(JSON.stringify({ waves: preview.waves.map((wave) => ({ delete: wave.delete, create: wave.create })), idealWaves: preview.idealWaves }, null, 2));
  } else {
    context.out(renderPreview(object, current, preview));
  }
  return 0;
}

export function rolloutCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  const rollout = new Command('rollout').description('plan MachineDeployment rollouts');
  rollout.addCommand(
    new Command('plan')
      .description('show the waves a template rollout takes under maxSurge/maxUnavailable, and the ideal lower bound')
      .argument('[target]', 'machinedeployment/<name> on the server (not available yet; use -f)')
      .option('-f, --filename <file>', 'a MachineDeployment manifest (slipway.dev/v1alpha1 or cluster.x-k8s.io)')
      .option('--current <n>', 'machines of the older template that exist now (default: spec.replicas)')
      .option('--boot-seconds <seconds>', 'how long a new machine takes to become Ready', '60')
      .option('--drain-seconds <seconds>', 'how long deleting a machine takes', '30')
      .option('-o, --output <format>', 'json')
      .action(async (target: string | undefined, options: OfflinePlanOptions) => setExitCode(await runOfflineRolloutPlan(context, target, options)))
      .exitOverride(),
  );
  return rollout;
}
