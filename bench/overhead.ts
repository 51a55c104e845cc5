/**
 * bench:overhead: how much slower is provisioning through Slipway than bare Temporal?
 *
 * In one process, it provisions N ClusterDeployments on the simulated cloud with zero boot/delete
 * latency through the real workflows (each worker pool a MachineDeployment child workflow),
 * worker, Redis projection and cloud HTTP calls. Then it runs three baselines of N bare workflows
 * making the same activity calls as provisioning a cluster, in the same shape
 * (bench/bare-workflow.ts): no-op activities; Slipway's own activities on the same simulated
 * cloud; and those in Slipway's topology, the worker pool a child workflow. It prints each
 * throughput, Slipway's ratio against each baseline (goal: <= 1.3, aiming at 1.15), CPU by
 * process and where the time went. Usage: npm run bench:overhead -- [--clusters 200]
 *
 * Every run gets a stack of its own (a fresh Temporal dev server, Redis, cloud and workers): the
 * dev server slows as executions pile up in it, so a run on a server that had already run others
 * measured that server's past as well as its own work. Slipway goes first, so that whatever the
 * process has warmed up by then (its JIT, the workflow bundles) favours the baselines.
 */
import { parseArgs } from 'node:util';
import { clusterObject } from '../test/support/clusters';
import { entityWorkflowId } from '../workflows/entity/ids';
import { breakdownOf, printBreakdowns, type Breakdown } from './history-breakdown';
import { BARE_TASK_QUEUE, BENCH_TASK_QUEUE, startBenchPeers, timeIt, type BenchPeers } from './peers';
import { cpuByCommand, cpuSpent } from './process-usage';

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '200' }, 'control-plane': { type: 'string', default: '3' }, workers: { type: 'string', default: '3' } } });
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

/** Runs one measurement on a stack of its own, and reads back where its time went before the stack stops. */
async function measure(name: string, run: (peers: BenchPeers) => Promise<void>): Promise<Run> {
  const peers = await startBenchPeers({ bootMs: 0, deleteMs: 0 });
  try {
    const trafficBefore = { ...peers.projectionTraffic };
    const before = cpuByCommand(process.pid);
    const seconds = await timeIt(() => run(peers));
    const cpu = cpuSpent(before, cpuByCommand(process.pid));
    // Read after the timing, so reading histories costs the run nothing.
    const { breakdown } = await breakdownOf(peers.client, 'ExecutionStatus = "Running" OR ExecutionStatus = "Completed"');
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

const activitiesPerCluster = 1 + 2 * (shape.controlPlane + shape.workers);
console.log(`bench:overhead: ${clusters} clusters of ${shape.controlPlane} control-plane + ${shape.workers} worker machines, ${activitiesPerCluster} activities each, zero cloud latency, each run on a fresh stack`);
const slipway = await measure('slipway', provisionThroughSlipway);
const baselineRuns: { readonly baseline: Baseline; readonly run: Run }[] = [];
for (const baseline of BASELINES) baselineRuns.push({ baseline, run: await measure(baseline.name, (peers) => provisionBare(baseline, peers)) });
const runs = [...baselineRuns.map(({ run }) => run), slipway];

console.log(`slipway:       ${slipway.seconds.toFixed(2).padStart(6)} s, ${(clusters / slipway.seconds).toFixed(1)} clusters/s, CPU ${totalOf(slipway.cpu).toFixed(2)} s`);
for (const { baseline, run } of baselineRuns) {
  console.log(
    `${`${baseline.name}:`.padEnd(14)} ${run.seconds.toFixed(2).padStart(6)} s, ${(clusters / run.seconds).toFixed(1)} clusters/s, CPU ${totalOf(run.cpu).toFixed(2)} s (${baseline.says}); ` +
      `Slipway's ratio ${(slipway.seconds / run.seconds).toFixed(3)}, CPU ratio ${(totalOf(slipway.cpu) / totalOf(run.cpu)).toFixed(3)}`,
  );
}
console.log("goal: a ratio <= 1.3, aiming at 1.15 (the bare baseline's throughput over Slipway's). Against bare-cloud the ratio is orchestration alone; against pooled-cloud, Slipway's runtime alone.");
// CPU is the steadier figure on a shared machine: wall time moves with whatever else runs.
console.log(`CPU by process${' '.repeat(21)}${runs.map((run) => run.name.padStart(14)).join('')}`);
const commands = [...slipway.cpu].sort((a, b) => b[1] - a[1]).map(([command]) => command);
for (const command of commands) {
  const spent = runs.map((run) => run.cpu.get(command) ?? 0);
  if (spent.some((seconds) => seconds >= 0.05)) console.log(`  ${command.padEnd(34)}${spent.map((seconds) => `${seconds.toFixed(2)} s`.padStart(14)).join('')}`);
}
console.log('where the time went (activity time is scheduled to closed, workflow-task time scheduled to completed):');
printBreakdowns(clusters, [slipway, ...baselineRuns.map(({ run }) => run)]);
// The SDK's native runtime keeps the event loop alive after every connection has closed.
process.exit(0);
