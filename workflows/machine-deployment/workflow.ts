/**
 * The MachineDeployment entity workflow: one per MachineDeployment, ID
 * MachineDeployment/<ns>/<name>. It holds the spec, its MachineSets (one per template
 * revision) and their machines; asks the pure rollout planner what to do next, applies the
 * actions, watches the cloud for machines becoming Ready or failing, replaces unhealthy
 * machines under the health check, and deletes every machine on delete. A ClusterDeployment
 * owns one per worker pool and drives it by signals.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import { CLOUD_ACTIVITY_RETRY, HISTORY_EVENTS_BEFORE_CONTINUE, PROJECTION_LOCAL_ACTIVITY } from '../entity-defaults';
import type { MachineDeployment } from '../../crds/schemas/machine-deployment';
import { validatePatch } from '../../crds/validate';
import { planRemediation, planRollout, previewRollout, templateRevision } from '../planners/rollout/index';
import type { RolloutAction, RolloutPlan } from '../planners/rollout/types';
import type { ClusterActivities, MachineIdentity, ProjectionActivities } from '../cluster-deployment/activities-api';
import type { WorkflowMetricsSink } from '../cluster-deployment/workflow';
import type { MachineDeploymentActivities, MachineObservation } from './activities-api';
import { observationFingerprint, observationSettled, watchTaskQueue } from './activities-api';
import {
  MACHINE_DEPLOYMENT_KIND,
  deleteMachineDeployment,
  getMachineDeployment,
  machinesUpdate,
  ownerDeleteSignal,
  ownerSpecSignal,
  patchMachineDeployment,
  planMachineDeploymentRollout,
  poolReportSignal,
  undoMachineDeployment,
  type MachineDeploymentInput,
} from './definitions';
import {
  deriveStatus,
  machinePhase,
  machineReady,
  plannedMachineSets,
  plannedMachines,
  memoObject,
  poolReportOf,
  rolloutSpecOf,
  type MachineDeploymentState,
  type MachineRecord,
} from './state';
import { healthInput } from './health';
import { machineNameFor } from '../planners/names';

const DEFAULT_OBSERVE_SECONDS = 30;
const DEFAULT_BOOT_SECONDS = 120;
const DEFAULT_DRAIN_SECONDS = 60;
/** A refused create is retried by a replacement after this, doubling per consecutive failure. */
const CREATE_RETRY_BASE_MS = 5_000;
const CREATE_RETRY_MAX_MS = 300_000;

const retry = CLOUD_ACTIVITY_RETRY;
// A create is a few cloud API calls; a short start-to-close bounds how long one lost with a
// dead worker stays invisible before another worker retries it (and finds the machine by name).
const cloud = proxyActivities<Pick<ClusterActivities, 'createMachine'>>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '5m',
  retry,
});
const teardown = proxyActivities<Pick<ClusterActivities, 'deleteMachine'>>({
  startToCloseTimeout: '20m',
  heartbeatTimeout: '10s',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});
const projection = proxyLocalActivities<ProjectionActivities>(PROJECTION_LOCAL_ACTIVITY);
const { metrics } = proxySinks<WorkflowMetricsSink>();

function initialState(input: MachineDeploymentInput): MachineDeploymentState {
  return {
    object: input.object,
    machineSets: {},
    machines: {},
    nextMachineIndex: 0,
    nextRevisionNumber: 1,
    lastObservation: {},
    lastObservationSettled: {},
    createFailures: 0,
    deletionRequested: false,
    deleted: false,
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function machineDeploymentWorkflow(input: MachineDeploymentInput): Promise<void> {
  const state: MachineDeploymentState = (input.carried as MachineDeploymentState | undefined) ?? initialState(input);
  const { workflowId } = workflowInfo();
  const namespace = state.object.metadata.namespace ?? 'default';
  const mdName = state.object.metadata.name;
  const { placement } = input;
  const label = `MachineDeployment ${namespace}/${mdName}`;
  const observeSeconds = () => state.object.spec.healthCheck?.checkIntervalSeconds ?? input.observeIntervalSeconds ?? DEFAULT_OBSERVE_SECONDS;
  const maxWatchSeconds = () => Math.min(600, observeSeconds() * 10);
  const watcherFor = (maxSeconds: number) =>
    proxyActivities<MachineDeploymentActivities>({
      taskQueue: watchTaskQueue(workflowInfo().taskQueue),
      startToCloseTimeout: `${maxSeconds + 60}s`,
      // Short, so a watch lost with a dead worker is retried elsewhere within seconds.
      heartbeatTimeout: '5s',
      retry: { ...retry, maximumInterval: '30s' },
      // The workflow moves on at once when it wants a fresh look; the old watch stops at its next heartbeat.
      cancellationType: ActivityCancellationType.TRY_CANCEL,
    });

  let changed = true;
  let inFlight = 0;
  /** Creates still running, by machine name: a delete must wait for its create, or the machine could appear after it. */
  const creating = new Map<string, Promise<void>>();
  const revisionOf = () => templateRevision(state.object.spec.template);

  // --- status publishing -------------------------------------------------------------
  let dirty = true;
  let lastMemo = '';
  let lastReport = '';
  const refresh = () => {
    dirty = true;
    changed = true;
  };
  const currentPlan = (): RolloutPlan =>
    planRollout({ spec: rolloutSpecOf(state.object, revisionOf()), machineSets: plannedMachineSets(state), machines: plannedMachines(state), now: Date.now() });
  const withStatus = (): MachineDeployment => ({
    ...state.object,
    status: deriveStatus(state, currentPlan().counts, revisionOf(), new Date().toISOString()),
  });
  /**
   * Writes status where readers find it: the memo, the owner's report and the projection.
   * Called only from the main loop, never from a coroutine of its own, so the order of the
   * commands it issues against the others can never depend on when a local activity returns.
   */
  const publish = async () => {
    if (!dirty) return;
    {
      dirty = false;
      state.object = withStatus();
      const memo = JSON.stringify(memoObject(state.object));
      if (memo !== lastMemo) {
        upsertMemo({ object: JSON.parse(memo) as unknown });
        lastMemo = memo;
      }
      try {
        const report = input.owner ? poolReportOf(state, input.owner.pool, revisionOf()) : undefined;
        const reportText = JSON.stringify(report);
        if (report && input.owner && reportText !== lastReport) {
          await getExternalWorkflowHandle(input.owner.workflowId).signal(poolReportSignal, report);
          lastReport = reportText;
        }
        await projection.projectObject({ kind: MACHINE_DEPLOYMENT_KIND, object: state.object, deleted: state.deleted });
      } catch {
        // The projection is a cache rebuilt from memos, and the owner reads the next report.
      }
    }
  };
  const flushed = async () => {
    while (dirty) await publish();
  };

  // --- handlers ---------------------------------------------------------------------
  setHandler(getMachineDeployment, () => ({ object: withStatus(), deleted: state.deleted }));

  setHandler(planMachineDeploymentRollout, (request) => {
    let object = state.object;
    if (request.patch) {
      const result = validatePatch('MachineDeployment', state.object, request.patch);
      if (!result.ok) throw ApplicationFailure.create({ type: 'InvalidPatch', message: result.errors.map((error) => `${error.path}: ${error.message}`).join('; '), details: [result.errors] });
      object = result.next;
    }
    const preview = previewRollout({
      spec: rolloutSpecOf(object, templateRevision(object.spec.template)),
      machineSets: plannedMachineSets(state),
      machines: plannedMachines(state),
      bootSeconds: request.bootSeconds ?? DEFAULT_BOOT_SECONDS,
      drainSeconds: request.drainSeconds ?? DEFAULT_DRAIN_SECONDS,
      namePrefix: `${mdName}-`,
    });
    return {
      waves: preview.waves,
      idealWaves: preview.idealWaves,
      expectedSeconds: preview.expectedSeconds,
      maxSurge: preview.budget.maxSurge,
      maxUnavailable: preview.budget.maxUnavailable,
    };
  });

  const refuseWhileDeleting = () => {
    if (state.deletionRequested) {
      throw ApplicationFailure.create({
        type: 'BeingDeleted',
        message: `${label} is being deleted and can no longer be changed. Wait for the deletion to finish, then create it again.`,
        nonRetryable: true,
      });
    }
  };
  const refuseIfOwned = () => {
    if (input.owner) {
      throw ApplicationFailure.create({
        type: 'OwnedByCluster',
        message: `${label} implements worker pool "${input.owner.pool}" of ClusterDeployment ${namespace}/${input.owner.name}; change spec.compute of that ClusterDeployment instead.`,
        nonRetryable: true,
      });
    }
  };
  const setSpec = (next: MachineDeployment) => {
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(state.object.spec);
    const generation = (state.object.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    state.object = { ...next, metadata: { ...next.metadata, generation }, status: state.object.status };
    refresh();
  };

  setHandler(
    patchMachineDeployment,
    (patch) => {
      const result = validatePatch('MachineDeployment', state.object, patch);
      if (!result.ok) throw ApplicationFailure.create({ type: 'InvalidPatch', message: 'invalid patch', nonRetryable: true });
      setSpec(result.next);
      return withStatus();
    },
    {
      validator: (patch) => {
        refuseWhileDeleting();
        const result = validatePatch('MachineDeployment', state.object, patch);
        if (!result.ok) {
          throw ApplicationFailure.create({
            type: 'InvalidPatch',
            message: result.errors.map((error) => `${error.path}: ${error.message}`).join('; '),
            details: [result.errors],
            nonRetryable: true,
          });
        }
        if (JSON.stringify(result.next.spec) !== JSON.stringify(state.object.spec)) refuseIfOwned();
      },
    },
  );

  const undoTarget = (toRevision: number | undefined) => {
    const current = state.machineSets[revisionOf()];
    const candidates = Object.values(state.machineSets).filter((set) => set.revision !== revisionOf());
    return toRevision === undefined
      ? candidates.filter((set) => set.revisionNumber < (current?.revisionNumber ?? Number.MAX_SAFE_INTEGER)).sort((a, b) => b.revisionNumber - a.revisionNumber)[0]
      : candidates.find((set) => set.revisionNumber === toRevision);
  };
  setHandler(
    undoMachineDeployment,
    (request) => {
      const target = undoTarget(request.toRevision);
      if (target) setSpec({ ...state.object, spec: { ...state.object.spec, template: target.template } });
      return withStatus();
    },
    {
      validator: (request) => {
        refuseWhileDeleting();
        refuseIfOwned();
        if (!undoTarget(request.toRevision)) {
          const known = Object.values(state.machineSets).map((set) => set.revisionNumber).sort((a, b) => a - b).join(', ');
          throw ApplicationFailure.create({
            type: 'NoSuchRevision',
            message: request.toRevision === undefined
              ? `${label} has no earlier revision to go back to (revisions kept: ${known || 'none'}). Raise spec.revisionHistoryLimit to keep more.`
              : `${label} has no revision ${request.toRevision}; the revisions kept are ${known || 'none'}.`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  const requestDeletion = (requestedAt: string) => {
    if (state.deletionRequested) return;
    state.deletionRequested = true;
    state.object = { ...state.object, metadata: { ...state.object.metadata, deletionTimestamp: requestedAt } };
    refresh();
  };
  setHandler(
    deleteMachineDeployment,
    (request) => {
      requestDeletion(request.requestedAt);
      return withStatus();
    },
    { validator: (_request) => refuseIfOwned() },
  );
  setHandler(ownerDeleteSignal, (request) => requestDeletion(request.requestedAt));
  setHandler(ownerSpecSignal, (owned) => {
    if (state.deletionRequested) return;
    setSpec({ ...state.object, spec: { ...state.object.spec, replicas: owned.replicas, template: owned.template } });
  });

  setHandler(
    machinesUpdate,
    (request) => {
      for (const name of request.names) {
        const machine = state.machines[name];
        if (!machine) continue;
        for (const [key, value] of Object.entries(request.annotations ?? {})) {
          if (value === null) delete machine.annotations[key];
          else machine.annotations[key] = value;
        }
        if (request.delete) startDelete(machine, 'deleted by request');
      }
      refresh();
      return withStatus();
    },
    {
      validator: (request) => {
        refuseWhileDeleting();
        const unknown = request.names.filter((name: string) => !state.machines[name]);
        if (unknown.length > 0) {
          throw ApplicationFailure.create({
            type: 'InvalidPatch',
            message: `${label} has no machine ${unknown.join(', ')}; its machines are listed in status.machines.`,
            details: [unknown.map((name: string) => ({ path: 'names', message: `no machine ${name}` }))],
            nonRetryable: true,
          });
        }
      },
    },
  );

  // --- effects ----------------------------------------------------------------------
  const identity = (machine: MachineRecord): MachineIdentity => ({
    target: placement.target,
    infraId: placement.infraId,
    workflowId,
    machineName: machine.name,
    attempt: placement.attempt,
  });

  const setMachine = (machine: MachineRecord, change: Partial<MachineRecord>) => {
    const before = machinePhase(machine);
    Object.assign(machine, change);
    if (machinePhase(machine) !== before) machine.since = new Date().toISOString();
    refresh();
  };

  const createMachine = (machineSetName: string) => {
    const set = state.machineSets[machineSetName];
    if (!set) return;
    const name = machineNameFor(mdName, set.revision, state.nextMachineIndex++);
    const machine: MachineRecord = {
      name,
      machineSet: set.name,
      createdAt: Date.now(),
      seenInCloud: false,
      wasReady: false,
      deleting: false,
      failed: false,
      annotations: {},
      remediating: false,
      since: new Date().toISOString(),
    };
    state.machines[name] = machine;
    refresh();
    nudgeWatch();
    inFlight += 1;
    const done = (async () => {
      try {
        const created = await cloud.createMachine({
          ...identity(machine),
          managementId: input.managementId,
          role: 'worker',
          pool: mdName,
          instanceType: set.template.spec.infrastructure.instanceType,
          image: set.template.spec.infrastructure.image ?? placement.defaultImage,
        });
        state.createFailures = 0;
        setMachine(machine, { providerId: created.providerId });
      } catch (error) {
        state.createFailures += 1;
        setMachine(machine, { failed: true, message: `The cloud refused to create it: ${describeFailure(error)}` });
      } finally {
        inFlight -= 1;
        creating.delete(name);
      }
    })();
    creating.set(name, done);
  };

  const startDelete = (machine: MachineRecord, why: string) => {
    if (machine.deleting) return;
    setMachine(machine, { deleting: true, message: `Deleting: ${why}.` });
    nudgeWatch();
    inFlight += 1;
    void (async () => {
      try {
        await creating.get(machine.name);
        await teardown.deleteMachine(identity(machine));
        delete state.machines[machine.name];
        delete state.lastObservation[machine.name];
        delete state.lastObservationSettled[machine.name];
        refresh();
      } finally {
        inFlight -= 1;
      }
    })();
  };

  /** Applies one planner action; false when it changed nothing (a stale or repeated action). */
  const apply = (action: RolloutAction): boolean => {
    switch (action.type) {
      case 'createMachineSet': {
        if (state.machineSets[action.machineSet]) return false;
        state.machineSets[action.machineSet] = {
          name: action.machineSet,
          revision: action.revision,
          revisionNumber: state.nextRevisionNumber++,
          replicas: action.replicas,
          template: state.object.spec.template,
        };
        return true;
      }
      case 'scaleMachineSet': {
        const set = state.machineSets[action.machineSet];
        if (!set || set.replicas === action.replicas) return false;
        set.replicas = action.replicas;
        return true;
      }
      case 'deleteMachineSet': {
        if (!state.machineSets[action.machineSet] || Object.values(state.machines).some((machine) => machine.machineSet === action.machineSet)) return false;
        delete state.machineSets[action.machineSet];
        return true;
      }
      case 'createMachine': {
        if (!state.machineSets[action.machineSet]) return false;
        createMachine(action.machineSet);
        return true;
      }
      case 'deleteMachine': {
        const machine = state.machines[action.machine];
        if (!machine || machine.deleting) return false;
        startDelete(machine, action.reason);
        return true;
      }
    }
  };

  /** Folds one cloud observation into the machines' records. */
  const observe = (seen: Readonly<Record<string, MachineObservation>>) => {
    const now = Date.now();
    for (const machine of Object.values(state.machines)) {
      const observation = seen[machine.name];
      if (!observation) {
        // Gone from the cloud after it was there, and not by our hand: someone deleted it.
        if (machine.seenInCloud && !machine.deleting) {
          delete state.machines[machine.name];
          refresh();
        }
        continue;
      }
      const readyBefore = machineReady(machine);
      setMachine(machine, {
        seenInCloud: true,
        providerId: observation.providerId,
        cloudPhase: observation.phase,
        ...(observation.node !== undefined ? { node: observation.node } : {}),
        ...(observation.phase === 'failed' && !machine.deleting ? { failed: true, message: 'The cloud reports the machine failed.' } : {}),
      });
      const readyNow = machineReady(machine);
      if (readyNow && !readyBefore) setMachine(machine, { readySince: now, wasReady: true });
      if (!readyNow && machine.readySince !== undefined) delete machine.readySince;
    }
    state.lastObservation = Object.fromEntries(Object.entries(seen).map(([name, observation]) => [name, observationFingerprint(observation)]));
    state.lastObservationSettled = Object.fromEntries(Object.entries(seen).map(([name, observation]) => [name, observationSettled(observation)]));
    refresh();
  };

  let finished = false;
  /** The running watch, and whether it only looks now and then because everything it knew was settled. */
  let watch: { scope: CancellationScope; slow: boolean } | undefined;
  /** A machine was asked for or deleted: a slow watch would notice late, so start a fresh one. */
  const nudgeWatch = () => {
    if (watch?.slow) watch.scope.cancel();
  };
  const namePattern = `^${escapeRegExp(mdName)}-[0-9a-z]+-[0-9]+$`;
  const observer = async () => {
    while (!finished) {
      if (Object.keys(state.machines).length === 0 && Object.keys(state.lastObservation).length === 0) {
        await condition(() => finished || Object.keys(state.machines).length > 0);
        continue;
      }
      const scope = new CancellationScope();
      watch = { scope, slow: Object.keys(state.machines).every((name) => state.lastObservationSettled[name] === true) };
      try {
        const maxSeconds = maxWatchSeconds();
        const result = await scope.run(() =>
          watcherFor(maxSeconds).watchMachines({
            target: placement.target,
            infraId: placement.infraId,
            managementId: input.managementId,
            namePattern,
            known: state.lastObservation,
            expected: Object.values(state.machines).filter((machine) => !machine.deleting).map((machine) => machine.name),
            maxWaitSeconds: maxSeconds,
            settledPollSeconds: observeSeconds(),
          }),
        );
        if (!finished) observe(result.machines);
      } catch {
        // Cancelled for a fresh look, or failed after its retries: either way, look again.
      } finally {
        watch = undefined;
      }
    }
  };

  /** Replaces machines the health check judges unhealthy; returns when it next needs a look. */
  const remediate = (now: number): number | undefined => {
    const replaceFailed = Object.values(state.machines).filter((machine) => machine.failed && !machine.deleting);
    const backoff = Math.min(CREATE_RETRY_MAX_MS, CREATE_RETRY_BASE_MS * 2 ** Math.max(0, state.createFailures - 1));
    let recheckAt: number | undefined;
    for (const machine of replaceFailed) {
      const due = Date.parse(machine.since) + (state.createFailures > 0 ? backoff : 0);
      if (now >= due) startDelete(machine, machine.message ?? 'it failed');
      else recheckAt = Math.min(recheckAt ?? due, due);
    }
    const check = state.object.spec.healthCheck;
    if (!check) return recheckAt;
    const judgement = planRemediation(healthInput(state, check, revisionOf(), now));
    const blocked = judgement.shortCircuited ? { reason: judgement.shortCircuited.reason, message: judgement.shortCircuited.message } : undefined;
    if (JSON.stringify(blocked) !== JSON.stringify(state.remediationBlocked)) {
      if (blocked) state.remediationBlocked = blocked;
      else delete state.remediationBlocked;
      refresh();
    }
    for (const target of judgement.remediate) {
      const machine = state.machines[target.name];
      if (machine && !machine.deleting) {
        setMachine(machine, { remediating: true });
        startDelete(machine, `health check: ${target.reason}`);
      }
    }
    return judgement.recheckAt === undefined ? recheckAt : Math.min(recheckAt ?? judgement.recheckAt, judgement.recheckAt);
  };

  const reconcile = (): number | undefined => {
    const now = Date.now();
    const healthRecheck = remediate(now);
    const plan = currentPlan();
    const applied = plan.actions.map(apply).filter(Boolean).length;
    if (applied > 0) refresh();
    const times = [healthRecheck, plan.recheckAt].filter((time): time is number => time !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  };

  // --- main loop --------------------------------------------------------------------
  void observer();
  refresh();
  for (;;) {
    if (state.deletionRequested) break;
    changed = false;
    const recheckAt = reconcile();
    if (changed) continue;
    await publish();
    if (changed || state.deletionRequested) continue;
    const info = workflowInfo();
    if (inFlight === 0 && (info.continueAsNewSuggested || info.historyLength > (input.continueAsNewAfterEvents ?? HISTORY_EVENTS_BEFORE_CONTINUE))) {
      await condition(allHandlersFinished);
      await flushed();
      if (!changed && !state.deletionRequested && inFlight === 0) {
        finished = true;
        await continueAsNew<typeof machineDeploymentWorkflow>({ ...input, object: state.object, carried: { ...state } });
      }
      continue;
    }
    const waitMs = recheckAt === undefined ? undefined : Math.max(1, recheckAt - Date.now());
    if (waitMs === undefined) await condition(() => changed || state.deletionRequested);
    else await condition(() => changed || state.deletionRequested, waitMs);
  }

  for (const machine of Object.values(state.machines)) startDelete(machine, 'the MachineDeployment is being deleted');
  while (inFlight > 0 || Object.keys(state.machines).length > 0) {
    changed = false;
    await publish();
    if (!changed) await condition(() => changed);
  }
  finished = true;
  watch?.scope.cancel();
  state.deleted = true;
  refresh();
  await condition(allHandlersFinished);
  await flushed();
  metrics.workflowFinished(MACHINE_DEPLOYMENT_KIND, 'deleted');
}
