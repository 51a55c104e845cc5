/** Helpers for driving MachineDeployment workflows directly through a Temporal client, and for reading what the cloud holds. */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import { validateObject } from '../../crds/validate';
import { TAG } from '../../providers/tags';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { getMachineDeployment, type MachineDeploymentPlacement } from '../../workflows/machine-deployment/definitions';
import type { TestStack } from './stack';

export function machineDeploymentObject(name: string, spec: Record<string, unknown> = {}): MachineDeployment {
  const result = validateObject('MachineDeployment', {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'MachineDeployment',
    metadata: { name, namespace: 'default', uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString() },
    spec: { clusterName: 'test-cluster', replicas: 3, template: { spec: { version: 'v1.34.0', infrastructure: { instanceType: 'm6i.large' } } }, ...spec },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.object;
}

export function placementFor(infraId: string): MachineDeploymentPlacement {
  return { target: { platform: 'simulated', region: 'local-1' }, infraId, defaultImage: 'rhcos-test', attempt: 0 };
}

export async function startMachineDeployment(
  stack: TestStack,
  object: MachineDeployment,
  infraId: string,
  extra: { observeIntervalSeconds?: number; placement?: Partial<MachineDeploymentPlacement> } = {},
): Promise<WorkflowHandle> {
  return stack.client.workflow.start('machineDeploymentWorkflow', {
    workflowId: entityWorkflowId('MachineDeployment', object.metadata.namespace ?? 'default', object.metadata.name),
    taskQueue: stack.taskQueue,
    args: [{ object, managementId: stack.managementId, placement: { ...placementFor(infraId), ...extra.placement }, observeIntervalSeconds: extra.observeIntervalSeconds ?? 5 }],
    workflowIdConflictPolicy: 'FAIL',
  });
}

export async function readMachineDeployment(handle: WorkflowHandle): Promise<MachineDeployment> {
  return (await handle.query(getMachineDeployment)).object;
}

export async function waitForMachineDeployment(handle: WorkflowHandle, predicate: (object: MachineDeployment) => boolean, timeoutMs = 60_000): Promise<MachineDeployment> {
  const deadline = Date.now() + timeoutMs;
  let last: MachineDeployment | undefined;
  while (Date.now() < deadline) {
    last = await readMachineDeployment(handle);
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out; last status: ${JSON.stringify(last?.status)}`);
}

/** Rolled out: every machine of the spec's revision, available, and exactly spec.replicas of them. */
export function rolledOut(object: MachineDeployment): boolean {
  const status = object.status;
  return (
    status !== undefined &&
    status.observedGeneration === object.metadata.generation &&
    status.replicas === object.spec.replicas &&
    status.updatedReplicas === object.spec.replicas &&
    status.availableReplicas === object.spec.replicas
  );
}

export interface CloudMachineView {
  readonly id: string;
  readonly name: string;
  readonly phase: string;
  readonly instanceType: string;
  readonly nodeReady: boolean;
}

/** Machines of this infra ID as the cloud itself reports them (terminated ones left out). */
export async function cloudMachines(stack: TestStack, infraId: string): Promise<CloudMachineView[]> {
  const machines: CloudMachineView[] = [];
  let token: string | undefined;
  do {
    const url = new URL('/admin/resources', stack.simCloud.url);
    url.searchParams.append('tag', `${TAG.cluster}=${infraId}`);
    url.searchParams.set('pageSize', '500');
    if (token) url.searchParams.set('pageToken', token);
    const response = await fetch(url, { headers: stack.simCloud.apiKey ? { authorization: `Bearer ${stack.simCloud.apiKey}` } : {} });
    const page = (await response.json()) as { items: Record<string, unknown>[]; nextPageToken?: string };
    for (const item of page.items) {
      if (item.kind !== 'machine') continue;
      const node = item.node as { conditions: { type: string; status: string }[] } | null | undefined;
      machines.push({
        id: String(item.id),
        name: String(item.name),
        phase: String(item.phase),
        instanceType: String(item.instanceType),
        nodeReady: item.phase === 'running' && node !== null && (node === undefined || node.conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True')),
      });
    }
    token = page.nextPageToken;
  } while (token);
  return machines;
}

/** Sets what a machine's node reports, through the simulated cloud's admin API. */
export async function setNodeConditions(stack: TestStack, machineId: string, body: { conditions: { type: string; status: string; lastTransitionTime?: string }[] } | { absent: true }): Promise<void> {
  const response = await fetch(new URL(`/admin/machines/${machineId}/node`, stack.simCloud.url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(stack.simCloud.apiKey ? { authorization: `Bearer ${stack.simCloud.apiKey}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`setting node conditions failed: ${response.status} ${await response.text()}`);
}

/**
 * Samples the cloud every few milliseconds until stopped, and records the worst moments:
 * the most machines that existed at once and the fewest that were available.
 */
export function sampleCloud(stack: TestStack, infraId: string, intervalMs = 50) {
  let maxTotal = 0;
  let minAvailable = Number.POSITIVE_INFINITY;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const machines = await cloudMachines(stack, infraId);
      maxTotal = Math.max(maxTotal, machines.length);
      minAvailable = Math.min(minAvailable, machines.filter((machine) => machine.nodeReady).length);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { maxTotal, minAvailable, samples };
    },
  };
}
