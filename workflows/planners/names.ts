/**
 * Deterministic names. Everything a cloud sees derives from the entity's identity, never
 * from randomness or the run ID, so a retried or replayed step finds what it already made.
 */
import { fnv1a32 } from './hash';

/** 64-bit FNV-1a over UTF-16 code units, for suffixes wider than fnv1a32 gives; BigInt keeps it exact and sandbox-safe. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= BigInt(text.charCodeAt(index));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

/** Ten base-36 digits: 36^10 ≈ 3.7e15 values, about 51.7 bits. */
const SUFFIX_DIGITS = 10;

function suffixOf(text: string): string {
  return (fnv1a64(text) % 36n ** BigInt(SUFFIX_DIGITS)).toString(36).padStart(SUFFIX_DIGITS, '0');
}

/**
 * The cluster's infra ID, as Hive makes one: the cluster name (its first 22 characters) and a
 * suffix of 10 base-36 digits (about 51.7 bits) from the object's uid, so a cluster deleted and
 * recreated under the same name gets a new infra ID and can never adopt its predecessor's
 * leftovers. Two clusters collide only if their names share the first 22 characters and their
 * suffixes match: among 10,000 such clusters in one account the chance is about 1 in 70 million
 * (n²/2 over 36^10). Legal on every cloud: lowercase letters, digits and '-', starting with a
 * letter, at most 33 characters (AWS load balancer names derive from it within their 32).
 */
export function infraIdFor(clusterName: string, uid: string): string {
  return `${clusterName.slice(0, 22)}-${suffixOf(uid)}`;
}

/**
 * The infra ID before issue 12 (5 base-36 digits, about 26 bits). No workflow gives it out any
 * more; sweeps still count it as a live cluster's, so resources a cluster got under it are kept.
 */
export function infraIdForV1(clusterName: string, uid: string): string {
  const suffix = fnv1a32(uid).toString(36).padStart(7, '0').slice(-5);
  return `${clusterName.slice(0, 27)}-${suffix}`;
}

/**
 * The owner marker (canonical tag slipway.dev/owner) on the machines of a standalone
 * MachineDeployment, so that a sweep of its cluster leaves them to it. Readable (namespace and
 * name, cut short) with a 10-digit suffix of the full identity, so it is unique in practice and
 * a legal tag value on every cloud: a DNS label of at most 63 characters.
 */
export function ownerMarker(namespace: string, name: string): string {
  const readable = `md-${namespace}-${name}`.replace(/[^a-z0-9-]/g, '-').slice(0, 63 - 1 - SUFFIX_DIGITS);
  return `${readable}-${suffixOf(`MachineDeployment/${namespace}/${name}`)}`;
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
