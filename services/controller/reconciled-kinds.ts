/**
 * The kinds the controller reconciles, one entry each: the entity definition REST uses too
 * (workflow type, Query and Updates, start input). Adding a kind is one more entry here, once
 * its routes export their definition; its CRD, informer, queue keys and reconciler come from
 * this table.
 */
import type { KindName } from '../../crds/schemas/index';
import { clusterDeploymentEntity } from '../api/routes/cluster-deployments';
import type { EntityDefinition } from '../api/routes/entity-routes';
import { hostedClusterEntity } from '../api/routes/hosted-clusters';
import { machineDeploymentEntity } from '../api/routes/machine-deployments';
import { NODE_POOL_ENTITY } from '../api/routes/node-pools';
import type { ControlPlanePlacement } from '../../workflows/hosted-cluster/control-plane-api';

export type ReconciledKind = { [K in KindName]: EntityDefinition<K> }[KindName];

/** Every kind, HostedClusters placing their control planes as the stack is configured to. */
export function reconciledKinds(placement: ControlPlanePlacement): readonly ReconciledKind[] {
  return [clusterDeploymentEntity, machineDeploymentEntity, hostedClusterEntity(placement), NODE_POOL_ENTITY];
}
