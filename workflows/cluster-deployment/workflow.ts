/**
 * The ClusterDeployment entity workflow: one per cluster, ID ClusterDeployment/<ns>/<name>.
 * It owns the desired spec and the observed status, provisions in order (infrastructure,
 * first control-plane machine, the rest of the control plane, workers), retries failed
 * installs after cleaning them up, scales worker pools, and deprovisions on delete.
 * It only orchestrates: decisions come from the pure planners, effects from activities.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  upsertMemo,
  workflowInfo,
  type Sinks,
} from '@temporalio/workflow';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import { validateClusterDeploymentPatch } from '../../crds/validate';
import type { MachineRole } from '../../providers/types';
import { planDeprovision } from '../planners/deletion-order';
import { controlPlaneMachineName, infraIdFor, workerMachineName } from '../planners/names';
import { planPoolScale } from '../planners/pool-scale';
import type { ClusterActivities, MachineIdentity, ProjectionActivities, ProviderTarget } from './activities-api';
import {
  CLUSTER_DEPLOYMENT_KIND,
  deleteClusterDeployment,
  getClusterDeployment,
  patchClusterDeployment,
  type ClusterDeploymentInput,
} from './definitions';
import {
  DEFAULT_CONTROL_PLANE_REPLICAS,
  DEFAULT_INSTALL_ATTEMPTS_LIMIT,
  DEFAULT_INSTANCE_TYPE,
  deriveStatus,
  desiredWorkerPools,
  platformOf,
  type ClusterState,
  type MachineRecord,
} from './state';

export const PROTECTED_DELETE_ANNOTATION = 'slipway.dev/protected-delete';
/** Continue-as-new well before Temporal's own limits, and only when idle. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 4_000;
const DEFAULT_IMAGE = 'rhcos-4.16';

const retry = {
  initialInterval: '200ms',
  backoffCoefficient: 2,
  maximumInterval: '15s',
  nonRetryableErrorTypes: ['InvalidRequest', 'QuotaExceeded', 'MachineFailed'],
};
// Cloud API calls are a few HTTP requests each; a short start-to-close bounds how long a
// call lost with a dead worker stays invisible before it is retried elsewhere.
const cloud = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '15m',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const boot = proxyActivities<Pick<ClusterActivities, 'awaitMachineRunning' | 'deleteMachine'>>({
  startToCloseTimeout: '20m',
  // Heartbeats carry cancellation, and the SDK throttles them to 80% of this timeout.
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '30m',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const projection = proxyLocalActivities<ProjectionActivities>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 3, initialInterval: '100ms' },
});

export interface WorkflowMetricsSink extends Sinks {
  metrics: { workflowFinished(kind: string, outcome: string): void };
}
const { metrics } = proxySinks<WorkflowMetricsSink>();

function initialState(input: ClusterDeploymentInput): ClusterState {
  const { object } = input;
  return {
    object,
    infraId: infraIdFor(object.spec.clusterName, object.metadata.uid ?? workflowInfo().workflowId),
    stage: 'Pending',
    attempts: [],
    nextSerial: 0,
    nextPoolIndex: {},
    machines: {},
    deletionRequested: false,
    deleted: false,
  };
}

/**
 * What visibility keeps of the object, to rebuild the Redis projection if Redis is lost:
 * spec and a status summary. It changes only when the summary does, so it costs few
 * history events, and the next status change refreshes the projection in full.
 */
function memoObject(object: ClusterDeployment): ClusterDeployment {
  const status = object.status ?? {};
  return {
    ...object,
    status: {
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
      ...(status.infraID ? { infraID: status.infraID } : {}),
      ...(status.platform ? { platform: status.platform } : {}),
      ...(status.region ? { region: status.region } : {}),
      ...(status.installVersion ? { installVersion: status.installVersion } : {}),
      ...(status.apiURL ? { apiURL: status.apiURL } : {}),
      ...(status.installedTimestamp ? { installedTimestamp: status.installedTimestamp } : {}),
      ...(status.provisionStatus ? { provisionStatus: status.provisionStatus } : {}),
      conditions: (status.conditions ?? []).map(({ message: _message, ...condition }) => ({ ...condition, message: '' })),
    },
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

export async function clusterDeploymentWorkflow(input: ClusterDeploymentInput): Promise<void> {
  const state: ClusterState = (input.carried as ClusterState | undefined) ?? initialState(input);
  const { workflowId } = workflowInfo();
  const namespace = state.object.metadata.namespace ?? 'default';
  let specChanged = false;
  let work: CancellationScope | undefined;

  const target = (): ProviderTarget => {
    const platform = platformOf(state.object.spec);
    return {
      platform: platform.platform,
      region: platform.region,
      ...(platform.credentialsSecretName ? { credentialsRef: { namespace, name: platform.credentialsSecretName } } : {}),
    };
  };

  // --- status publishing: coalesces bursts of changes into one projection write --------
  let dirty = true;
  let publishing = false;
  let lastMemo = '';
  // Status is derived once per publish (or Update reply), not on every mutation: a burst of
  // machine changes in one activation costs one derivation.
  let statusStale = true;
  const refresh = () => {
    statusStale = true;
    dirty = true;
  };
  const withStatus = () => ({ ...state.object, status: deriveStatus(state, new Date().toISOString()) });
  const settleStatus = () => {
    if (statusStale) {
      state.object = withStatus();
      statusStale = false;
    }
    return state.object;
  };
  const publisher = async () => {
    for (;;) {
      await condition(() => dirty);
      dirty = false;
      publishing = true;
      settleStatus();
      const memo = JSON.stringify(memoObject(state.object));
      if (memo !== lastMemo) {
        upsertMemo({ object: JSON.parse(memo) as unknown });
        lastMemo = memo;
      }
      try {
        await projection.projectObject({ kind: CLUSTER_DEPLOYMENT_KIND, object: state.object, deleted: state.deleted });
      } catch {
        // The projection is a cache, rebuilt from memos; a Redis outage must not stall the cluster.
      } finally {
        publishing = false;
      }
    }
  };
  const flushed = () => condition(() => !dirty && !publishing);

  // --- handlers ---------------------------------------------------------------------
  // A query must not change state, so a stale status is derived for the reply only.
  setHandler(getClusterDeployment, () => ({ object: statusStale ? withStatus() : state.object, deleted: state.deleted }));

  setHandler(
    patchClusterDeployment,
    (patch) => {
      const result = validateClusterDeploymentPatch(state.object, patch);
      if (!result.ok) throw ApplicationFailure.create({ type: 'InvalidPatch', message: 'invalid patch', nonRetryable: true });
      const generationChanged = JSON.stringify(result.next.spec) !== JSON.stringify(state.object.spec);
      const generation = (state.object.metadata.generation ?? 1) + (generationChanged ? 1 : 0);
      state.object = { ...result.next, metadata: { ...result.next.metadata, generation }, status: state.object.status };
      specChanged = true;
      refresh();
      return settleStatus();
    },
    {
      validator: (patch) => {
        if (state.deletionRequested) {
          throw ApplicationFailure.create({
            type: 'BeingDeleted',
            message: `ClusterDeployment ${namespace}/${state.object.metadata.name} is being deleted and can no longer be changed. Wait for the deletion to finish, then create it again.`,
            nonRetryable: true,
          });
        }
        const result = validateClusterDeploymentPatch(state.object, patch);
        if (!result.ok) {
          throw ApplicationFailure.create({
            type: 'InvalidPatch',
            message: result.errors.map((error) => `${error.path}: ${error.message}`).join('; '),
            details: [result.errors],
            nonRetryable: true,
          });
        }
        const controlPlaneBefore = state.object.spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
        const controlPlaneAfter = result.next.spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
        if (controlPlaneBefore !== controlPlaneAfter) {
          const errors = [{ path: 'spec.controlPlane.replicas', message: `is immutable (currently ${controlPlaneBefore}); control-plane scaling is not supported yet: delete and recreate the cluster to change it` }];
          throw ApplicationFailure.create({ type: 'InvalidPatch', message: errors[0]!.message, details: [errors], nonRetryable: true });
        }
      },
    },
  );

  setHandler(
    deleteClusterDeployment,
    (request) => {
      if (!state.deletionRequested) {
        state.deletionRequested = true;
        state.object = { ...state.object, metadata: { ...state.object.metadata, deletionTimestamp: request.requestedAt } };
        work?.cancel();
        refresh();
      }
      return settleStatus();
    },
    {
      validator: (_request) => {
        if (state.object.metadata.annotations?.[PROTECTED_DELETE_ANNOTATION] === 'true') {
          throw ApplicationFailure.create({
            type: 'DeletionProtected',
            message: `ClusterDeployment ${namespace}/${state.object.metadata.name} has the annotation ${PROTECTED_DELETE_ANNOTATION}=true, which blocks deletion. Remove the annotation (a merge patch setting it to null), then delete again.`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  // --- machine steps ----------------------------------------------------------------
  const identity = (machine: MachineRecord): MachineIdentity => ({
    target: target(),
    infraId: state.infraId,
    workflowId,
    machineName: machine.name,
    attempt: machine.attempt,
  });

  const addMachine = (role: MachineRole, pool: string, name: string): MachineRecord => {
    const machine: MachineRecord = {
      name,
      role,
      pool,
      serial: state.nextSerial++,
      attempt: state.attempts.length,
      phase: 'Provisioning',
      since: new Date().toISOString(),
    };
    state.machines[name] = machine;
    refresh();
    return machine;
  };

  const setPhase = (machine: MachineRecord, phase: MachineRecord['phase'], message?: string) => {
    machine.phase = phase;
    machine.since = new Date().toISOString();
    if (message === undefined) delete machine.message;
    else machine.message = message;
    refresh();
  };

  const provisionMachine = async (machine: MachineRecord, instanceType: string) => {
    const created = await cloud.createMachine({
      ...identity(machine),
      managementId: input.managementId,
      role: machine.role,
      pool: machine.pool,
      instanceType,
      image: state.object.spec.provisioning?.releaseImage ?? DEFAULT_IMAGE,
    });
    machine.providerId = created.providerId;
    refresh();
    try {
      await boot.awaitMachineRunning(identity(machine));
      setPhase(machine, 'Running');
    } catch (error) {
      if (!isCancellation(error)) setPhase(machine, 'Failed', describeFailure(error));
      throw error;
    }
  };

  const deleteMachines = async (names: readonly string[]) => {
    await Promise.all(
      names.map(async (name) => {
        const machine = state.machines[name];
        if (!machine) return;
        setPhase(machine, 'Deleting');
        await boot.deleteMachine(identity(machine));
        delete state.machines[name];
        refresh();
      }),
    );
  };

  /** Brings every worker pool to its desired size, re-reading the spec until it holds still. */
  const reconcileWorkers = async () => {
    for (;;) {
      specChanged = false;
      const pools = desiredWorkerPools(state.object.spec);
      const knownPools = new Set(pools.map((pool) => pool.name));
      const orphaned = Object.values(state.machines).filter((machine) => machine.role === 'worker' && !knownPools.has(machine.pool));
      await deleteMachines(orphaned.map((machine) => machine.name));
      await Promise.all(
        pools.map(async (pool) => {
          const members = Object.values(state.machines)
            .filter((machine) => machine.pool === pool.name)
            .map((machine) => ({ name: machine.name, serial: machine.serial, deleting: machine.phase === 'Deleting', failed: machine.phase === 'Failed' }));
          const plan = planPoolScale(members, pool.replicas);
          const created = Array.from({ length: plan.createCount }, () => {
            const index = state.nextPoolIndex[pool.name] ?? 0;
            state.nextPoolIndex[pool.name] = index + 1;
            return addMachine('worker', pool.name, workerMachineName(pool.name, index));
          });
          await Promise.all([deleteMachines(plan.delete), ...created.map((machine) => provisionMachine(machine, pool.instanceType))]);
        }),
      );
      if (!specChanged) return;
    }
  };

  const provisionOnce = async () => {
    const spec = state.object.spec;
    state.stage = 'Infrastructure';
    refresh();
    const infra = await cloud.ensureClusterInfra({
      target: target(),
      infraId: state.infraId,
      clusterName: spec.clusterName,
      baseDomain: spec.baseDomain,
      managementId: input.managementId,
    });
    state.apiURL = infra.apiURL;
    state.stage = 'ControlPlane';
    refresh();

    const controlPlaneType = spec.controlPlane?.platform?.instanceType ?? DEFAULT_INSTANCE_TYPE.controlPlane;
    const replicas = spec.controlPlane?.replicas ?? DEFAULT_CONTROL_PLANE_REPLICAS;
    const names = Array.from({ length: replicas }, (_, index) => controlPlaneMachineName(index));
    const [first, ...rest] = names.map((name) => state.machines[name] ?? addMachine('control-plane', 'master', name));
    if (first && first.phase !== 'Running') await provisionMachine(first, controlPlaneType);
    await Promise.all(rest.filter((machine) => machine.phase !== 'Running').map((machine) => provisionMachine(machine, controlPlaneType)));

    state.stage = 'Workers';
    refresh();
    await reconcileWorkers();
  };

  /** Deletes everything an attempt (or the whole cluster) made, in deprovision order. */
  const tearDown = async () => {
    const machines = Object.values(state.machines).map((machine) => ({ name: machine.name, role: machine.role }));
    for (const step of planDeprovision(machines)) {
      if (step.kind === 'deleteMachines') await deleteMachines(step.names);
      else if (step.kind === 'deleteInfrastructure') {
        await cloud.deleteClusterInfra({ target: target(), infraId: state.infraId });
        delete state.apiURL;
        refresh();
      } else await cloud.sweepCluster({ target: target(), infraId: state.infraId, managementId: input.managementId });
    }
  };

  /** Runs fn so that a delete request cancels it; returns false if it was cancelled. */
  const cancellableByDelete = async (fn: () => Promise<void>): Promise<boolean> => {
    if (state.deletionRequested) return false;
    work = new CancellationScope();
    try {
      await work.run(fn);
      return true;
    } catch (error) {
      if (isCancellation(error) && state.deletionRequested) return false;
      throw error;
    } finally {
      work = undefined;
    }
  };

  const install = async () => {
    const limit = state.object.spec.installAttemptsLimit ?? DEFAULT_INSTALL_ATTEMPTS_LIMIT;
    while (state.attempts.length < limit && !state.deletionRequested) {
      const attempt = { attempt: state.attempts.length + 1, startedAt: new Date().toISOString(), outcome: 'InProgress' as const };
      state.attempts.push(attempt);
      refresh();
      try {
        if (!(await cancellableByDelete(provisionOnce))) {
          Object.assign(attempt, { outcome: 'Cancelled', finishedAt: new Date().toISOString(), message: 'Deletion was requested.' });
          refresh();
          return;
        }
        Object.assign(attempt, { outcome: 'Succeeded', finishedAt: new Date().toISOString() });
        state.stage = 'Provisioned';
        state.installedTimestamp = new Date().toISOString();
        delete state.lastError;
        refresh();
        return;
      } catch (error) {
        state.lastError = describeFailure(error);
        Object.assign(attempt, { outcome: 'Failed', finishedAt: new Date().toISOString(), message: state.lastError });
        state.stage = 'CleaningUpAttempt';
        refresh();
        await tearDown();
      }
    }
    if (!state.deletionRequested) {
      state.stage = 'ProvisionFailed';
      refresh();
      metrics.workflowFinished(CLUSTER_DEPLOYMENT_KIND, 'provision_failed');
    }
  };

  // --- main loop --------------------------------------------------------------------
  void publisher();
  refresh();
  for (;;) {
    if (state.deletionRequested) break;
    if (state.stage === 'Pending') {
      // Ends Provisioned or ProvisionFailed, or returns early because deletion was requested.
      await install();
      continue;
    }
    if (state.stage === 'Provisioned' && specChanged) {
      await cancellableByDelete(async () => {
        await reconcileWorkers();
        refresh();
      });
      continue;
    }
    if (state.stage !== 'Provisioned') specChanged = false; // recorded in spec; nothing to act on
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.continueAsNewAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE)) {
      await condition(allHandlersFinished);
      await flushed();
      if (!specChanged && !state.deletionRequested) {
        await continueAsNew<typeof clusterDeploymentWorkflow>({ ...input, object: state.object, carried: { ...state } });
      }
      continue;
    }
    await condition(() => specChanged || state.deletionRequested);
  }

  state.stage = 'Deprovisioning';
  refresh();
  if (!state.object.spec.preserveOnDelete) await tearDown();
  state.stage = 'Deleted';
  state.deleted = true;
  refresh();
  await condition(allHandlersFinished);
  await flushed();
  metrics.workflowFinished(CLUSTER_DEPLOYMENT_KIND, 'deleted');
}

export type { ClusterDeployment };
