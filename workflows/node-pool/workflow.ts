/**
 * The NodePool entity workflow: one per NodePool, ID NodePool/<ns>/<name>. It wires Updates,
 * the Query and Signals to NodePoolEntity (entity.ts) and runs its main loop: keep the owned
 * MachineDeployment at the spec, look at the Nodes on timers (autorepair, autoscaling),
 * continue as new when idle, and delete every machine on delete.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import { validatePatch } from '../../crds/validate';
import { continueAsNewDue } from '../entity/continue-as-new';
import { registerEntityHandlers } from '../entity/handlers';
import { workflowFinished } from '../entity/metrics';
import { poolReportSignal } from '../machine-deployment/definitions';
import { NODE_POOL_KIND, deleteNodePool, getNodePool, nodePoolOwnerDeleteSignal, patchNodePool, type NodePoolInput } from './definitions';
import { NodePoolEntity } from './entity';

export async function nodePoolWorkflow(input: NodePoolInput): Promise<void> {
  const entity = new NodePoolEntity(input);
  const { state } = entity;
  registerEntityHandlers({
    label: entity.label,
    getObject: getNodePool,
    patchObject: patchNodePool,
    deleteObject: deleteNodePool,
    publicationFloor: () => entity.publications.floor(),
    republish: () => entity.refresh(),
    snapshot: () => ({ object: entity.snapshotObject(), deleted: state.deleted && state.removalListed === true }),
    object: () => state.object,
    deletionRequested: () => state.deletionRequested,
    validatePatch: (current, patch) => validatePatch(NODE_POOL_KIND, current, patch),
    checkPatch: (current, next) => entity.checkPatch(current, next),
    applyPatch: (next) => entity.applyPatch(next),
    requestDeletion: (request) => entity.requestDeletion(request.requestedAt),
  });
  setHandler(nodePoolOwnerDeleteSignal, (request) => entity.takeOwnerDelete(request));
  setHandler(poolReportSignal, (report) => entity.takePoolReport(report));

  void entity.publisher.run();
  entity.refresh();
  await entity.joinCluster();
  let recheckAt: number | undefined;
  // An absolute deadline, so that frequent changes cannot put the next look off for ever.
  let lookAt: number | undefined;
  for (;;) {
    if (state.deletionRequested) break;
    entity.changed = false;
    await entity.reconcileMachineDeployment();
    await entity.upgradeInPlace();
    if (continueAsNewDue(input.continueAsNewAfterEvents, state)) {
      await condition(allHandlersFinished);
      await entity.publisher.flushed();
      if (!entity.changed && !state.deletionRequested) {
        await continueAsNew<typeof nodePoolWorkflow>({ ...input, object: state.object, carried: { ...state } });
      }
      continue;
    }
    const waitMs = entity.nextLookMs(recheckAt);
    if (waitMs !== undefined) lookAt = Math.min(lookAt ?? Number.POSITIVE_INFINITY, Date.now() + waitMs);
    if (lookAt === undefined) {
      await condition(() => entity.changed || state.deletionRequested);
      continue;
    }
    if (!(await condition(() => entity.changed || state.deletionRequested, Math.max(1, lookAt - Date.now())))) {
      lookAt = undefined;
      recheckAt = await entity.look();
    }
  }

  await entity.deleteAll();
  await condition(allHandlersFinished);
  await entity.publisher.flushed();
  state.removalListed = true;
  await entity.leaveCluster();
  workflowFinished(NODE_POOL_KIND, 'deleted');
}
