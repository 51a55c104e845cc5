/** What listResources lets through on the clouds that filter after reading (Azure, GCP, ELB and Route 53): a table, the answer in the row. */
import { describe, expect, it } from 'vitest';
import { listedBy as awsListedBy } from '../../../providers/aws/tags';
import { listedBy as azureListedBy } from '../../../providers/azure/listing';
import { listedBy as gcpListedBy } from '../../../providers/gcp/labels';
import { TAG_ENCODINGS } from '../../../providers/tag-encoding';
import { TAG } from '../../../providers/tags';

const ours = { [TAG.management]: 'plane-a', [TAG.cluster]: 'c-1' };
const theirs = { [TAG.management]: 'plane-b', [TAG.cluster]: 'c-2' };

describe('listResources: an empty query lists what nobody tagged, any other only what a management tag is on', () => {
  const rows: { name: string; tags: Record<string, string>; query: Record<string, string>; listed: boolean; inLocation?: boolean }[] = [
    { name: 'ours, empty query', tags: ours, query: {}, listed: true },
    { name: "another plane's, empty query", tags: theirs, query: {}, listed: true },
    { name: 'untagged, empty query', tags: {}, query: {}, listed: true },
    { name: 'untagged elsewhere, empty query (Azure: another location)', tags: {}, query: {}, listed: false, inLocation: false },
    { name: 'ours, matching query', tags: ours, query: { [TAG.cluster]: 'c-1' }, listed: true },
    { name: 'ours, other cluster', tags: ours, query: { [TAG.cluster]: 'c-9' }, listed: false },
    { name: 'untagged, any query', tags: {}, query: { [TAG.cluster]: 'c-1' }, listed: false },
    { name: 'a cluster tag without a management tag', tags: { [TAG.cluster]: 'c-1' }, query: { [TAG.cluster]: 'c-1' }, listed: false },
  ];
  it.each(rows)('$name', ({ tags, query, listed, inLocation }) => {
    expect(azureListedBy(tags, query, inLocation === false ? 'westus' : 'East US', 'eastus')).toBe(listed);
    if (inLocation === false) return;
    expect(gcpListedBy(tags, query)).toBe(listed);
    const awsTags = Object.entries(TAG_ENCODINGS.aws.encode(tags)).map(([Key, Value]) => ({ Key, Value }));
    expect(awsListedBy('list', awsTags, query)).toBe(listed);
  });
});
