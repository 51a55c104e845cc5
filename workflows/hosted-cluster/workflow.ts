/**
 * The HostedCluster entity workflow: one per hosted cluster, ID HostedCluster/<ns>/<name>. It
 * wires the entity's Updates, Query and NodePool Signal to HostedClusterEntity (entity.ts) and
 * runs its main loop: roll the control plane out to the spec, look at it on long jittered timers
 * while idle, continue as new when idle, and deprovision on delete.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import { validatePatch } from '../../crds/validate';
import { continueAsNewDue } from '../entity/continue-as-new';
import { registerEntityHandlers } from '../entity/handlers';
import { workflowFinished } from '../entity/metrics';
import { HOSTED_CLUSTER_KIND, deleteHostedCluster, getHostedCluster, nodePoolSignal, patchHostedCluster, type HostedClusterInput } from './definitions';
import { HostedClusterEntity } from './entity';

export async function hostedClusterWorkflow(input: HostedClusterInput): Promise<void> {
  const entity = new HostedClusterEntity(input);
  const { state } = entity;
  registerEntityHandlers({
    label: entity.label,
    getObject: getHostedCluster,
    patchObject: patchHostedCluster,
    deleteObject: deleteHostedCluster,
    publicationFloor: () => entity.publications.floor(),
    republish: () => entity.refresh(),
    snapshot: () => ({ object: entity.snapshotObject(), deleted: state.deleted && state.removalListed === true }),
    object: () => state.object,
    deletionRequested: () => state.deletionRequested,
    validatePatch: (current, patch) => validatePatch(HOSTED_CLUSTER_KIND, current, patch),
    checkPatch: (current, next) => entity.checkPatch(current, next),
    applyPatch: (next) => entity.applyPatch(next),
    requestDeletion: (request) => entity.requestDeletion(request.requestedAt),
  });
  setHandler(nodePoolSignal, (notice) => entity.takeNodePoolNotice(notice));

  void entity.publisher.run();
  entity.refresh();
  for (;;) {
    if (state.deletionRequested) break;
    if (entity.needsRollout) {
      await entity.rollOut();
      continue;
    }
    if (continueAsNewDue(input.continueAsNewAfterEvents, state)) {
      await condition(allHandlersFinished);
      await entity.publisher.flushed();
      if (!entity.needsRollout && !state.deletionRequested) {
        await continueAsNew<typeof hostedClusterWorkflow>({ ...input, object: state.object, carried: { ...state } });
      }
      continue;
    }
    const woken = await condition(() => entity.needsRollout || state.deletionRequested, entity.observeDelayMs());
    if (!woken && state.everAvailable) await entity.observe();
  }

  await entity.deprovision();
  await condition(allHandlersFinished);
  await entity.publisher.flushed();
  state.removalListed = true;
  workflowFinished(HOSTED_CLUSTER_KIND, 'deleted');
}
