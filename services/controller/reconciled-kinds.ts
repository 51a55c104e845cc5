/**
 * The kinds the controller reconciles, one entry each: the entity definition REST uses too
 * (workflow type, Query and Updates, start input). Adding a kind (HostedCluster, NodePool) is
 * one more entry here, once its routes export their definition; its CRD, informer, queue keys
 * and reconciler come from this table.
 */
import type { KindName } from '../../crds/schemas/index';
import { clusterDeploymentEntity } from '../api/routes/cluster-deployments';
import type { EntityDefinition } from '../api/routes/entity-routes';
import { machineDeploymentEntity } from '../api/routes/machine-deployments';

export type ReconciledKind = { [K in KindName]: EntityDefinition<K> }[KindName];

export const RECONCILED_KINDS: readonly ReconciledKind[] = [clusterDeploymentEntity, machineDeploymentEntity];
