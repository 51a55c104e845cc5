/** The canonical ownership tags from DESIGN.md. A resource without MANAGEMENT is never ours. */
export const TAG = {
  management: 'slipway.dev/management',
  cluster: 'slipway.dev/cluster',
  machine: 'slipway.dev/machine',
  role: 'slipway.dev/role',
  createdAt: 'slipway.dev/created-at',
} as const;

export interface OwnershipTagInput {
  readonly managementId: string;
  readonly infraId: string;
  readonly machineName?: string;
  readonly role?: string;
  readonly createdAt: string;
}

export function ownershipTags(input: OwnershipTagInput): Record<string, string> {
  const tags: Record<string, string> = {
    [TAG.management]: input.managementId,
    [TAG.cluster]: input.infraId,
    [TAG.createdAt]: input.createdAt,
  };
  if (input.machineName !== undefined) tags[TAG.machine] = input.machineName;
  if (input.role !== undefined) tags[TAG.role] = input.role;
  return tags;
}

export function matchesTagQuery(tags: Readonly<Record<string, string>>, query: Readonly<Record<string, string>>): boolean {
  return Object.entries(query).every(([key, value]) => tags[key] === value);
}
