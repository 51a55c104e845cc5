/**
 * The ClusterDeployment activities: thin, idempotent calls into a provider adapter.
 * A retried create finds the machine it already made (adapters look it up by name
 * before creating), and every delete treats "already gone" as done.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ClusterActivities } from '../../workflows/cluster-deployment/activities-api';
import type { CreateMachineInput, MachineIdentity, ProviderTarget } from '../../workflows/entity/activities-api';
import { MACHINE_FAILED } from '../../workflows/entity/activities-api';
import { cloudMachineName } from '../../workflows/planners/names';
import { orderForDeletion } from '../../workflows/planners/sweep/run';
import { TAG, isOwned, ownershipTags } from '../../providers/tags';
import type { CloudResource, ProviderAdapter } from '../../providers/types';
import { withRetryClassification } from './errors';
import { machineBootstrap, type NodeIdentity } from './hosted-bootstrap';
import type { SecretStore } from './secrets';

export type AdapterResolver = (target: ProviderTarget) => Promise<ProviderAdapter>;

export interface ClusterActivityDeps {
  readonly adapters: AdapterResolver;
  /** Where a hosted cluster's PKI is read from, to give its NodePool machines their join credentials. */
  readonly hostedSecrets?: SecretStore;
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
}

/**
 * Stable per (object uid, machine, install attempt), so a same-name object created later never
 * reuses a token within the cloud's idempotency window; 32 hex characters, within EC2's 64.
 * Inputs from before uids were passed fall back to the workflow ID.
 */
export function idempotencyToken(identity: Pick<MachineIdentity, 'workflowId' | 'uid' | 'machineName' | 'attempt'>): string {
  return createHash('sha256').update(`${identity.uid ?? identity.workflowId}\n${identity.machineName}\n${identity.attempt}`).digest('hex').slice(0, 32);
}

export function createClusterActivities(deps: ClusterActivityDeps): ClusterActivities {
  const pollIntervalMs = deps.pollIntervalMs ?? 500;
  const now = deps.now ?? (() => new Date());

  const hostedBootstrap = (ref: NonNullable<CreateMachineInput['hostedCluster']>, node: NodeIdentity) => {
    if (!deps.hostedSecrets) throw ApplicationFailure.nonRetryable('this worker was built without a secret store for hosted clusters, so their machines cannot join.', 'ControlPlaneUnavailable');
    return machineBootstrap(deps.hostedSecrets, ref, node);
  };

  const pollUntil = async <T>(read: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      Context.current().heartbeat();
      await Context.current().sleep(pollIntervalMs);
    }
  };

  return {
    async ensureClusterInfra(input) {
      const adapter = await deps.adapters(input.target);
      const tags = ownershipTags({ managementId: input.managementId, infraId: input.infraId, createdAt: now().toISOString() });
      const infra = await withRetryClassification('create cluster infrastructure', () =>
        adapter.ensureClusterInfra({ infraId: input.infraId, clusterName: input.clusterName, baseDomain: input.baseDomain, region: input.target.region, tags }),
      );
      return { apiURL: infra.apiURL };
    },

    async createMachine(input: CreateMachineInput) {
      const adapter = await deps.adapters(input.target);
      const name = cloudMachineName(input.infraId, input.machineName);
      const bootstrap = input.hostedCluster ? await hostedBootstrap(input.hostedCluster, { nodeName: name, machineName: input.machineName, nodePool: input.pool }) : undefined;
      const machine = await withRetryClassification('create machine', () =>
        adapter.createMachine({
          name,
          idempotencyToken: idempotencyToken(input),
          role: input.role,
          instanceType: input.instanceType,
          image: input.image,
          infraId: input.infraId,
          tags: ownershipTags({
            managementId: input.managementId,
            infraId: input.infraId,
            machineName: input.machineName,
            role: input.role,
            createdAt: now().toISOString(),
            ...(input.owner !== undefined ? { owner: input.owner } : {}),
          }),
          ...(bootstrap ? { bootstrap } : {}),
        }),
      );
      return { providerId: machine.providerId, phase: machine.phase };
    },

    async awaitMachineRunning(input) {
      const adapter = await deps.adapters(input.target);
      const name = cloudMachineName(input.infraId, input.machineName);
      return pollUntil(async () => {
        const machine = await withRetryClassification('describe machine', () => adapter.describeMachine(name));
        if (!machine) {
          throw ApplicationFailure.nonRetryable(`machine ${name} disappeared from the cloud while booting; the install attempt will be retried.`, MACHINE_FAILED);
        }
        if (machine.phase === 'failed' || machine.phase === 'terminated' || machine.phase === 'stopping') {
          throw ApplicationFailure.nonRetryable(`machine ${name} is ${machine.phase} instead of running; the install attempt will be cleaned up and retried.`, MACHINE_FAILED);
        }
        return machine.phase === 'running' ? { providerId: machine.providerId, phase: machine.phase } : undefined;
      });
    },

    async deleteMachine(input) {
      const adapter = await deps.adapters(input.target);
      const name = cloudMachineName(input.infraId, input.machineName);
      const machine = await withRetryClassification('describe machine', () => adapter.describeMachine(name));
      if (!machine) return;
      await withRetryClassification('delete machine', () => adapter.deleteMachine(machine.providerId));
      await pollUntil(async () => {
        const current = await withRetryClassification('describe machine', () => adapter.describeMachine(name));
        return current === undefined || current.phase === 'terminated' ? true : undefined;
      });
    },

    async deleteClusterInfra(input) {
      const adapter = await deps.adapters(input.target);
      const scope = input.managementId !== undefined ? { managementId: input.managementId } : {};
      await withRetryClassification('delete cluster infrastructure', () => adapter.deleteClusterInfra(input.infraId, scope));
    },

    async sweepCluster(input) {
      const adapter = await deps.adapters(input.target);
      const query = { [TAG.management]: input.managementId, [TAG.cluster]: input.infraId };
      const scope = { managementId: input.managementId, ...(input.owner !== undefined ? { owner: input.owner } : {}) };
      const found: CloudResource[] = [];
      // A standalone MachineDeployment's machines (another owner's marker) are left to it.
      for await (const resource of adapter.listResources(query)) {
        if (isOwned(resource.tags, input.infraId, scope) && (!input.machinesOnly || resource.kind === 'machine')) found.push(resource);
      }
      const ordered = orderForDeletion(found);
      for (const resource of ordered) {
        Context.current().heartbeat();
        await withRetryClassification(`delete leftover ${resource.kind} ${resource.name}`, () => adapter.deleteResource(resource));
      }
      return { deleted: found.length };
    },
  };
}
