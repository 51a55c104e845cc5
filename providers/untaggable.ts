/**
 * For an adapter that cannot yet add tags to an existing resource: the sweep's mark step fails
 * for each of its resources with this error, which the sweep reports as an `error` decision, so
 * nothing of that cloud is ever deleted by a sweep (deleting needs a mark from an earlier run).
 */
import { ProviderError, type ProviderAdapter } from './types';

export function untaggable(platform: string): ProviderAdapter['tagResource'] {
  return async (resource) => {
    throw new ProviderError('invalid', `${platform}: adding a tag to an existing ${resource.kind} is not supported by this adapter yet, so the sweep cannot mark (or later delete) it`, { operation: `tag ${resource.kind}` });
  };
}
