/**
 * The order a HostedCluster is deleted in: its NodePools (and their machines) first, then the
 * control plane, then the cloud infrastructure, then a sweep of whatever still carries its tag.
 * Pure.
 */

export type HostedTeardownStep = 'deleteNodePools' | 'deleteControlPlane' | 'deleteInfrastructure' | 'sweep';

export function planHostedTeardown(input: { readonly nodePools: number; readonly infrastructure: boolean }): HostedTeardownStep[] {
  return [
    ...(input.nodePools > 0 ? (['deleteNodePools'] as const) : []),
    'deleteControlPlane',
    ...(input.infrastructure ? (['deleteInfrastructure'] as const) : []),
    'sweep',
  ];
}
