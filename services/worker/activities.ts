/** Every activity a Slipway worker registers, built from the same dependencies. */
import type { ClusterActivities } from '../../workflows/cluster-deployment/activities-api';
import type { ProjectionActivities } from '../../workflows/entity/activities-api';
import type { Client } from '@temporalio/client';
import type { CloudObserverActivities } from '../../workflows/cloud-observer/activities-api';
import type { SweepActivities } from '../../workflows/sweep/activities-api';
import type { ControlPlaneActivities } from '../../workflows/hosted-cluster/control-plane-api';
import type { AutoscalingActivities, InPlaceActivities } from '../../workflows/node-pool/activities-api';
import { createAutoscalingActivities } from './hosted-autoscaling-activities';
import { createInPlaceActivities } from './in-place-activities';
import { createControlPlaneActivities, type ControlPlaneActivityDeps } from './control-plane-activities';
import { createProjectionActivities, type Projection } from '../common/projection';
import { createClusterActivities, type AdapterResolver } from './cluster-activities';
import { createCloudObserverActivities } from './observer-activities';
import { createSweepActivities } from './sweep-activities';
import type { SweepMarkStore } from './sweep-marks';

export type SlipwayActivities = ClusterActivities & CloudObserverActivities & ProjectionActivities & SweepActivities & ControlPlaneActivities & AutoscalingActivities & InPlaceActivities;

export interface SlipwayActivityDeps {
  readonly adapters: AdapterResolver;
  readonly projection: Projection;
  /** The observer's activities read it by Query and start it with signal-with-start. */
  readonly temporal: Client;
  /** The task queue this worker serves, where cloud observers are started and whose entities a sweep's inventory reads. */
  readonly taskQueue: string;
  /** The sweep's marks of resources the cloud cannot tag. */
  readonly sweepMarks: SweepMarkStore;
  /** Hosted clusters' control planes: the secret store their PKI lives in, the supervisor, the management cluster. */
  readonly controlPlanes: ControlPlaneActivityDeps;
  /** How often activities that wait on the cloud look again. */
  readonly pollIntervalMs?: number;
}

export function createSlipwayActivities(deps: SlipwayActivityDeps): SlipwayActivities {
  const poll = deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {};
  return {
    ...createClusterActivities({ adapters: deps.adapters, hostedSecrets: deps.controlPlanes.secrets, ...poll }),
    ...createCloudObserverActivities({ adapters: deps.adapters, temporal: deps.temporal, taskQueue: deps.taskQueue, ...poll }),
    ...createProjectionActivities(deps.projection),
    ...createControlPlaneActivities(deps.controlPlanes),
    ...createAutoscalingActivities({ secrets: deps.controlPlanes.secrets }),
    ...createInPlaceActivities({ adapters: deps.adapters }),
    ...createSweepActivities({ adapters: deps.adapters, temporal: deps.temporal, taskQueue: deps.taskQueue, projection: deps.projection, marks: deps.sweepMarks }),
  };
}
