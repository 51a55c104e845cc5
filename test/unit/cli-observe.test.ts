import { describe, expect, it } from 'vitest';
import { forwardOnly, type Observation } from '../../services/cli/observe';

const seen = (resourceVersion?: string): Observation => ({ object: { metadata: { name: 'demo', ...(resourceVersion ? { resourceVersion } : {}) }, status: { phase: resourceVersion } } });

describe('forwardOnly', () => {
  it.each([
    ['a watch replaying changes older than the GET it follows', ['1700000000005-0', '1700000000003-0', '1700000000004-0', '1700000000006-0'], ['1700000000005-0', '1700000000006-0']],
    ['the same change twice (from the watch and the poll)', ['1700000000005-0', '1700000000005-0', '1700000000005-1'], ['1700000000005-0', '1700000000005-1']],
    ['versions compared as numbers, not text', ['999-0', '1000-0', '998-5'], ['999-0', '1000-0']],
  ])('lets through only newer versions: %s', (_case, versions, expected) => {
    const newer = forwardOnly();
    expect(versions.map((version) => seen(version)).filter(newer).map((observation) => observation.object?.metadata?.resourceVersion)).toEqual(expected);
  });

  it('always lets through a deletion and an object without a resourceVersion', () => {
    const newer = forwardOnly();
    expect(newer(seen('1700000000005-0'))).toBe(true);
    expect(newer({ object: undefined })).toBe(true);
    expect(newer(seen())).toBe(true);
    expect(newer(seen('1700000000004-0'))).toBe(false);
  });
});
