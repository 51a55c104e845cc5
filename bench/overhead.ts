/**
 * bench:overhead: how much slower is provisioning through Slipway than bare Temporal?
 *
 * On one Temporal dev server, in one process, it (1) runs N bare workflows making the same
 * activity calls as provisioning a cluster, in the same shape, each a no-op, (2) the same with
 * each cluster's worker pool in a child workflow, as Slipway has it, then (3) provisions N ClusterDeployments on the simulated cloud with zero boot/delete latency
 * through the real workflows (each worker pool a MachineDeployment child workflow), worker,
 * Redis projection and cloud HTTP calls. It prints the throughputs and their ratios (goal:
 * <= 1.3, aiming at 1.15), against the flat baseline and against one with Slipway's topology
 * (bench/bare-workflow.ts says what each holds). Usage: npm run bench:overhead -- [--clusters 200]
 */
import { parseArgs } from 'node:util';
import { clusterObject } from '../test/support/clusters';
import { entityWorkflowId } from '../workflows/entity/ids';
import { breakdownOf, printBreakdowns } from './history-breakdown';
import { BARE_TASK_QUEUE, BENCH_TASK_QUEUE, startBenchPeers, timeIt } from './peers';
import { cpuByCommand, cpuSpent } from './process-usage';

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '200' }, 'control-plane': { type: 'string', default: '3' }, workers: { type: 'string', default: '3' } } });
const clusters = Number(values.clusters);
const shape = { controlPlane: Number(values['control-plane']), workers: Number(values.workers) };
const peers = await startBenchPeers({ bootMs: 0, deleteMs: 0 });
const { client, projection } = peers;

/** Follows the projection's change stream until every cluster has reported Ready. */
async function provisionThroughSlipway(): Promise<void> {
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

async function provisionBare(workflowType: 'bareProvisionWorkflow' | 'bareClusterWithPoolWorkflow', prefix: string): Promise<void> {
  await Promise.all(
    Array.from({ length: clusters }, (_, index) =>
      client.workflow.execute(workflowType, { workflowId: `${prefix}-${index}`, taskQueue: BARE_TASK_QUEUE, args: [shape] }),
    ),
  );
}

type CpuUse = Map<string, number>;
const totalOf = (spent: CpuUse) => [...spent.values()].reduce((sum, seconds) => sum + seconds, 0);

try {
  const activitiesPerCluster = 1 + 2 * (shape.controlPlane + shape.workers);
  console.log(`bench:overhead: ${clusters} clusters of ${shape.controlPlane} control-plane + ${shape.workers} worker machines, ${activitiesPerCluster} activities each, zero cloud latency`);
  // The baselines first: Slipway's entities stay alive afterwards (each pool keeps a watch on
  // the cloud), and that background work must not slow them.
  const atStart = cpuByCommand(process.pid);
  const bareSeconds = await timeIt(() => provisionBare('bareProvisionWorkflow', 'bare'));
  const afterBare = cpuByCommand(process.pid);
  const pooledSeconds = await timeIt(() => provisionBare('bareClusterWithPoolWorkflow', 'bare-pooled'));
  const afterPooled = cpuByCommand(process.pid);
  const slipwaySeconds = await timeIt(provisionThroughSlipway);
  const afterSlipway = cpuByCommand(process.pid);
  const rate = (seconds: number) => clusters / seconds;
  console.log(`slipway:  ${slipwaySeconds.toFixed(2)} s, ${rate(slipwaySeconds).toFixed(1)} clusters/s`);
  console.log(`bare:     ${bareSeconds.toFixed(2)} s, ${rate(bareSeconds).toFixed(1)} workflows/s (same activity calls, no-op, one workflow a cluster)`);
  console.log(`pooled:   ${pooledSeconds.toFixed(2)} s, ${rate(pooledSeconds).toFixed(1)} clusters/s (the same, with the worker pool a child workflow that signals its cluster, as in Slipway)`);
  console.log(`ratio:    ${(slipwaySeconds / bareSeconds).toFixed(3)} (bare throughput / Slipway throughput; goal <= 1.3, aiming at 1.15)`);
  console.log(`          ${(slipwaySeconds / pooledSeconds).toFixed(3)} against the pooled baseline (Slipway's runtime alone); pooled against bare ${(pooledSeconds / bareSeconds).toFixed(3)} (the pool's own workflow alone)`);
  // CPU is the steadier figure on a shared machine: wall time moves with whatever else runs.
  const bareCpu = cpuSpent(atStart, afterBare);
  const pooledCpu = cpuSpent(afterBare, afterPooled);
  const slipwayCpu = cpuSpent(afterPooled, afterSlipway);
  console.log(
    `CPU:      slipway ${totalOf(slipwayCpu).toFixed(2)} s, bare ${totalOf(bareCpu).toFixed(2)} s, pooled ${totalOf(pooledCpu).toFixed(2)} s; ` +
      `ratio ${(totalOf(slipwayCpu) / totalOf(bareCpu)).toFixed(3)}, against pooled ${(totalOf(slipwayCpu) / totalOf(pooledCpu)).toFixed(3)}`,
  );
  for (const [command, seconds] of [...slipwayCpu].sort((a, b) => b[1] - a[1])) {
    const baselines = [bareCpu.get(command) ?? 0, pooledCpu.get(command) ?? 0];
    if (seconds >= 0.05 || baselines.some((spent) => spent >= 0.05)) {
      console.log(`  ${command.padEnd(34)} slipway ${seconds.toFixed(2).padStart(7)} s   bare ${baselines[0]!.toFixed(2).padStart(7)} s   pooled ${baselines[1]!.toFixed(2).padStart(7)} s`);
    }
  }
  // Read after every timing, so reading histories costs no run anything.
  const slipway = await breakdownOf(client, `WorkflowType NOT IN ('bareProvisionWorkflow', 'bareClusterWithPoolWorkflow', 'barePoolWorkflow')`);
  const bare = await breakdownOf(client, `WorkflowType = 'bareProvisionWorkflow'`);
  const pooled = await breakdownOf(client, `WorkflowType IN ('bareClusterWithPoolWorkflow', 'barePoolWorkflow')`);
  console.log(`where the time went (${slipway.workflows} Slipway workflows, ${bare.workflows} bare, ${pooled.workflows} pooled; activity time is scheduled to closed, workflow-task time scheduled to completed):`);
  printBreakdowns(clusters, [
    { name: 'slipway', breakdown: slipway.breakdown },
    { name: 'bare', breakdown: bare.breakdown },
    { name: 'pooled', breakdown: pooled.breakdown },
  ]);
} finally {
  await peers.stop();
}
// The SDK's native runtime keeps the event loop alive after every connection has closed.
process.exit(0);
