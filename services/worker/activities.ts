/** Every activity a Slipway worker registers, built from the same dependencies. */
import type { ClusterActivities } from '../../workflows/cluster-deployment/activities-api';
import type { ProjectionActivities } from '../../workflows/entity/activities-api';
import type { MachineDeploymentActivities } from '../../workflows/machine-deployment/activities-api';
import { createProjectionActivities, type Projection } from '../common/projection';
import { createClusterActivities, type AdapterResolver } from './cluster-activities';
import { createMachineDeploymentActivities } from './machine-deployment-activities';

export type SlipwayActivities = ClusterActivities & MachineDeploymentActivities & ProjectionActivities;

export interface SlipwayActivityDeps {
  readonly adapters: AdapterResolver;
  readonly projection: Projection;
  /** How often activities that wait on the cloud look again. */
  readonly pollIntervalMs?: number;
}

export function createSlipwayActivities(deps: SlipwayActivityDeps): SlipwayActivities {
  const poll = deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {};
  return {
    ...createClusterActivities({ adapters: deps.adapters, ...poll }),
    ...createMachineDeploymentActivities({ adapters: deps.adapters, ...poll }),
    ...createProjectionActivities(deps.projection),
  };
}
