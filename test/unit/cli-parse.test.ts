import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../services/cli/errors';
import { parseObjectArgs, resolveKind, resourcePath } from '../../services/cli/kinds';
import {
  formatLabelSelector,
  matchesLabelSelector,
  parseDuration,
  parseLabelSelector,
  parseTags,
  parseWaitFor,
} from '../../services/cli/parse';

describe('parseDuration', () => {
  it.each([
    ['120s', 120_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5s', 1_500],
    ['0', 0],
    [' 45s ', 45_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '120', 'abc', '10x', '5m garbage', 's', '-1s', '1d'])('refuses %j with an example of what works', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration .*such as 90s, 2m/);
  });

  it('reads back any sum of hours, minutes and seconds', () => {
    fc.assert(
      fc.property(fc.nat(99), fc.nat(59), fc.nat(59), (h, m, s) => {
        const text = `${h}h${m}m${s}s`;
        expect(parseDuration(text)).toBe(((h * 60 + m) * 60 + s) * 1000);
      }),
    );
  });
});

describe('label selectors', () => {
  it('parses every operator kubectl accepts', () => {
    expect(parseLabelSelector('app=web, tier!=db,env in (prod, staging),team notin (x),owner,!legacy,slipway.dev/cluster==abc')).toEqual([
      { key: 'app', operator: 'Equals', values: ['web'] },
      { key: 'tier', operator: 'NotEquals', values: ['db'] },
      { key: 'env', operator: 'In', values: ['prod', 'staging'] },
      { key: 'team', operator: 'NotIn', values: ['x'] },
      { key: 'owner', operator: 'Exists', values: [] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
      { key: 'slipway.dev/cluster', operator: 'Equals', values: ['abc'] },
    ]);
  });

  it('treats an empty selector as "everything"', () => {
    expect(parseLabelSelector('')).toEqual([]);
    expect(matchesLabelSelector({ a: 'b' }, [])).toBe(true);
  });

  it.each([
    ['a=b,,c=d', /empty requirement/],
    ['-bad=x', /is not a label key/],
    ['app=has space', /cannot read|is not a label value/],
    ['app=' + 'x'.repeat(64), /is not a label value/],
    ['app in x', /cannot read/],
  ])('refuses %j', (selector, message) => {
    expect(() => parseLabelSelector(selector)).toThrow(message);
  });

  it('formats back to a selector that parses to the same requirements', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    const value = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    const requirement = fc.oneof(
      fc.record({ key, operator: fc.constantFrom('Equals' as const, 'NotEquals' as const), values: fc.tuple(value) }),
      fc.record({ key, operator: fc.constantFrom('In' as const, 'NotIn' as const), values: fc.array(value, { minLength: 1, maxLength: 3 }) }),
      fc.record({ key, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constant([]) }),
    );
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 5 }), (requirements) => {
        expect(parseLabelSelector(formatLabelSelector(requirements))).toEqual(requirements);
      }),
    );
  });

  it('matches labels as Kubernetes does', () => {
    const labels = { app: 'web', env: 'prod' };
    const matches = (selector: string) => matchesLabelSelector(labels, parseLabelSelector(selector));
    expect(matches('app=web')).toBe(true);
    expect(matches('app=api')).toBe(false);
    expect(matches('app!=api')).toBe(true);
    expect(matches('missing!=x')).toBe(true);
    expect(matches('env in (prod,staging)')).toBe(true);
    expect(matches('env notin (prod)')).toBe(false);
    expect(matches('app,!legacy')).toBe(true);
    expect(matches('legacy')).toBe(false);
    expect(matchesLabelSelector(undefined, parseLabelSelector('app=web'))).toBe(false);
    expect(matchesLabelSelector(undefined, parseLabelSelector('!app'))).toBe(true);
  });
});

describe('parseTags', () => {
  it('reads repeated key=value pairs, keys with "/" and values with "="', () => {
    expect(parseTags(['slipway.dev/cluster=demo-x1', 'note=a=b', 'empty='])).toEqual({ 'slipway.dev/cluster': 'demo-x1', note: 'a=b', empty: '' });
  });

  it('refuses pairs without a key or "=" and duplicate keys', () => {
    expect(() => parseTags(['novalue'])).toThrow(/use key=value/);
    expect(() => parseTags(['=x'])).toThrow(/use key=value/);
    expect(() => parseTags(['a=1', 'a=2'])).toThrow(/given twice/);
  });
});

describe('parseWaitFor', () => {
  it('reads conditions, explicit statuses and delete', () => {
    expect(parseWaitFor('condition=Ready')).toEqual({ type: 'condition', condition: 'Ready', status: 'True' });
    expect(parseWaitFor('condition=Provisioned=false')).toEqual({ type: 'condition', condition: 'Provisioned', status: 'False' });
    expect(parseWaitFor('condition=Ready=Unknown')).toEqual({ type: 'condition', condition: 'Ready', status: 'Unknown' });
    expect(parseWaitFor('delete')).toEqual({ type: 'delete' });
  });

  it.each(['Ready', 'condition=', 'condition=Ready=maybe', 'jsonpath={.status}'])('refuses %j', (text) => {
    expect(() => parseWaitFor(text)).toThrow(CliError);
  });
});

describe('kinds and object references', () => {
  it.each(['cd', 'cds', 'clusterdeployment', 'clusterdeployments', 'ClusterDeployment', 'cluster', 'CD'])('%s names ClusterDeployment', (text) => {
    expect(resolveKind(text)).toBe('ClusterDeployment');
  });

  it('lists what is known when a kind is not', () => {
    expect(() => resolveKind('pods')).toThrow(/unknown resource type "pods"; use one of: clusterdeployments \(cd, cds\)/);
  });

  it('reads kind/name, kind name, and a kind alone only where a name is optional', () => {
    expect(parseObjectArgs('cd/demo', undefined)).toEqual({ kind: 'ClusterDeployment', name: 'demo' });
    expect(parseObjectArgs('np', 'pool-a')).toEqual({ kind: 'NodePool', name: 'pool-a' });
    expect(parseObjectArgs('cd', undefined, true)).toEqual({ kind: 'ClusterDeployment', name: undefined });
    expect(() => parseObjectArgs('cd', undefined)).toThrow(/name the ClusterDeployment: cd\/<name>/);
    expect(() => parseObjectArgs('cd/', undefined)).toThrow(/no name after "\/"/);
    expect(() => parseObjectArgs('cd/a', 'b')).toThrow(/not both/);
  });

  it('builds Kubernetes-style API paths', () => {
    expect(resourcePath('ClusterDeployment', 'default')).toBe('/apis/slipway.dev/v1alpha1/namespaces/default/clusterdeployments');
    expect(resourcePath('MachineDeployment', 'team-a', 'md-1')).toBe('/apis/slipway.dev/v1alpha1/namespaces/team-a/machinedeployments/md-1');
  });
});
