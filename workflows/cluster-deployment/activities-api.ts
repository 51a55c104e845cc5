/**
 * What the ClusterDeployment workflow asks of its activities beyond machines: the cluster's
 * infrastructure and the sweep by tags. Inputs carry references, never a credential.
 */
import type { MachineActivities, ProviderTarget } from '../entity/activities-api';

export interface ClusterActivities extends MachineActivities {
  ensureClusterInfra(input: {
    readonly target: ProviderTarget;
    readonly infraId: string;
    readonly clusterName: string;
    readonly baseDomain: string;
    readonly managementId: string;
  }): Promise<{ readonly apiURL: string }>;
  /** Deletes only infrastructure tagged with this management ID (absent: any, for histories from before it was passed). */
  deleteClusterInfra(input: { readonly target: ProviderTarget; readonly infraId: string; readonly managementId?: string }): Promise<void>;
  /**
   * Deletes anything still tagged with this infra ID and management ID (only machines when
   * machinesOnly), leaving resources another owner marked as its own; returns how many it deleted.
   */
  sweepCluster(input: {
    readonly target: ProviderTarget;
    readonly infraId: string;
    readonly managementId: string;
    readonly machinesOnly?: boolean;
    /** Sweep as this owner (a standalone MachineDeployment's marker); absent: the cluster, which leaves owner-marked resources alone. */
    readonly owner?: string;
  }): Promise<{ readonly deleted: number }>;
}

