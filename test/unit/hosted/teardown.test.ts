import { describe, expect, it } from 'vitest';
import { planHostedTeardown } from '../../../workflows/planners/hosted/teardown';

describe('planHostedTeardown', () => {
  it.each([
    [{ nodePools: 2, infrastructure: true }, ['deleteNodePools', 'deleteControlPlane', 'deleteInfrastructure', 'sweep']],
    [{ nodePools: 2, infrastructure: false }, ['deleteNodePools', 'deleteControlPlane', 'sweep']],
    [{ nodePools: 0, infrastructure: true }, ['deleteControlPlane', 'deleteInfrastructure', 'sweep']],
    [{ nodePools: 0, infrastructure: false }, ['deleteControlPlane', 'sweep']],
  ])('%o', (input, expected) => {
    expect(planHostedTeardown(input)).toEqual(expected);
  });
});
