/**
 * A MachineDeployment's template revision: a short, stable name for "this machine template".
 * The same template gives the same revision whatever the order of its keys, so a reordered
 * manifest does not roll out, and the workflow and the CLI agree on it.
 */
import { fnv1a32 } from '../hash';

/** JSON with object keys sorted at every level; undefined members are dropped, as JSON.stringify drops them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Eight lowercase hex digits: FNV-1a (32 bit) of the template's canonical JSON. */
export function templateRevision(template: unknown): string {
  return fnv1a32(canonicalJson(template)).toString(16).padStart(8, '0');
}
