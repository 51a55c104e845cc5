/**
 * Deterministic names. Everything a cloud sees derives from the entity's identity, never
 * from randomness or the run ID, so a retried or replayed step finds what it already made.
 */
import { fnv1a32 } from './hash';

/**
 * The cluster's infra ID, as Hive makes one: the cluster name and a short suffix. The suffix
 * comes from the object's uid, so a cluster deleted and recreated under the same name gets a
 * new infra ID and can never adopt its predecessor's leftovers. Legal on every cloud: lowercase
 * letters, digits and '-', starting with a letter, at most 33 characters.
 */
export function infraIdFor(clusterName: string, uid: string): string {
  const suffix = fnv1a32(uid).toString(36).padStart(7, '0').slice(-5);
  return `${clusterName.slice(0, 27)}-${suffix}`;
}

export function controlPlaneMachineName(index: number): string {
  return `master-${index}`;
}

/** The name the cloud sees; unique per cluster. */
export function cloudMachineName(infraId: string, machineName: string): string {
  return `${infraId}-${machineName}`;
}

/** A MachineDeployment machine's name: the MachineDeployment, its template revision and a counter that is never reused. */
export function machineNameFor(machineDeployment: string, revision: string, index: number): string {
  return `${machineDeployment}-${revision}-${index}`;
}

/** The longest name machineNameFor can give this MachineDeployment (8-hex revisions, up to 99,999 machines made). */
export function longestMachineName(machineDeployment: string): string {
  return machineNameFor(machineDeployment, 'ffffffff', 99_999);
}

/** The MachineDeployment a ClusterDeployment owns for one of its worker pools. */
export function poolMachineDeploymentName(clusterDeploymentName: string, pool: string): string {
  return `${clusterDeploymentName}-${pool}`;
}
