/**
 * Runs crds/validate and crds/upstream inside a real Temporal workflow (real dev server,
 * real bundler and sandbox) and checks they give exactly what they give outside it. The bundle
 * is built as the worker builds Slipway's, so validation runs as the worker runs it: shared
 * between workflows, and frozen.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { ClusterDeployment } from '../../../crds/schemas/cluster-deployment';
import { convertManifest } from '../../../crds/upstream/index';
import { validateClusterDeploymentPatch, validateObject } from '../../../crds/validate';
import { sampleObject, withField } from '../../unit/crds/fixtures';
import type { SandboxInput } from './sandbox-workflow';
import { workflowBundleOptions } from '../../../services/worker/bundle';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

describe('crds validation inside the Temporal workflow sandbox', () => {
  const taskQueue = `crds-sandbox-${randomUUID().slice(0, 8)}`;
  let worker: Worker;
  let running: Promise<void>;
  let client: Client;
  let nativeConnection: NativeConnection;
  let connection: Connection;

  beforeAll(async () => {
    const address = inject('temporalAddress');
    const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(fileURLToPath(new URL('./sandbox-workflow.ts', import.meta.url))), logger: silent });
    nativeConnection = await NativeConnection.connect({ address });
    worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: { code } });
    running = worker.run();
    connection = await Connection.connect({ address });
    client = new Client({ connection });
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await nativeConnection?.close();
    await connection?.close();
  });

  it('validates, converts and patches exactly as outside the sandbox', async () => {
    const input: SandboxInput = {
      object: sampleObject('ClusterDeployment'),
      manifests: [
        sampleObject('MachineDeployment'),
        { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: { name: 'md' }, spec: { clusterName: 'c', rollout: { strategy: { type: 'OnDelete' } }, template: { spec: { infrastructure: { instanceType: 'm5.large' } } } } },
        { apiVersion: 'hive.openshift.io/v1', kind: 'ClusterDeployment', metadata: { name: 'x' }, spec: { clusterName: 'x', baseDomain: 'e.test', installed: true, platform: { aws: { region: 'us-east-1' } } } },
      ],
      patches: [{ spec: { compute: [{ name: 'worker', replicas: 4 }] } }, { spec: { clusterName: 'renamed' } }, { metadata: { labels: { team: null } } }],
    };
    // Twice: the second workflow finds the modules the first left, and they must give the same answers.
    const inside = await client.workflow.execute('crdsInSandbox', { taskQueue, workflowId: `crds-sandbox-${randomUUID()}`, args: [input] });
    const again = await client.workflow.execute('crdsInSandbox', { taskQueue, workflowId: `crds-sandbox-${randomUUID()}`, args: [input] });
    expect(again).toEqual(inside);

    const validated = validateObject('ClusterDeployment', input.object);
    const outside = {
      validated,
      converted: input.manifests.map((manifest) => convertManifest(manifest)),
      patched: validated.ok ? input.patches.map((patch) => validateClusterDeploymentPatch(validated.object as ClusterDeployment, patch)) : [],
    };
    const { sharedSchemas, ...results } = inside as { sharedSchemas: boolean };
    // Frozen: the worker evaluated the module once and shares it, rather than one copy per workflow.
    expect(sharedSchemas).toBe(true);
    expect(results).toEqual(JSON.parse(JSON.stringify(outside)));
    expect((inside as { converted: { ok: boolean }[] }).converted.map((result) => result.ok)).toEqual([true, true, false]);
  });

  it('checks formats (date-time) inside the sandbox too', async () => {
    const input: SandboxInput = { object: withField(sampleObject('ClusterDeployment'), 'metadata.creationTimestamp', 'not-a-time'), manifests: [], patches: [] };
    const inside = (await client.workflow.execute('crdsInSandbox', { taskQueue, workflowId: `crds-sandbox-${randomUUID()}`, args: [input] })) as {
      validated: { ok: boolean; errors?: { path: string }[] };
    };
    expect(inside.validated.ok).toBe(false);
    expect(inside.validated.errors?.map((error) => error.path)).toEqual(['metadata.creationTimestamp']);
  });
});
