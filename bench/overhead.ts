/**
 * bench:overhead: how much slower is provisioning through Slipway than bare Temporal?
 *
 * In one process, it provisions N ClusterDeployments on the simulated cloud with zero boot/delete
 * latency through the real workflows (each worker pool a MachineDeployment child workflow),
 * worker, Redis projection and cloud HTTP calls. Then it runs three baselines of N bare workflows
 * making the same activity calls as provisioning a cluster, in the same shape
 * (bench/bare-workflow.ts): no-op activities; Slipway's own activities on the same simulated
 * cloud; and those in Slipway's topology, the worker pool a child workflow. It prints each
 * throughput, Slipway's ratio against each baseline, the goal's verdict (Slipway's runtime against
 * the baseline in its own topology: <= 1.3, aiming at 1.15), the CPU each cluster costs, CPU by
 * process and where the time went. Usage: npm run bench:overhead -- [--clusters 200] [--rounds 3]
 *
 * Every run gets a stack of its own (a fresh Temporal dev server, Redis, cloud and workers): the
 * dev server slows as executions pile up in it, so a run on a server that had already run others
 * measured that server's past as well as its own work. Slipway goes first, so that whatever the
 * process has warmed up by then (its JIT, the workflow bundles) favours the baselines. The four
 * runs are repeated in rounds and the medians reported: on this shared machine the same run's
 * CPU moved by a quarter from one minute to the next, and a ratio of runs in the same round is
 * steadier than one of runs minutes apart.
 */
import { parseArgs } from 'node:util';
import { clusterObject } from '../test/support/clusters';
import { entityWorkflowId } from '../workflows/entity/ids';
import { breakdownOf, printBreakdowns, type Breakdown } from './history-breakdown';
import { BARE_TASK_QUEUE, BENCH_TASK_QUEUE, startBenchPeers, timeIt, type BenchPeers } from './peers';
import { cpuByCommand, cpuSpent } from './process-usage';

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '200' }, 'control-plane': { type: 'string', default: '3' }, workers: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const clusters = Number(values.clusters);
const shape = { controlPlane: Number(values['control-plane']), workers: Number(values.workers) };

/** Follows the projection's change stream until every cluster has reported Ready. */
async function provisionThroughSlipway({ client, projection }: BenchPeers): Promise<void> {
  const ready = new Set<string>();
  const watch = (async () => {
    for await (const event of projection.watch('ClusterDeployment', { resourceVersion: '0' }, AbortSignal.timeout(600_000))) {
      const object = event.object as { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } };
      if (object.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True')) ready.add(object.metadata.name);
      if (ready.size === clusters) return;
    }
  })();
  await Promise.all(
    Array.from({ length: clusters }, (_, index) => {
      const object = clusterObject(`bench-${index}`, { controlPlane: { replicas: shape.controlPlane }, compute: [{ name: 'worker', replicas: shape.workers }] });
      return client.workflow.start('clusterDeploymentWorkflow', {
        workflowId: entityWorkflowId('ClusterDeployment', 'default', object.metadata.name),
        taskQueue: BENCH_TASK_QUEUE,
        args: [{ object, managementId: 'bench' }],
      });
    }),
  );
  await watch;
}

/** A baseline: N bare workflows of one type, their activities no-ops or Slipway's own on the simulated cloud. */
interface Baseline {
  readonly name: string;
  readonly says: string;
  readonly workflowType: 'bareProvisionWorkflow' | 'bareClusterWithPoolWorkflow';
  readonly cloud: boolean;
}

const BASELINES: readonly Baseline[] = [
  { name: 'bare', says: 'one workflow a cluster, no-op activities', workflowType: 'bareProvisionWorkflow', cloud: false },
  { name: 'bare-cloud', says: "one workflow a cluster, Slipway's activities on the same cloud", workflowType: 'bareProvisionWorkflow', cloud: true },
  { name: 'pooled-cloud', says: 'the same, with the worker pool a child workflow that signals its cluster, as in Slipway', workflowType: 'bareClusterWithPoolWorkflow', cloud: true },
];

async function provisionBare(baseline: Baseline, { client }: BenchPeers): Promise<void> {
  await Promise.all(
    Array.from({ length: clusters }, (_, index) => {
      const workflowId = `${baseline.name}-${index}`;
      const cloud = baseline.cloud ? { target: { platform: 'simulated' as const, region: 'local-1' }, managementId: 'bench-baseline', infraId: workflowId } : undefined;
      return client.workflow.execute(baseline.workflowType, { workflowId, taskQueue: BARE_TASK_QUEUE, args: [{ shape, ...(cloud ? { cloud } : {}) }] });
    }),
  );
}

type CpuUse = Map<string, number>;
interface Run {
  readonly name: string;
  readonly seconds: number;
  readonly cpu: CpuUse;
  readonly breakdown: Breakdown;
}
const totalOf = (spent: CpuUse) => [...spent.values()].reduce((sum, seconds) => sum + seconds, 0);

/** Runs one measurement on a stack of its own and, if asked, reads back where its time went before the stack stops. */
async function measure(name: string, run: (peers: BenchPeers) => Promise<void>, withBreakdown: boolean): Promise<Run> {
  const peers = await startBenchPeers({ bootMs: 0, deleteMs: 0 });
  try {
    const trafficBefore = { ...peers.projectionTraffic };
    const before = cpuByCommand(process.pid);
    const seconds = await timeIt(() => run(peers));
    const cpu = cpuSpent(before, cpuByCommand(process.pid));
    if (!withBreakdown) return { name, seconds, cpu, breakdown: new Map() };
    // Read after the timing, so reading histories costs the run nothing; the stack ran nothing else.
    const { breakdown } = await breakdownOf(peers.client);
    const changes = peers.projectionTraffic.changes - trafficBefore.changes;
    if (changes > 0) {
      // Outside the histories: what the workflows handed the projection writer, and what it wrote to Redis after coalescing.
      breakdown.set('projection changes (sink)', { count: changes, seconds: 0 });
      breakdown.set('projection writes (Redis)', { count: peers.projectionTraffic.writes - trafficBefore.writes, seconds: 0 });
    }
    return { name, seconds, cpu, breakdown };
  } finally {
    await peers.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
const figures = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(', ');

/** bench:overhead's goal for Slipway's runtime (issue 13), and what it aims at. */
const GOAL_RATIO = 1.3;
const AIM_RATIO = 1.15;

const activitiesPerCluster = 1 + 2 * (shape.controlPlane + shape.workers);
console.log(`bench:overhead: ${clusters} clusters of ${shape.controlPlane} control-plane + ${shape.workers} worker machines, ${activitiesPerCluster} activities each, zero cloud latency, each run on a fresh stack, ${rounds} rounds`);
const slipwayRuns: Run[] = [];
const baselineRuns = new Map<Baseline, Run[]>(BASELINES.map((baseline) => [baseline, []]));
/** Slipway's CPU over a baseline run's, both of the same round. */
const cpuRatio = (run: Run, round: number) => totalOf(slipwayRuns[round]!.cpu) / totalOf(run.cpu);
for (let round = 0; round < rounds; round += 1) {
  slipwayRuns.push(await measure('slipway', provisionThroughSlipway, round === 0));
  for (const baseline of BASELINES) baselineRuns.get(baseline)!.push(await measure(baseline.name, (peers) => provisionBare(baseline, peers), round === 0));
  const ratios = BASELINES.map((baseline) => `${baseline.name} ${cpuRatio(baselineRuns.get(baseline)![round]!, round).toFixed(2)}`);
  console.log(`round ${round + 1}: Slipway's CPU ratio against ${ratios.join(', ')}`);
}

const slipwaySeconds = slipwayRuns.map((run) => run.seconds);
const slipwayCpu = median(slipwayRuns.map((run) => totalOf(run.cpu)));
console.log(`slipway:       ${median(slipwaySeconds).toFixed(2).padStart(6)} s, ${(clusters / median(slipwaySeconds)).toFixed(1)} clusters/s, CPU ${slipwayCpu.toFixed(2)} s (medians)`);
const medianCpuRatio = new Map<string, number>();
const medianCpu = new Map<string, number>();
for (const [baseline, runs] of baselineRuns) {
  const seconds = median(runs.map((run) => run.seconds));
  const timeRatios = runs.map((run, round) => slipwayRuns[round]!.seconds / run.seconds);
  const cpuRatios = runs.map(cpuRatio);
  medianCpuRatio.set(baseline.name, median(cpuRatios));
  medianCpu.set(baseline.name, median(runs.map((run) => totalOf(run.cpu))));
  console.log(
    `${`${baseline.name}:`.padEnd(14)} ${seconds.toFixed(2).padStart(6)} s, ${(clusters / seconds).toFixed(1)} clusters/s, CPU ${medianCpu.get(baseline.name)!.toFixed(2)} s (${baseline.says}); ` +
      `Slipway's ratio ${median(timeRatios).toFixed(3)} (${figures(timeRatios)}), CPU ratio ${median(cpuRatios).toFixed(3)} (${figures(cpuRatios)})`,
  );
}
// The goal is measured against the baseline with Slipway's topology: each worker pool being an
// entity of its own is a design decision, priced on its own line below (README, "Tests and benchmarks").
const runtimeRatio = medianCpuRatio.get('pooled-cloud')!;
const verdict = runtimeRatio <= GOAL_RATIO ? (runtimeRatio <= AIM_RATIO ? 'met, and the aim too' : `met; the aim of ${AIM_RATIO} not yet`) : 'NOT met';
console.log(`goal: Slipway's runtime against pooled-cloud, CPU ratio <= ${GOAL_RATIO}, aiming at ${AIM_RATIO}: ${runtimeRatio.toFixed(2)}, ${verdict}`);
const perCluster = (seconds: number) => `${((seconds * 1000) / clusters).toFixed(0)} ms`;
const bareCloudCpu = medianCpu.get('bare-cloud')!;
const pooledCloudCpu = medianCpu.get('pooled-cloud')!;
console.log(
  `price per cluster provisioned, in CPU: Slipway ${perCluster(slipwayCpu)}, bare-cloud ${perCluster(bareCloudCpu)}; ` +
    `the difference, ${perCluster(slipwayCpu - bareCloudCpu)}, is the pool's own workflow (pooled-cloud over bare-cloud: ${perCluster(pooledCloudCpu - bareCloudCpu)}, ratio ${(pooledCloudCpu / bareCloudCpu).toFixed(2)}) and Slipway's runtime (${perCluster(slipwayCpu - pooledCloudCpu)})`,
);
// CPU is the steadier figure on a shared machine: wall time moves with whatever else runs.
const columns = [...[...baselineRuns].map(([baseline, runs]) => ({ name: baseline.name, runs })), { name: 'slipway', runs: slipwayRuns }];
console.log(`CPU by process (medians)${' '.repeat(11)}${columns.map((column) => column.name.padStart(14)).join('')}`);
const commands = [...slipwayRuns[0]!.cpu].sort((a, b) => b[1] - a[1]).map(([command]) => command);
for (const command of commands) {
  const spent = columns.map((column) => median(column.runs.map((run) => run.cpu.get(command) ?? 0)));
  if (spent.some((seconds) => seconds >= 0.05)) console.log(`  ${command.padEnd(34)}${spent.map((seconds) => `${seconds.toFixed(2)} s`.padStart(14)).join('')}`);
}
console.log("where the first round's time went (activity time is scheduled to closed, workflow-task time scheduled to completed):");
printBreakdowns(clusters, [slipwayRuns[0]!, ...[...baselineRuns.values()].map((runs) => runs[0]!)]);
// The SDK's native runtime keeps the event loop alive after every connection has closed.
process.exit(0);
