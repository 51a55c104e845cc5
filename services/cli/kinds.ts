/**
 * Maps what a person types (`cd`, `clusterdeployment`, `ClusterDeployments`, `cd/demo`)
 * onto the kind registry in crds/schemas, and builds the API paths for a kind.
 */
import { API_GROUP, API_VERSION, KIND_NAMES, KINDS, isKindName, kindByResourceName, type KindDefinition, type KindName } from '../../crds/schemas/index';
import { CliError } from './errors';

export { API_GROUP };

/** Aliases that name a kind in commands, beyond the registry's own names. */
const ALIASES: Record<string, KindName> = { cluster: 'ClusterDeployment', clusters: 'ClusterDeployment' };

export function knownResourceNames(): string {
  return KIND_NAMES.map((kind) => {
    const definition: KindDefinition = KINDS[kind];
    return definition.shortNames.length > 0 ? `${definition.plural} (${definition.shortNames.join(', ')})` : definition.plural;
  }).join(', ');
}

export function resolveKind(text: string): KindName {
  const alias = ALIASES[text.toLowerCase()];
  if (alias) return alias;
  const found = kindByResourceName(text);
  if (found) return found;
  if (isKindName(text)) return text;
  throw new CliError(`unknown resource type ${JSON.stringify(text)}; use one of: ${knownResourceNames()}`);
}

export function definitionOf(kind: KindName): KindDefinition {
  return KINDS[kind];
}

export interface ObjectRef {
  readonly kind: KindName;
  readonly name: string;
}

/**
 * Reads `<kind>/<name>` (one argument) or `<kind> <name>` (two), as kubectl does.
 * `name` is optional only when `nameOptional` is set (for `get`).
 */
export function parseObjectArgs(first: string, second: string | undefined): ObjectRef;
export function parseObjectArgs(first: string, second: string | undefined, nameOptional: true): { kind: KindName; name: string | undefined };
export function parseObjectArgs(first: string, second: string | undefined, nameOptional = false): { kind: KindName; name: string | undefined } {
  const slash = first.indexOf('/');
  if (slash >= 0) {
    if (second !== undefined) {
      throw new CliError(`give either <kind>/<name> or <kind> <name>, not both (got ${JSON.stringify(first)} and ${JSON.stringify(second)})`);
    }
    const name = first.slice(slash + 1);
    if (name === '') throw new CliError(`${JSON.stringify(first)} has no name after "/"; use e.g. cd/demo`);
    return { kind: resolveKind(first.slice(0, slash)), name };
  }
  const kind = resolveKind(first);
  if (second === undefined && !nameOptional) {
    throw new CliError(`name the ${kind}: ${definitionOf(kind).shortNames[0] ?? definitionOf(kind).singular}/<name> or ${definitionOf(kind).singular} <name>`);
  }
  return { kind, name: second };
}

/** The condition that says an object of the kind is done: Ready, but Available for a HostedCluster (HyperShift has no Ready there). */
export function summaryCondition(kind: KindName): string {
  return kind === 'HostedCluster' ? 'Available' : 'Ready';
}

/** What a command says when the object it names does not exist. */
export function notFoundError(kind: KindName, name: string, namespace: string): CliError {
  return new CliError(`${definitionOf(kind).plural} "${name}" not found in namespace "${namespace}"; list them with: slipway get ${definitionOf(kind).plural} -n ${namespace}`);
}

/** `/apis/slipway.dev/v1alpha1/namespaces/{ns}/{plural}[/{name}]` */
export function resourcePath(kind: KindName, namespace: string, name?: string): string {
  const base = `/apis/${API_GROUP}/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${definitionOf(kind).plural}`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** `ClusterDeployment/default/demo`, as used in messages. */
export function displayRef(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** `clusterdeployment.slipway.dev/demo`, as kubectl prints object names in outcomes. */
export function qualifiedName(kind: KindName, name: string): string {
  return `${definitionOf(kind).singular}.${API_GROUP}/${name}`;
}

/** The kind a manifest names, whether it uses our apiVersion or an upstream one. */
export function kindOfManifest(apiVersion: unknown, kind: unknown): KindName | undefined {
  if (typeof kind !== 'string' || !isKindName(kind)) return undefined;
  const definition = definitionOf(kind);
  if (apiVersion === `${API_GROUP}/${API_VERSION}`) return kind;
  return definition.upstream.some((upstream) => upstream.apiVersion === apiVersion && upstream.kind === kind) ? kind : undefined;
}
