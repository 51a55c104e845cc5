/**
 * bench:overhead: how much slower is provisioning through Slipway than bare Temporal?
 *
 * On one Temporal dev server, in one process, it (1) provisions N ClusterDeployments on
 * the simulated cloud with zero boot/delete latency through the real workflows, worker,
 * Redis projection and cloud HTTP calls, then (2) runs N bare workflows making the same
 * activity calls in the same shape, each a no-op. It prints both throughputs and their
 * ratio (goal: <= 1.15). Usage: npm run bench:overhead -- [--clusters 200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString, DefaultLogger } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { startSimulatedCloud } from '../providers/simulated/launch';
import { createProjection, createProjectionActivities } from '../services/common/projection';
import { createAdapterResolver } from '../services/worker/adapters';
import { createClusterActivities } from '../services/worker/cluster-activities';
import { fileSecretStore } from '../services/worker/secrets';
import { startRedisServer } from '../test/support/redis-server';
import { clusterObject } from '../test/support/clusters';
import { entityWorkflowId } from '../workflows/cluster-deployment/definitions';

const { values } = parseArgs({ options: { clusters: { type: 'string', default: '200' }, 'control-plane': { type: 'string', default: '3' }, workers: { type: 'string', default: '3' } } });
const clusters = Number(values.clusters);
const shape = { controlPlane: Number(values['control-plane']), workers: Number(values.workers) };
const temporalCli = process.env.TEMPORAL_CLI;
if (!temporalCli) throw new Error('TEMPORAL_CLI is not set; run this through `npm run bench:overhead`.');

Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });

const home = await mkdtemp(join(tmpdir(), 'slipway-bench-'));
const temporal = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCli }, ip: '127.0.0.1', ui: false } });
const redisServer = await startRedisServer();
const simCloud = await startSimulatedCloud({ statePath: join(home, 'simcloud.db'), bootMs: 0, deleteMs: 0 });
const redis = new Redis(redisServer.url);
const projection = createProjection(redis, { prefix: 'bench' });
const client = new Client({ connection: temporal.connection });
const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)), logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: temporal.address });

const worker = await Worker.create({
  connection,
  taskQueue: 'bench',
  workflowBundle: bundle,
  activities: {
    ...createClusterActivities({
      adapters: createAdapterResolver({ secrets: fileSecretStore(join(home, 'secrets')), simCloudUrl: simCloud.url, simulatedApiKey: simCloud.apiKey }),
      pollIntervalMs: 20,
    }),
    ...createProjectionActivities(projection),
    async noop() {},
  },
});
const running = worker.run();

async function timeIt(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

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
        taskQueue: 'bench',
        args: [{ object, managementId: 'bench' }],
      });
    }),
  );
  await watch;
}

async function provisionBare(): Promise<void> {
  await Promise.all(
    Array.from({ length: clusters }, (_, index) =>
      client.workflow.execute('bareProvisionWorkflow', { workflowId: `bare-${index}`, taskQueue: 'bench', args: [shape] }),
    ),
  );
}

try {
  const activitiesPerCluster = 1 + 2 * (shape.controlPlane + shape.workers);
  console.log(`bench:overhead: ${clusters} clusters of ${shape.controlPlane} control-plane + ${shape.workers} worker machines, ${activitiesPerCluster} activities each, zero cloud latency`);
  const slipwaySeconds = await timeIt(provisionThroughSlipway);
  const bareSeconds = await timeIt(provisionBare);
  const slipwayRate = clusters / slipwaySeconds;
  const bareRate = clusters / bareSeconds;
  console.log(`slipway:  ${slipwaySeconds.toFixed(2)} s, ${slipwayRate.toFixed(1)} clusters/s`);
  console.log(`bare:     ${bareSeconds.toFixed(2)} s, ${bareRate.toFixed(1)} workflows/s (same activity calls, no-op)`);
  console.log(`ratio:    ${(bareRate / slipwayRate).toFixed(3)} (bare throughput / Slipway throughput; goal <= 1.15)`);
} finally {
  worker.shutdown();
  await running;
  await connection.close();
  redis.disconnect();
  await simCloud.stop();
  await redisServer.stop();
  await temporal.teardown();
  await rm(home, { recursive: true, force: true });
}
