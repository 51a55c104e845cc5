/** Helpers for driving ClusterDeployment workflows directly through a Temporal client. */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { ClusterDeployment, ClusterDeploymentSpec } from '../../crds/schemas/cluster-deployment';
import { TAG } from '../../providers/tags';
import type { CloudResource } from '../../providers/types';
import { getClusterDeployment } from '../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../workflows/entity/ids';
import { type EntitySnapshot } from '../../workflows/entity/definitions';
import type { TestStack } from './stack';

export function clusterObject(name: string, spec: Partial<ClusterDeploymentSpec> = {}, namespace = 'default'): ClusterDeployment {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ClusterDeployment',
    metadata: { name, namespace, uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString() },
    spec: {
      clusterName: name,
      baseDomain: 'example.test',
      platform: { simulated: { region: 'local-1' } },
      controlPlane: { replicas: 3 },
      compute: [{ name: 'worker', replicas: 3 }],
      installAttemptsLimit: 3,
      ...spec,
    },
  };
}

export async function startCluster(stack: TestStack, object: ClusterDeployment): Promise<WorkflowHandle> {
  return stack.client.workflow.start('clusterDeploymentWorkflow', {
    workflowId: entityWorkflowId('ClusterDeployment', object.metadata.namespace ?? 'default', object.metadata.name),
    taskQueue: stack.taskQueue,
    args: [{ object, managementId: stack.managementId }],
    workflowIdConflictPolicy: 'FAIL',
  });
}

export async function snapshot(handle: WorkflowHandle): Promise<EntitySnapshot<ClusterDeployment>> {
  return handle.query(getClusterDeployment);
}

export function conditionStatus(object: ClusterDeployment, type: string): string | undefined {
  return object.status?.conditions?.find((condition) => condition.type === type)?.status;
}

/** Polls the entity until the predicate holds; fails with the last status seen. */
export async function waitForCluster(
  handle: WorkflowHandle,
  predicate: (object: ClusterDeployment) => boolean,
  timeoutMs = 60_000,
): Promise<ClusterDeployment> {
  const deadline = Date.now() + timeoutMs;
  let last: ClusterDeployment | undefined;
  while (Date.now() < deadline) {
    last = (await snapshot(handle)).object;
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out; last status: ${JSON.stringify(last?.status?.conditions ?? last?.status)}`);
}

export const isReady = (object: ClusterDeployment) => conditionStatus(object, 'Ready') === 'True';

/** Everything the cloud holds for this infra ID, read from the cloud itself. */
export async function cloudResources(stack: TestStack, infraId: string): Promise<CloudResource[]> {
  const found: CloudResource[] = [];
  for await (const resource of stack.simCloud.adapter.listResources({ [TAG.cluster]: infraId })) found.push(resource);
  return found;
}

export async function liveMachines(stack: TestStack, infraId: string): Promise<CloudResource[]> {
  const machines: CloudResource[] = [];
  for await (const machine of stack.simCloud.adapter.listMachines({ [TAG.cluster]: infraId })) {
    if (machine.phase !== 'terminated') machines.push({ kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags });
  }
  return machines;
}
