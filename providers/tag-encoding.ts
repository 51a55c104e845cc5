/**
 * One encoding of the canonical ownership tags (providers/tags.ts TAG) per cloud, each
 * reversible: decode(encode(tags)) equals tags for every legal canonical tag set (see
 * canonicalTagProblems). Pure and import-free apart from the tag table, so workflows may use it.
 *
 * | cloud               | cloud key                 | cloud value                                  |
 * |---------------------|---------------------------|----------------------------------------------|
 * | aws                 | `slipway.dev/cluster`     | verbatim                                     |
 * | azure               | `slipway.dev_cluster`     | verbatim                                     |
 * | gcp                 | `slipway-dev_cluster`     | escaped: see gcpEscape                       |
 * | vsphere             | category `slipway.dev_cluster` | tag name = value verbatim               |
 * | baremetal/simulated | `slipway.dev/cluster`     | verbatim                                     |
 *
 * Cloud keys come from a fixed table over the five canonical keys, so no Slipway key can
 * collide with another (canonical keys contain no '_'; the tests check the table is one-to-one).
 * Decoding reads only those keys and ignores every other tag on the resource. A Slipway key
 * whose value does not decode (someone else wrote it) is dropped: without a trustworthy
 * management tag the resource is not ours, which is the safe reading.
 */
import { TAG } from './tags';
import type { CanonicalTags } from './types';

export type CloudName = 'aws' | 'azure' | 'gcp' | 'vsphere' | 'baremetal' | 'simulated';

export const CLOUD_NAMES: readonly CloudName[] = ['aws', 'azure', 'gcp', 'vsphere', 'baremetal', 'simulated'];

export type CanonicalTagKey = (typeof TAG)[keyof typeof TAG];

export const CANONICAL_TAG_KEYS: readonly CanonicalTagKey[] = Object.values(TAG);

export interface TagEncoding {
  /** Throws an Error naming the key and the rule when a tag cannot be written on this cloud. */
  encode(tags: CanonicalTags): Record<string, string>;
  decode(cloudTags: Readonly<Record<string, string>>): CanonicalTags;
}

// ---------------------------------------------------------------------------------------------
// Legal canonical values: the kinds of strings Slipway writes.

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MACHINE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ISO_UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

interface ValueRule {
  readonly pattern: RegExp;
  readonly description: string;
}

/** Each limit is one every cloud can hold: 63 characters is GCP's label value limit. */
export const CANONICAL_VALUE_RULES: Readonly<Record<CanonicalTagKey, ValueRule>> = {
  [TAG.management]: { pattern: DNS_LABEL, description: "a management ID: 1-63 lowercase letters, digits and '-', starting with a letter, not ending with '-'" },
  [TAG.cluster]: { pattern: DNS_LABEL, description: "an infra ID: 1-63 lowercase letters, digits and '-', starting with a letter, not ending with '-'" },
  [TAG.machine]: { pattern: MACHINE_NAME, description: "a machine name: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit" },
  [TAG.role]: { pattern: DNS_LABEL, description: "a role such as control-plane or worker: 1-63 lowercase letters, digits and '-'" },
  [TAG.createdAt]: { pattern: ISO_UTC_TIMESTAMP, description: 'an ISO 8601 UTC timestamp such as 2026-11-25T07:40:12.345Z' },
  [TAG.owner]: { pattern: DNS_LABEL, description: "an owner marker (ownerMarker in workflows/planners/names.ts): 1-63 lowercase letters, digits and '-', starting with a letter" },
  [TAG.sweepProtect]: { pattern: MACHINE_NAME, description: "a word such as true: 1-63 lowercase letters, digits and '-'" },
  [TAG.sweepMarked]: { pattern: ISO_UTC_TIMESTAMP, description: 'an ISO 8601 UTC timestamp such as 2026-11-25T07:40:12.345Z' },
};

export function isCanonicalTagKey(key: string): key is CanonicalTagKey {
  return (CANONICAL_TAG_KEYS as readonly string[]).includes(key);
}

/** What makes a tag set not legal canonical tags; empty when it is. */
export function canonicalTagProblems(tags: Readonly<Record<string, string>>): string[] {
  return Object.entries(tags).flatMap(([key, value]) => {
    if (!isCanonicalTagKey(key)) return [`"${key}" is not a Slipway tag key; the keys are ${CANONICAL_TAG_KEYS.join(', ')}`];
    const rule = CANONICAL_VALUE_RULES[key];
    return rule.pattern.test(value) ? [] : [`${key}="${value}" is not ${rule.description}`];
  });
}

// ---------------------------------------------------------------------------------------------
// Per-cloud syntax.

interface CloudTagSyntax {
  readonly cloud: CloudName;
  /** How the cloud's documentation names the thing, for error messages. */
  readonly noun: string;
  readonly cloudKey: (key: CanonicalTagKey) => string;
  /** Azure tag names are case-insensitive, and may come back in another case. */
  readonly keysIgnoreCase: boolean;
  readonly escape: (value: string, key: CanonicalTagKey) => string;
  readonly unescape: (cloudValue: string) => string | undefined;
  readonly maxValueLength: number;
  readonly valueProblem: (cloudValue: string) => string | undefined;
}

const verbatim = (value: string): string => value;
const slashToUnderscore = (key: CanonicalTagKey): string => key.replace('/', '_');
const noValueProblem = (): undefined => undefined;

/**
 * GCP label values allow only [a-z0-9_-]. Every other character, '_' included, becomes '_'
 * and its two lowercase hex digits (ASCII code), so '_' only ever starts an escape and the
 * scheme reads back exactly: 2026-11-25T07:40:12.345Z -> 2026-11-25_5407_3a40_3a12_2e345_5a.
 */
function gcpEscape(value: string, key: CanonicalTagKey): string {
  let out = '';
  for (let index = 0; index < value.length; index += 1) {
    const char = value.charAt(index);
    if (/[a-z0-9-]/.test(char)) {
      out += char;
      continue;
    }
    const code = value.charCodeAt(index);
    if (code > 0x7f) throw new Error(`gcp: the value of ${key} contains "${char}", which the GCP label encoding cannot carry (Slipway tag values are ASCII)`);
    out += `_${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function gcpUnescape(cloudValue: string): string | undefined {
  if (!/^(?:[a-z0-9-]|_[0-7][0-9a-f])*$/.test(cloudValue)) return undefined;
  return cloudValue.replace(/_([0-9a-f]{2})/g, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Clouds whose store takes Slipway's tags exactly as they are, with no limits of its own. */
function canonicalAsIs(cloud: CloudName, noun: string): CloudTagSyntax {
  return { cloud, noun, cloudKey: (key) => key, keysIgnoreCase: false, escape: verbatim, unescape: verbatim, maxValueLength: Number.POSITIVE_INFINITY, valueProblem: noValueProblem };
}

const SYNTAX: Readonly<Record<CloudName, CloudTagSyntax>> = {
  aws: {
    cloud: 'aws',
    noun: 'EC2 tag',
    cloudKey: (key) => key,
    keysIgnoreCase: false,
    escape: verbatim,
    unescape: verbatim,
    maxValueLength: 256,
    valueProblem: (value) => (/^aws:/i.test(value) ? "values may not start with 'aws:', which AWS reserves" : undefined),
  },
  azure: {
    cloud: 'azure',
    noun: 'Azure tag',
    cloudKey: slashToUnderscore,
    keysIgnoreCase: true,
    escape: verbatim,
    unescape: verbatim,
    maxValueLength: 256,
    valueProblem: (value) => (value === '' ? 'values may not be empty' : undefined),
  },
  gcp: {
    cloud: 'gcp',
    noun: 'GCP label',
    cloudKey: (key) => key.replace('.', '-').replace('/', '_'),
    keysIgnoreCase: false,
    escape: gcpEscape,
    unescape: gcpUnescape,
    maxValueLength: 63,
    valueProblem: noValueProblem,
  },
  vsphere: {
    cloud: 'vsphere',
    noun: 'vSphere tag',
    cloudKey: slashToUnderscore,
    keysIgnoreCase: false,
    escape: verbatim,
    unescape: verbatim,
    // No tag-name limit is documented that we found; 80 is vCenter's limit for inventory names.
    maxValueLength: 80,
    valueProblem: (value) => {
      if (value === '') return 'tag names may not be empty';
      // vCenter does not escape these in names, which breaks lookups by name.
      return /[%\\/]/.test(value) ? "tag names may not contain '%', '\\' or '/'" : undefined;
    },
  },
  baremetal: canonicalAsIs('baremetal', 'inventory tag'),
  simulated: canonicalAsIs('simulated', 'simulated cloud tag'),
};

/** The cloud-side key of each canonical key, on one cloud. */
export function cloudTagKey(cloud: CloudName, key: CanonicalTagKey): string {
  return SYNTAX[cloud].cloudKey(key);
}

function encodeOne(syntax: CloudTagSyntax, key: string, value: string): [string, string] {
  if (!isCanonicalTagKey(key)) {
    throw new Error(`${syntax.cloud}: "${key}" is not a Slipway tag key (the keys are ${CANONICAL_TAG_KEYS.join(', ')}); only canonical tags can be encoded`);
  }
  const cloudKey = syntax.cloudKey(key);
  const cloudValue = syntax.escape(value, key);
  const where = `${syntax.cloud}: ${syntax.noun} ${cloudKey} (for ${key}="${value}")`;
  if (cloudValue.length > syntax.maxValueLength) {
    throw new Error(`${where} would be ${cloudValue.length} characters after encoding, over the limit of ${syntax.maxValueLength}; use a shorter value`);
  }
  const problem = syntax.valueProblem(cloudValue);
  if (problem !== undefined) throw new Error(`${where}: ${problem}`);
  return [cloudKey, cloudValue];
}

function makeEncoding(syntax: CloudTagSyntax): TagEncoding {
  const normalise = (cloudKey: string): string => (syntax.keysIgnoreCase ? cloudKey.toLowerCase() : cloudKey);
  const canonicalByCloudKey = new Map(CANONICAL_TAG_KEYS.map((key) => [normalise(syntax.cloudKey(key)), key] as const));
  return {
    encode: (tags) => Object.fromEntries(Object.entries(tags).map(([key, value]) => encodeOne(syntax, key, value))),
    decode: (cloudTags) => {
      const tags: CanonicalTags = {};
      for (const [cloudKey, cloudValue] of Object.entries(cloudTags)) {
        const key = canonicalByCloudKey.get(normalise(cloudKey));
        if (key === undefined) continue;
        const value = syntax.unescape(cloudValue);
        // Only the one spelling encode produces is ours; any other was written by someone else.
        if (value !== undefined && syntax.escape(value, key) === cloudValue) tags[key] = value;
      }
      return tags;
    },
  };
}

export const TAG_ENCODINGS: Record<CloudName, TagEncoding> = {
  aws: makeEncoding(SYNTAX.aws),
  azure: makeEncoding(SYNTAX.azure),
  gcp: makeEncoding(SYNTAX.gcp),
  vsphere: makeEncoding(SYNTAX.vsphere),
  baremetal: makeEncoding(SYNTAX.baremetal),
  simulated: makeEncoding(SYNTAX.simulated),
};
