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
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  startChild,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  upsertMemo,
  workflowInfo,
  type Sinks,
} from '@temporalio/workflow';
import { CLOUD_ACTIVITY_RETRY, HISTORY_EVENTS_BEFORE_CONTINUE, PROJECTION_LOCAL_ACTIVITY } from '../entity-defaults';
import type { ClusterDeployment } from '../../crds/schemas/cluster-deployment';
import { validateClusterDeploymentPatch } from '../../crds/validate';
import type { MachineRole } from '../../providers/types';
import { planDeprovision } from '../planners/deletion-order';
import { controlPlaneMachineName, infraIdFor } from '../planners/names';
import { MACHINE_DEPLOYMENT_KIND, ownerDeleteSignal, ownerSpecSignal, poolReportSignal } from '../machine-deployment/definitions';
import { machineDeploymentWorkflow } from '../machine-deployment/workflow';
import type { ClusterActivities, MachineIdentity, ProjectionActivities, ProviderTarget } from './activities-api';
import {
  CLUSTER_DEPLOYMENT_KIND,
  deleteClusterDeployment,
  entityWorkflowId,
  getClusterDeployment,
  patchClusterDeployment,
  type ClusterDeploymentInput,
} from './definitions';
import { desiredPoolDeployments, ownedSpecOf, type DesiredPool } from './pools';
import {
  DEFAULT_CONTROL_PLANE_REPLICAS,
  DEFAULT_IMAGE,
  DEFAULT_INSTALL_ATTEMPTS_LIMIT,
  DEFAULT_INSTANCE_TYPE,
  deriveStatus,
  platformOf,
  poolReportSettled,
  type ClusterState,
  type MachineRecord,
} from './state';

export const PROTECTED_DELETE_ANNOTATION = 'slipway.dev/protected-delete';

const retry = CLOUD_ACTIVITY_RETRY;
// Cloud API calls are a few HTTP requests each; a short start-to-close bounds how long a
// call lost with a dead worker stays invisible before it is retried elsewhere.
const cloud = proxyActivities<ClusterActivities>({
  startToCloseTimeout: '15s',
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
const projection = proxyLocalActivities<ProjectionActivities>(PROJECTION_LOCAL_ACTIVITY);

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
    machines: {},
    pools: {},
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
  /**
   * Wakes the publisher. A plain promise rather than a condition: the publisher then runs
   * right after the code that changed state, in an order fixed by that code, never by when
   * a local activity happened to return (which differs on replay after a worker restart).
   */
  let wakePublisher: (() => void) | undefined;
  const refresh = () => {
    statusStale = true;
    dirty = true;
    wakePublisher?.();
    wakePublisher = undefined;
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
      if (!dirty) {
        await new Promise<void>((resolve) => {
          wakePublisher = resolve;
        });
      }
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

  setHandler(poolReportSignal, (report) => {
    const pool = state.pools[report.pool];
    if (pool && pool.machineDeployment === report.machineDeployment) {
      pool.report = report;
      refresh();
    }
  });

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

  // --- worker pools: one owned MachineDeployment each ------------------------------
  /** Started children of this run, so a teardown can wait for each to close before a retry starts it again. */
  const children = new Map<string, { result(): Promise<unknown> }>();

  const startPool = async (desired: DesiredPool) => {
    const workflowIdOfPool = entityWorkflowId(MACHINE_DEPLOYMENT_KIND, namespace, desired.object.metadata.name);
    const sentSpec = JSON.stringify(ownedSpecOf(desired.object));
    state.pools[desired.pool] = { machineDeployment: desired.object.metadata.name, workflowId: workflowIdOfPool, sentSpec, revision: desired.revision };
    refresh();
    // Not cancellable: a delete request must not cancel the pool's workflow; the teardown deletes it.
    const child = await CancellationScope.nonCancellable(() =>
      startChild(machineDeploymentWorkflow, {
        workflowId: workflowIdOfPool,
        args: [
          {
            object: desired.object,
            managementId: input.managementId,
            placement: { target: target(), infraId: state.infraId, defaultImage: state.object.spec.provisioning?.releaseImage ?? DEFAULT_IMAGE, attempt: state.attempts.length },
            owner: { kind: 'ClusterDeployment', name: state.object.metadata.name, workflowId, pool: desired.pool },
            ...(input.poolObserveIntervalSeconds !== undefined ? { observeIntervalSeconds: input.poolObserveIntervalSeconds } : {}),
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        memo: { object: desired.object },
      }),
    );
    children.set(desired.pool, child);
  };

  const updatePool = async (desired: DesiredPool) => {
    const pool = state.pools[desired.pool];
    if (!pool) return startPool(desired);
    const spec = ownedSpecOf(desired.object);
    const sentSpec = JSON.stringify(spec);
    if (sentSpec === pool.sentSpec) return;
    pool.sentSpec = sentSpec;
    pool.revision = desired.revision;
    refresh();
    await getExternalWorkflowHandle(pool.workflowId).signal(ownerSpecSignal, spec);
  };

  /** Deletes a pool's MachineDeployment and waits until its machines are gone and it has closed. */
  const deletePool = async (name: string) => {
    const pool = state.pools[name];
    if (!pool) return;
    if (!pool.report?.deleted) {
      await getExternalWorkflowHandle(pool.workflowId).signal(ownerDeleteSignal, { requestedAt: new Date().toISOString() });
      await condition(() => pool.report?.deleted === true);
    }
    await children.get(name)?.result().catch(() => undefined);
    children.delete(name);
    delete state.pools[name];
    refresh();
  };

  /** Brings every worker pool to its desired spec and waits until each reports it holds; re-reads the spec while it moves. */
  const reconcileWorkers = async () => {
    for (;;) {
      specChanged = false;
      const desired = desiredPoolDeployments(state.object, state.object.metadata.uid ?? workflowId, new Date().toISOString());
      const wanted = new Set(desired.map((pool) => pool.pool));
      await Promise.all(Object.keys(state.pools).filter((name) => !wanted.has(name)).map(deletePool));
      for (const pool of desired) await updatePool(pool);
      await condition(() => specChanged || desired.every((pool) => poolReportSettled(state.pools[pool.pool]?.report, { replicas: pool.object.spec.replicas, revision: pool.revision })));
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

    const controlPlaneType = spec.controlPlane?.platform?.instanceType ?? DEFAULT_INSTANCE_TYPE[platformOf(spec).platform].controlPlane;
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
    for (const step of planDeprovision(machines, Object.keys(state.pools))) {
      if (step.kind === 'deletePools') await Promise.all(step.pools.map(deletePool));
      else if (step.kind === 'deleteMachines') await deleteMachines(step.names);
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
