/**
 * The ClusterDeployment entity workflow: one per cluster, ID ClusterDeployment/<ns>/<name>.
 * It wires the entity's Updates, Query and Signals to ClusterDeploymentEntity (entity.ts)
 * and runs its main loop: install, reconcile spec changes, continue as new when idle, and
 * deprovision on delete.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import { validateClusterDeploymentPatch } from '../../crds/validate';
import { continueAsNewDue } from '../entity/continue-as-new';
import { registerEntityHandlers } from '../entity/handlers';
import { workflowFinished } from '../entity/metrics';
import { poolReportSignal } from '../machine-deployment/definitions';
import { CLUSTER_DEPLOYMENT_KIND, deleteClusterDeployment, getClusterDeployment, memberSignal, patchClusterDeployment, type ClusterDeploymentInput } from './definitions';
import { ClusterDeploymentEntity } from './entity';

export async function clusterDeploymentWorkflow(input: ClusterDeploymentInput): Promise<void> {
  const entity = new ClusterDeploymentEntity(input);
  const { state } = entity;
  registerEntityHandlers({
    label: entity.label,
    getObject: getClusterDeployment,
    patchObject: patchClusterDeployment,
    deleteObject: deleteClusterDeployment,
    publicationFloor: () => entity.publications.floor(),
    republish: () => entity.refresh(),
    snapshot: () => ({ object: entity.snapshotObject(), deleted: state.deleted && state.removalListed === true }),
    object: () => state.object,
    deletionRequested: () => state.deletionRequested,
    validatePatch: validateClusterDeploymentPatch,
    checkPatch: (current, next) => entity.checkPatch(current, next),
    allowedWhileDeleting: ClusterDeploymentEntity.abandonsTeardown,
    applyPatch: (next) => entity.applyPatch(next),
    requestDeletion: (request) => entity.requestDeletion(request.requestedAt),
  });
  setHandler(poolReportSignal, (report) => entity.takePoolReport(report));
  setHandler(memberSignal, (notice) => entity.takeMemberNotice(notice));

  void entity.publisher.run();
  entity.refresh();
  for (;;) {
    if (state.deletionRequested) break;
    if (state.stage === 'Pending') {
      // Ends Provisioned or ProvisionFailed, or returns early because deletion was requested.
      await entity.install();
      continue;
    }
    if (state.stage === 'Provisioned' && entity.specChanged) {
      await entity.reconcileSpecChange();
      continue;
    }
    if (state.stage !== 'Provisioned') entity.specChanged = false; // recorded in spec; nothing to act on
    if (continueAsNewDue(input.continueAsNewAfterEvents, state)) {
      await condition(allHandlersFinished);
      await entity.publisher.flushed();
      if (!entity.specChanged && !state.deletionRequested) {
        await continueAsNew<typeof clusterDeploymentWorkflow>({ ...input, object: state.object, carried: { ...state } });
      }
      continue;
    }
    await condition(() => entity.specChanged || state.deletionRequested);
  }

  await entity.deprovision();
  await condition(allHandlersFinished);
  await entity.publisher.flushed();
  state.removalListed = true;
  workflowFinished(CLUSTER_DEPLOYMENT_KIND, 'deleted');
}
