/**
 * bench:rollout: how close does a real rollout come to the ideal wave schedule?
 *
 * For several (replicas, maxSurge, maxUnavailable) settings, on the simulated cloud with
 * fixed boot and delete latencies, it rolls a MachineDeployment to a new template through
 * the real workflow and Temporal dev server, and prints the measured duration beside the
 * ideal lower bound: the fewest boot waves any schedule within the budget could take
 * (idealWaveCount), times the boot latency. Usage: npm run bench:rollout -- [--boot-ms 1000]
 */
import { parseArgs } from 'node:util';
import { entityWorkflowId } from '../workflows/entity/ids';
import { deleteMachineDeployment, patchMachineDeployment } from '../workflows/machine-deployment/definitions';
import { idealWaveCount, resolveRolloutBudget } from '../workflows/planners/rollout/index';
import { machineDeploymentObject, placementFor, rolledOut } from '../test/support/machine-deployments';
import type { MachineDeployment } from '../crds/schemas/machine-deployment';
import { BENCH_TASK_QUEUE, startBenchPeers, timeIt } from './peers';

const { values } = parseArgs({ options: { 'boot-ms': { type: 'string', default: '1000' }, 'delete-ms': { type: 'string', default: '300' } } });
const bootMs = Number(values['boot-ms']);
const deleteMs = Number(values['delete-ms']);

const SETTINGS: readonly { replicas: number; maxSurge: number | string; maxUnavailable: number | string }[] = [
  { replicas: 10, maxSurge: 1, maxUnavailable: 0 },
  { replicas: 10, maxSurge: 2, maxUnavailable: 1 },
  { replicas: 10, maxSurge: 0, maxUnavailable: 2 },
  { replicas: 12, maxSurge: 3, maxUnavailable: 3 },
  { replicas: 20, maxSurge: '25%', maxUnavailable: '25%' },
  { replicas: 8, maxSurge: '100%', maxUnavailable: 0 },
];

const peers = await startBenchPeers({ bootMs, deleteMs });

/** Follows the projection's change stream (as a watching client would) until the MachineDeployment has rolled out. */
async function rolledOutOnWatch(name: string, fromVersion: string): Promise<void> {
  for await (const event of peers.projection.watch('MachineDeployment', { resourceVersion: fromVersion }, AbortSignal.timeout(300_000))) {
    const object = event.object as unknown as MachineDeployment;
    if (object.metadata.name === name && rolledOut(object)) return;
  }
  throw new Error(`MachineDeployment ${name} did not roll out within 5 minutes`);
}

const latestVersion = async () => (await peers.projection.list('MachineDeployment', { limit: 1 })).metadata.resourceVersion;

try {
  console.log(`bench:rollout: boot ${bootMs} ms, delete ${deleteMs} ms on the simulated cloud; ideal = fewest boot waves x boot time`);
  console.log('replicas  maxSurge  maxUnavail  waves(ideal)  measured s  ideal s  ratio');
  for (const [index, setting] of SETTINGS.entries()) {
    const name = `bench-roll-${index}`;
    const object = machineDeploymentObject(name, {
      replicas: setting.replicas,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: setting.maxSurge, maxUnavailable: setting.maxUnavailable } },
    });
    const startVersion = await latestVersion();
    const handle = await peers.client.workflow.start('machineDeploymentWorkflow', {
      workflowId: entityWorkflowId('MachineDeployment', 'default', name),
      taskQueue: BENCH_TASK_QUEUE,
      args: [{ object, managementId: 'bench', placement: placementFor(`${name}-x1y2z`), observeIntervalSeconds: 30 }],
    });
    await rolledOutOnWatch(name, startVersion);
    const seconds = await timeIt(async () => {
      const patchVersion = await latestVersion();
      await handle.executeUpdate(patchMachineDeployment, { args: [{ spec: { template: { spec: { infrastructure: { instanceType: 'm6i.xlarge' } } } } }] });
      await rolledOutOnWatch(name, patchVersion);
    });
    const budget = resolveRolloutBudget(setting.replicas, setting.maxSurge, setting.maxUnavailable);
    const waves = idealWaveCount(setting.replicas, budget.maxSurge, budget.maxUnavailable);
    const ideal = (waves * bootMs) / 1000;
    console.log(
      `${String(setting.replicas).padStart(8)}  ${String(setting.maxSurge).padStart(8)}  ${String(setting.maxUnavailable).padStart(10)}  ${String(waves).padStart(12)}  ${seconds.toFixed(2).padStart(10)}  ${ideal.toFixed(2).padStart(7)}  ${(seconds / ideal).toFixed(2).padStart(5)}`,
    );
    await handle.executeUpdate(deleteMachineDeployment, { args: [{ requestedAt: new Date().toISOString() }] });
    await handle.result();
  }
} finally {
  await peers.stop();
}
// The SDK's native runtime keeps the event loop alive after every connection has closed.
process.exit(0);
