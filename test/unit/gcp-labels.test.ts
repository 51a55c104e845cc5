import { describe, expect, it } from 'vitest';
import { describeWithTags, labelFilter, tagsInDescription } from '../../providers/gcp/labels';
import { requestIdFor } from '../../providers/gcp/request-id';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError } from '../../providers/types';

const tags = ownershipTags({ managementId: 'mgmt-1', infraId: 'c-1a2b3', createdAt: '2026-11-25T07:40:12.345Z' });

describe('GCE labels, filters and descriptions', () => {
  it('filters on the encoded labels and on the management label being set', () => {
    expect(labelFilter('list machines', { [TAG.cluster]: 'c-1a2b3', [TAG.role]: 'worker' })).toBe(
      '(labels.slipway-dev_management:*) AND (labels.slipway-dev_cluster = "c-1a2b3") AND (labels.slipway-dev_role = "worker")',
    );
  });

  it('refuses a tag GCE labels cannot carry as invalid', () => {
    expect(() => labelFilter('list machines', { [TAG.cluster]: 'é' })).toThrow(ProviderError);
  });

  it('carries canonical tags through a description and back exactly, and reads none from a foreign one', () => {
    const description = describeWithTags('create cluster network', 'Slipway cluster c-1a2b3: network', tags);
    expect(description).toMatch(/^Slipway cluster c-1a2b3: network \[slipway-labels: [a-z0-9_=,-]+\]$/);
    expect(tagsInDescription(description)).toEqual(tags);
    expect(tagsInDescription('Default network for the project')).toEqual({});
    expect(tagsInDescription(undefined)).toEqual({});
    expect(tagsInDescription('[slipway-labels: slipway-dev_cluster=UPPER]')).toEqual({});
  });
});

describe('requestIdFor', () => {
  it('derives a version-8 UUID from the token: the same for the same token, another for another, never zero', () => {
    const first = requestIdFor('instances.insert', 'token-1');
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor('instances.insert', 'token-1')).toBe(first);
    expect(requestIdFor('instances.insert', 'token-2')).not.toBe(first);
    expect(requestIdFor('instances.delete', 'token-1')).not.toBe(first);
    expect(requestIdFor('instances.insert', '')).not.toBe('00000000-0000-0000-0000-000000000000');
  });
});
