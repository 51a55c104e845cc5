/**
 * The MachineDeployment entity workflow: one per MachineDeployment, ID
 * MachineDeployment/<ns>/<name>. It wires Updates, Queries and Signals to
 * MachineDeploymentEntity (entity.ts) and runs its main loop: plan and apply, publish,
 * continue as new when idle, and delete every machine on delete. A ClusterDeployment owns one
 * per worker pool and drives it by signals; a standalone one joins the cluster it runs on.
 */
import { ApplicationFailure, allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import { validatePatch } from '../../crds/validate';
import { continueAsNewDue } from '../entity/continue-as-new';
import { registerEntityHandlers, writeAnswer } from '../entity/handlers';
import { workflowFinished } from '../entity/metrics';
import {
  MACHINE_DEPLOYMENT_KIND,
  deleteMachineDeployment,
  getMachineDeployment,
  machinesUpdate,
  ownerDeleteSignal,
  ownerMachinesSignal,
  ownerSpecSignal,
  patchMachineDeployment,
  planMachineDeploymentRollout,
  undoMachineDeployment,
  type MachineDeploymentInput,
} from './definitions';
import { MachineDeploymentEntity } from './entity';
import { machinesObservedSignal } from '../cloud-observer/definitions';

export async function machineDeploymentWorkflow(input: MachineDeploymentInput): Promise<void> {
  const entity = new MachineDeploymentEntity(input);
  const { state } = entity;
  const floor = () => entity.publications.floor();
  registerEntityHandlers({
    label: entity.label,
    getObject: getMachineDeployment,
    patchObject: patchMachineDeployment,
    deleteObject: deleteMachineDeployment,
    publicationFloor: floor,
    republish: () => entity.refresh(),
    snapshot: () => ({ object: entity.withStatus(), deleted: state.deleted && state.removalListed === true }),
    object: () => state.object,
    deletionRequested: () => state.deletionRequested,
    validatePatch: (current, patch) => validatePatch('MachineDeployment', current, patch),
    checkPatch: (current, next) => {
      if (JSON.stringify(next.spec) !== JSON.stringify(current.spec)) entity.refuseIfOwned();
    },
    checkDelete: () => entity.refuseIfOwned(),
    applyPatch: (next) => entity.setObject(next),
    requestDeletion: (request) => entity.requestDeletion(request.requestedAt),
  });
  setHandler(planMachineDeploymentRollout, (request) =>
    entity.preview(request, (patch) => {
      const result = validatePatch('MachineDeployment', state.object, patch);
      if (!result.ok) throw ApplicationFailure.create({ type: 'InvalidPatch', message: result.errors.map((error) => `${error.path}: ${error.message}`).join('; '), details: [result.errors] });
      return result.next;
    }),
  );
  setHandler(undoMachineDeployment, (request) => writeAnswer(entity.undo(request.toRevision), floor), { validator: (request) => entity.checkUndo(request.toRevision) });
  setHandler(machinesUpdate, (request) => writeAnswer(entity.actOnMachines(request.names, request.annotations, request.delete === true), floor), { validator: (request) => entity.checkMachines(request.names) });
  setHandler(ownerDeleteSignal, (request) => entity.takeOwnerDelete(request));
  setHandler(ownerSpecSignal, (owned) => entity.takeOwnerSpec(owned));
  setHandler(ownerMachinesSignal, (request) => entity.takeOwnerMachines(request));
  setHandler(machinesObservedSignal, (observed) => entity.takeObservation(observed));

  entity.refresh();
  await entity.joinCluster();
  for (;;) {
    if (state.deletionRequested) break;
    entity.changed = false;
    const recheckAt = entity.reconcile();
    if (entity.changed) continue;
    // Together, so the status write, the owner's report and a new subscription go out in one workflow task.
    const [published] = await Promise.all([entity.publisher.publishIfDirty(), entity.keepSubscribed()]);
    if (entity.changed || state.deletionRequested) continue;
    if (entity.inFlight === 0 && continueAsNewDue(input.continueAsNewAfterEvents, state)) {
      await condition(allHandlersFinished);
      await entity.publisher.flush();
      if (!entity.changed && !state.deletionRequested && entity.inFlight === 0) {
        entity.finished = true;
        await continueAsNew<typeof machineDeploymentWorkflow>({ ...input, object: state.object, carried: { ...state } });
      }
      continue;
    }
    // A failed status write is tried again soon, even when nothing else is due.
    const retryAt = published ? undefined : Date.now() + (entity.publisher.retryDelayMs() ?? 0);
    const wakeAt = [recheckAt, retryAt].filter((time): time is number => time !== undefined);
    const waitMs = wakeAt.length === 0 ? undefined : Math.max(1, Math.min(...wakeAt) - Date.now());
    if (waitMs === undefined) await condition(() => entity.changed || state.deletionRequested);
    else await condition(() => entity.changed || state.deletionRequested, waitMs);
  }

  await entity.deleteAll();
  await condition(allHandlersFinished);
  await entity.publisher.flush();
  state.removalListed = true;
  await entity.unsubscribe();
  await entity.leaveCluster();
  workflowFinished(MACHINE_DEPLOYMENT_KIND, 'deleted');
}
