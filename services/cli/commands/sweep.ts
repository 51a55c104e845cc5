/**
 * `slipway sweep`: orphan sweeps through the API.
 *   slipway sweep --platform P [--region R] [--min-age 1h] [--max-deletions N] [--delete] [-o json]
 *     runs one sweep (a dry run unless --delete), waits for it, and prints the counts per decision;
 *   slipway sweep schedule create|list|pause|unpause|delete manage the Temporal Schedules that start them.
 */
import { Command } from 'commander';
import { GROUP_VERSION } from '../../../crds/schemas/common';
import { SWEEP_DECISIONS } from '../../../workflows/planners/sweep/decision';
import type { SweepObject } from '../../../workflows/sweep/definitions';
import type { ScheduleObject } from '../../api/routes/sweep-schemas';
import { DEFAULT_NAMESPACE, type CommandContext } from '../context';
import { CliError } from '../errors';
import { formatDocument, renderColumns } from '../output';
import { parseCount, parseDuration } from '../parse';

interface SweepSettingsOptions {
  platform?: string;
  region?: string;
  credentialsSecret?: string;
  minAge?: string;
  maxDeletions?: string;
  delete?: boolean;
  namespace?: string;
  output?: string;
}

interface SweepRunOptions extends SweepSettingsOptions {
  name?: string;
  timeout: string;
}

interface ScheduleCreateOptions extends SweepSettingsOptions {
  every: string;
  paused?: boolean;
  keepReports?: string;
}

const collection = (namespace: string, plural: 'sweeps' | 'sweepschedules') => `/apis/${GROUP_VERSION}/namespaces/${encodeURIComponent(namespace)}/${plural}`;

function outputFormat(text: string | undefined): 'table' | 'json' | 'yaml' {
  if (text === undefined || text === '') return 'table';
  if (text === 'json' || text === 'yaml') return text;
  throw new CliError(`unknown output format ${JSON.stringify(text)}: use -o json or -o yaml`);
}

function settingsOf(options: SweepSettingsOptions) {
  if (!options.platform) throw new CliError('give the platform to sweep with --platform (simulated, aws, azure, gcp, vsphere or baremetal)');
  const seconds = (text: string) => Math.floor(parseDuration(text) / 1000);
  return {
    platform: options.platform,
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentialsSecret ? { credentialsSecret: options.credentialsSecret } : {}),
    mode: options.delete ? 'delete' : 'dry-run',
    ...(options.minAge !== undefined ? { minAgeSeconds: seconds(options.minAge) } : {}),
    ...(options.maxDeletions !== undefined ? { maxDeletions: parseCount(options.maxDeletions, '--max-deletions', 0) } : {}),
  };
}

/** The report as people read it: counts per decision, then each decision that changed or would change something, or failed. */
export function sweepReportLines(sweep: SweepObject): string {
  const { status, spec } = sweep;
  const verb = spec.mode === 'delete' ? '' : ' (dry run: nothing was changed)';
  const counts = renderColumns(['DECISION', 'COUNT'], SWEEP_DECISIONS.filter((decision) => status.counts[decision] > 0).map((decision) => [decision, String(status.counts[decision])]));
  const notable = status.decisions.filter((record) => record.decision === 'deleted' || record.decision === 'marked' || record.decision === 'error' || record.decision === 'kept-capped');
  const details = notable.length > 0 ? `\n${renderColumns(['DECISION', 'KIND', 'NAME', 'CLUSTER', 'REASON'], notable.map((record) => [record.decision, record.kind, record.name, record.cluster ?? '', record.reason]))}` : '';
  const conditions = status.conditions.map((condition) => `${condition.type}: ${condition.message}`).join('\n');
  return [`sweep ${sweep.metadata.name} on ${spec.platform}${spec.region ? `/${spec.region}` : ''}: ${status.phase}, ${status.scanned} resources scanned${verb}`, conditions, status.scanned > 0 ? counts : '', details.trimStart()]
    .filter((part) => part !== '')
    .join('\n');
}

async function runSweep(context: CommandContext, options: SweepRunOptions): Promise<number> {
  const format = outputFormat(options.output);
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const timeoutMs = parseDuration(options.timeout);
  const client = await context.api();
  const started = await client.request<SweepObject>('POST', collection(namespace, 'sweeps'), {
    apiVersion: GROUP_VERSION,
    kind: 'Sweep',
    ...(options.name ? { metadata: { name: options.name } } : {}),
    spec: settingsOf(options),
  });
  const path = `${collection(namespace, 'sweeps')}/${encodeURIComponent(started.metadata.name)}`;
  const deadline = Date.now() + timeoutMs;
  let sweep = started;
  while (sweep.status.phase === 'Running') {
    if (Date.now() > deadline) throw new CliError(`sweep ${started.metadata.name} is still running after ${options.timeout}; read it later with GET ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    sweep = await client.request<SweepObject>('GET', path);
  }
  context.out(format === 'table' ? sweepReportLines(sweep) : formatDocument(sweep, format));
  return sweep.status.phase === 'Failed' ? 1 : 0;
}

function scheduleRows(items: readonly ScheduleObject[]): string {
  return renderColumns(
    ['NAME', 'PLATFORM', 'REGION', 'EVERY', 'MODE', 'PAUSED', 'RUNS', 'NEXT'],
    items.map((item) => [item.metadata.name, item.spec.platform, item.spec.region ?? '', `${item.spec.intervalSeconds}s`, item.spec.mode ?? 'dry-run', String(item.status.paused), String(item.status.runs), item.status.nextRunAt ?? '']),
  );
}

function scheduleCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  const schedule = new Command('schedule').description('Temporal Schedules that start sweeps (overlap SKIP: a run still going makes the next start skip)');
  // `sweep` declares the same options (-n, -o, --platform...), and commander may hand them to it: each action reads them with the globals.
  const namespaced = (command: Command) => command.option('-n, --namespace <namespace>', 'namespace (default "default")');
  const path = (namespace: string | undefined, name?: string) => `${collection(namespace ?? DEFAULT_NAMESPACE, 'sweepschedules')}${name ? `/${encodeURIComponent(name)}` : ''}`;

  schedule.addCommand(
    withSettings(namespaced(new Command('create').argument('<name>')))
      .requiredOption('--every <duration>', 'how often a sweep starts (e.g. 30m, 6h)')
      .option('--paused', 'create it paused')
      .option('--keep-reports <count>', 'how many of its Sweep objects stay listed, newest first (default 20)')
      .description('create a schedule')
      .action(async (name: string, _options: ScheduleCreateOptions, command: Command) => {
        const options = command.optsWithGlobals<ScheduleCreateOptions>();
        const created = await (await context.api()).request<ScheduleObject>('POST', path(options.namespace), {
          apiVersion: GROUP_VERSION,
          kind: 'SweepSchedule',
          metadata: { name },
          spec: {
            ...settingsOf(options),
            intervalSeconds: Math.floor(parseDuration(options.every) / 1000),
            ...(options.paused ? { paused: true } : {}),
            ...(options.keepReports !== undefined ? { keepReports: parseCount(options.keepReports, '--keep-reports', 1) } : {}),
          },
        });
        context.out(outputFormat(options.output) === 'table' ? `sweepschedule/${created.metadata.name} created` : formatDocument(created, outputFormat(options.output) as 'json'));
        setExitCode(0);
      })
      .exitOverride(),
  );
  schedule.addCommand(
    namespaced(new Command('list').alias('ls'))
      .option('-o, --output <format>', 'json or yaml')
      .description('list the schedules with their runs and next start')
      .action(async (_options: unknown, command: Command) => {
        const options = command.optsWithGlobals<{ namespace?: string; output?: string }>();
        const list = await (await context.api()).request<{ items: ScheduleObject[] }>('GET', path(options.namespace));
        const format = outputFormat(options.output);
        if (format !== 'table') context.out(formatDocument(list, format));
        else if (list.items.length === 0) context.err('No sweep schedules.');
        else context.out(scheduleRows(list.items));
        setExitCode(0);
      })
      .exitOverride(),
  );
  for (const [verb, description] of [['pause', 'pause a schedule'], ['unpause', 'start a paused schedule again']] as const) {
    schedule.addCommand(
      namespaced(new Command(verb).argument('<name>'))
        .description(description)
        .action(async (name: string, _options: unknown, command: Command) => {
          const options = command.optsWithGlobals<{ namespace?: string }>();
          await (await context.api()).request('POST', `${path(options.namespace, name)}:${verb}`);
          context.out(`sweepschedule/${name} ${verb}d`);
          setExitCode(0);
        })
        .exitOverride(),
    );
  }
  schedule.addCommand(
    namespaced(new Command('delete').argument('<name>'))
      .description('delete a schedule (the sweeps it started stay listed)')
      .action(async (name: string, _options: unknown, command: Command) => {
        const options = command.optsWithGlobals<{ namespace?: string }>();
        await (await context.api()).request('DELETE', path(options.namespace, name));
        context.out(`sweepschedule/${name} deleted`);
        setExitCode(0);
      })
      .exitOverride(),
  );
  return schedule;
}

function withSettings(command: Command): Command {
  return command
    .option('--platform <platform>', 'simulated, aws, azure, gcp, vsphere or baremetal (required)')
    .option('--region <region>', 'the region (account) to sweep')
    .option('--credentials-secret <name>', 'the credentials secret in the namespace; the worker\'s own profile when absent')
    .option('--min-age <duration>', 'grace period: younger resources are kept (default 1h)')
    .option('--max-deletions <count>', 'at most this many deletions (and marks) per run; more raises the DeletionCapReached alert (default 100)')
    .option('--delete', 'mark orphans, and delete those an earlier run marked (default: a dry run that changes nothing)')
    .option('-o, --output <format>', 'json or yaml');
}

export function sweepCommand(context: CommandContext, setExitCode: (code: number) => void): Command {
  const sweep = withSettings(new Command('sweep'))
    .description('find cloud resources no live cluster owns: a dry run unless --delete; see "slipway sweep schedule" for scheduled runs')
    .option('-n, --namespace <namespace>', 'namespace (default "default")')
    .option('--name <name>', 'name of the Sweep object (generated when absent)')
    .option('--timeout <duration>', 'how long to wait for the report', '10m')
    .action(async (options: SweepRunOptions) => setExitCode(await runSweep(context, options)))
    .exitOverride();
  sweep.addCommand(scheduleCommand(context, setExitCode).exitOverride());
  return sweep;
}
