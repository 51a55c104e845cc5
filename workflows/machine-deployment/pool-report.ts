/** How an owner reads a MachineDeployment's PoolReport. Pure. */
import type { PoolReport } from './definitions';

/** A pool is settled when its MachineDeployment reports every desired machine of the desired revision Ready. */
export function poolReportSettled(report: PoolReport | undefined, desired: { replicas: number; revision: string }): boolean {
  return (
    report !== undefined &&
    !report.deleted &&
    report.revision === desired.revision &&
    report.desiredReplicas === desired.replicas &&
    report.replicas === desired.replicas &&
    report.readyReplicas === desired.replicas &&
    report.updatedReplicas === desired.replicas
  );
}
