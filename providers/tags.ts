/** The canonical ownership tags from DESIGN.md. A resource without MANAGEMENT is never ours. */
export const TAG = {
  management: 'slipway.dev/management',
  cluster: 'slipway.dev/cluster',
  machine: 'slipway.dev/machine',
  role: 'slipway.dev/role',
  createdAt: 'slipway.dev/created-at',
  /** Set only on machines of a standalone MachineDeployment: who owns them besides the cluster (see ownerMarker in workflows/planners/names.ts). */
  owner: 'slipway.dev/owner',
  /** Any value (e.g. "true"): an orphan sweep never touches the resource. */
  sweepProtect: 'slipway.dev/sweep-protect',
  /** When an orphan sweep found the resource orphaned; a later sweep deletes it if it still is. */
  sweepMarked: 'slipway.dev/sweep-marked',
} as const;

export interface OwnershipTagInput {
  readonly managementId: string;
  readonly infraId: string;
  readonly machineName?: string;
  readonly role?: string;
  readonly createdAt: string;
  /** The owner marker of a standalone MachineDeployment's machines. */
  readonly owner?: string;
}

export function ownershipTags(input: OwnershipTagInput): Record<string, string> {
  const tags: Record<string, string> = {
    [TAG.management]: input.managementId,
    [TAG.cluster]: input.infraId,
    [TAG.createdAt]: input.createdAt,
  };
  if (input.machineName !== undefined) tags[TAG.machine] = input.machineName;
  if (input.role !== undefined) tags[TAG.role] = input.role;
  if (input.owner !== undefined) tags[TAG.owner] = input.owner;
  return tags;
}

export function matchesTagQuery(tags: Readonly<Record<string, string>>, query: Readonly<Record<string, string>>): boolean {
  return Object.entries(query).every(([key, value]) => tags[key] === value);
}

/** Whose resources a delete or an adoption may touch. */
export interface OwnershipScope {
  /** The management plane's ID; when absent any management tag will do (never none). */
  readonly managementId?: string;
  /** The owner marker the caller owns; a resource marked for any other owner is left alone. */
  readonly owner?: string;
}

/**
 * Whether a resource of cluster `infraId` may be deleted or adopted by this caller: it carries our
 * management tag (the scope's, when given), the cluster's tag, and no other owner's marker.
 */
export function isOwned(tags: Readonly<Record<string, string>>, infraId: string, scope: OwnershipScope = {}): boolean {
  const management = tags[TAG.management];
  if (management === undefined || (scope.managementId !== undefined && management !== scope.managementId)) return false;
  if (tags[TAG.cluster] !== infraId) return false;
  const owner = tags[TAG.owner];
  return owner === undefined || owner === scope.owner;
}
