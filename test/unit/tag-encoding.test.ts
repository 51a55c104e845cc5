import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CANONICAL_TAG_KEYS,
  CLOUD_NAMES,
  TAG_ENCODINGS,
  canonicalTagProblems,
  cloudTagKey,
  type CanonicalTagKey,
  type CloudName,
} from '../../providers/tag-encoding';
import { TAG, ownershipTags } from '../../providers/tags';

// ---- Generators for legal canonical tag sets --------------------------------------------------

const lower = 'abcdefghijklmnopqrstuvwxyz';
const alnum = `${lower}0123456789`;
const char = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...alphabet.split(''));
const chars = (alphabet: string, maxLength: number): fc.Arbitrary<string> => fc.array(char(alphabet), { maxLength }).map((list) => list.join(''));

/** first + middle + last, 1-63 characters in all. */
const label = (first: string): fc.Arbitrary<string> =>
  fc.oneof(
    char(first),
    fc.tuple(char(first), chars(`${alnum}-`, 61), char(alnum)).map(([head, middle, tail]) => head + middle + tail),
  );

const dnsLabel = label(lower);
const machineName = label(alnum);
const timestamp = fc
  .date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

const VALUE_ARBITRARIES: Record<CanonicalTagKey, fc.Arbitrary<string>> = {
  [TAG.management]: dnsLabel,
  [TAG.cluster]: dnsLabel,
  [TAG.machine]: machineName,
  [TAG.role]: fc.oneof(fc.constantFrom('control-plane', 'worker'), dnsLabel),
  [TAG.createdAt]: timestamp,
  [TAG.owner]: dnsLabel,
  [TAG.sweepProtect]: machineName,
  [TAG.sweepMarked]: timestamp,
};

const canonicalTags: fc.Arbitrary<Record<string, string>> = fc.record(VALUE_ARBITRARIES, { requiredKeys: [] }).map((tags) => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) if (value !== undefined) out[key] = value;
  return out;
});

// ---- Each cloud's syntax, written from its public documentation --------------------------------

interface Syntax {
  readonly maxTags: number;
  readonly keyLegal: (key: string) => boolean;
  readonly valueLegal: (value: string) => boolean;
}

const SYNTAX: Record<CloudName, Syntax> = {
  // EC2 tag restrictions: key 1-128, value 0-256 Unicode characters; 'aws:' prefix reserved; 50 per resource.
  aws: {
    maxTags: 50,
    keyLegal: (key) => key.length >= 1 && key.length <= 128 && !/^aws:/i.test(key) && /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(key),
    valueLegal: (value) => value.length <= 256 && !/^aws:/i.test(value) && /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(value),
  },
  // Azure tags: name 1-512 without < > % & \ ? /, not prefixed microsoft/azure/windows; value 1-256; 50 per resource.
  azure: {
    maxTags: 50,
    keyLegal: (key) => key.length >= 1 && key.length <= 512 && !/[<>%&\\?/]/.test(key) && !/^(microsoft|azure|windows)/i.test(key),
    valueLegal: (value) => value.length >= 1 && value.length <= 256,
  },
  // GCP labels: keys [a-z][a-z0-9_-]{0,62}, values [a-z0-9_-]{0,63}; at most 64 per resource.
  gcp: {
    maxTags: 64,
    keyLegal: (key) => /^[a-z][a-z0-9_-]{0,62}$/.test(key),
    valueLegal: (value) => /^[a-z0-9_-]{0,63}$/.test(value),
  },
  // vSphere category and tag names: non-empty; kept within vCenter's 80-character name limit and
  // free of the characters vCenter does not escape in names.
  vsphere: {
    maxTags: Number.POSITIVE_INFINITY,
    keyLegal: (key) => key.length >= 1 && key.length <= 80 && !/[%\\/]/.test(key),
    valueLegal: (value) => value.length >= 1 && value.length <= 80 && !/[%\\/]/.test(value),
  },
  baremetal: { maxTags: Number.POSITIVE_INFINITY, keyLegal: () => true, valueLegal: () => true },
  simulated: { maxTags: Number.POSITIVE_INFINITY, keyLegal: () => true, valueLegal: () => true },
};

const FOREIGN_TAGS: Record<CloudName, Record<string, string>> = {
  aws: { Name: 'web-1', 'kubernetes.io/cluster/other': 'owned', 'slipway.dev/unknown': 'x', 'aws:cloudformation:stack-name': 'stack' },
  azure: { environment: 'prod', 'slipway.dev_unknown': 'x', 'slipway.dev/cluster': 'not-azure-spelling' },
  gcp: { team: 'infra', 'goog-gke-node': '', 'slipway-dev_unknown': 'x', 'slipway.dev/cluster': 'not-gcp-spelling' },
  vsphere: { Owner: 'ops', 'slipway.dev/cluster': 'not-vsphere-spelling' },
  baremetal: { rack: 'r12', 'slipway.dev/unknown': 'x' },
  simulated: { other: 'y', 'slipway.dev_cluster': 'not-canonical-spelling' },
};

describe('canonical tag generators', () => {
  it('generate only legal canonical tag sets', () => {
    fc.assert(
      fc.property(canonicalTags, (tags) => {
        expect(canonicalTagProblems(tags)).toEqual([]);
      }),
    );
  });
});

describe.each(CLOUD_NAMES)('%s tag encoding', (cloud) => {
  const encoding = TAG_ENCODINGS[cloud];
  const syntax = SYNTAX[cloud];

  it('round-trips every legal canonical tag set', () => {
    fc.assert(
      fc.property(canonicalTags, (tags) => {
        expect(encoding.decode(encoding.encode(tags))).toEqual(tags);
      }),
      { numRuns: 500 },
    );
  });

  it("writes only what the cloud's syntax allows", () => {
    fc.assert(
      fc.property(canonicalTags, (tags) => {
        const encoded = encoding.encode(tags);
        expect(Object.keys(encoded).length).toBeLessThanOrEqual(syntax.maxTags);
        for (const [key, value] of Object.entries(encoded)) {
          expect(syntax.keyLegal(key), `key ${key}`).toBe(true);
          expect(syntax.valueLegal(value), `${key}=${value}`).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('ignores tags that are not Slipway\u2019s when decoding', () => {
    fc.assert(
      fc.property(canonicalTags, (tags) => {
        const encoded = encoding.encode(tags);
        expect(encoding.decode({ ...FOREIGN_TAGS[cloud], ...encoded })).toEqual(tags);
      }),
    );
    expect(encoding.decode(FOREIGN_TAGS[cloud])).toEqual({});
  });

  it('maps the canonical keys one-to-one onto cloud keys', () => {
    const cloudKeys = CANONICAL_TAG_KEYS.map((key) => cloudTagKey(cloud, key));
    expect(new Set(cloudKeys.map((key) => key.toLowerCase())).size).toBe(CANONICAL_TAG_KEYS.length);
  });

  it('refuses keys that are not canonical, naming the key', () => {
    expect(() => encoding.encode({ 'example.com/team': 'infra' })).toThrow(/example\.com\/team/);
  });

  it('decodes the full set Slipway writes at creation', () => {
    const tags = ownershipTags({ managementId: 'slipway-dev', infraId: 'prod-eu-7k2qd', machineName: 'master-0', role: 'control-plane', createdAt: '2026-11-25T07:40:12.345Z' });
    expect(encoding.decode(encoding.encode(tags))).toEqual(tags);
  });
});

// ---- Concrete examples per cloud ----------------------------------------------------------------

const EXAMPLE = {
  [TAG.management]: 'slipway-dev',
  [TAG.cluster]: 'prod-eu-7k2qd',
  [TAG.machine]: 'workers-a-3',
  [TAG.role]: 'worker',
  [TAG.createdAt]: '2026-11-25T07:40:12.345Z',
};

const EXPECTED: Record<CloudName, Record<string, string>> = {
  aws: EXAMPLE,
  baremetal: EXAMPLE,
  simulated: EXAMPLE,
  azure: {
    'slipway.dev_management': 'slipway-dev',
    'slipway.dev_cluster': 'prod-eu-7k2qd',
    'slipway.dev_machine': 'workers-a-3',
    'slipway.dev_role': 'worker',
    'slipway.dev_created-at': '2026-11-25T07:40:12.345Z',
  },
  gcp: {
    'slipway-dev_management': 'slipway-dev',
    'slipway-dev_cluster': 'prod-eu-7k2qd',
    'slipway-dev_machine': 'workers-a-3',
    'slipway-dev_role': 'worker',
    'slipway-dev_created-at': '2026-11-25_5407_3a40_3a12_2e345_5a',
  },
  vsphere: {
    'slipway.dev_management': 'slipway-dev',
    'slipway.dev_cluster': 'prod-eu-7k2qd',
    'slipway.dev_machine': 'workers-a-3',
    'slipway.dev_role': 'worker',
    'slipway.dev_created-at': '2026-11-25T07:40:12.345Z',
  },
};

describe('concrete encodings', () => {
  it.each(CLOUD_NAMES)('%s', (cloud) => {
    expect(TAG_ENCODINGS[cloud].encode(EXAMPLE)).toEqual(EXPECTED[cloud]);
    expect(TAG_ENCODINGS[cloud].decode(EXPECTED[cloud])).toEqual(EXAMPLE);
  });

  it.each([
    ['2026-11-25T07:40:12Z', '2026-11-25_5407_3a40_3a12_5a'],
    ['under_score', 'under_5fscore'],
    ['Upper', '_55pper'],
  ])('gcp escapes %s as %s', (value, escaped) => {
    const encoded = TAG_ENCODINGS.gcp.encode({ [TAG.role]: value });
    expect(encoded).toEqual({ 'slipway-dev_role': escaped });
    expect(TAG_ENCODINGS.gcp.decode(encoded)).toEqual({ [TAG.role]: value });
  });

  it('gcp refuses a value that would exceed 63 characters, naming the key and the limit', () => {
    const longName = `m${'-x'.repeat(20)}${'.'.repeat(10)}`;
    expect(() => TAG_ENCODINGS.gcp.encode({ [TAG.machine]: longName })).toThrow(/slipway\.dev\/machine.*71 characters.*limit of 63/);
  });

  it('gcp drops a Slipway label whose value is not in the encoding\u2019s one spelling', () => {
    expect(TAG_ENCODINGS.gcp.decode({ 'slipway-dev_cluster': 'bad_zz', 'slipway-dev_role': '_61', 'slipway-dev_machine': '_ff' })).toEqual({});
  });

  it('azure reads its tag names case-insensitively', () => {
    expect(TAG_ENCODINGS.azure.decode({ 'Slipway.Dev_Cluster': 'prod-eu-7k2qd' })).toEqual({ [TAG.cluster]: 'prod-eu-7k2qd' });
  });

  it('aws refuses values with the reserved aws: prefix', () => {
    expect(() => TAG_ENCODINGS.aws.encode({ [TAG.role]: 'aws:x' })).toThrow(/slipway\.dev\/role.*aws:/);
  });

  it('vsphere refuses tag names vCenter would not escape', () => {
    expect(() => TAG_ENCODINGS.vsphere.encode({ [TAG.role]: 'a/b' })).toThrow(/slipway\.dev\/role/);
  });
});

describe('canonicalTagProblems', () => {
  it.each([
    [{ [TAG.createdAt]: '2026-11-25 07:40' }, /ISO 8601/],
    [{ [TAG.machine]: 'Master-0' }, /machine name/],
    [{ [TAG.cluster]: '-x' }, /infra ID/],
    [{ 'example.com/x': 'y' }, /not a Slipway tag key/],
  ])('reports %j', (tags, message) => {
    const problems = canonicalTagProblems(tags);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });
});
