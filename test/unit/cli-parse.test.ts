import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../services/cli/errors';
import { parseObjectArgs, resolveKind, resourcePath } from '../../services/cli/kinds';
import {
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
  it('accepts what the API accepts and matches labels as Kubernetes does', () => {
    const labels = { app: 'web', env: 'prod' };
    const matches = (selector: string) => matchesLabelSelector(labels, parseLabelSelector(selector));
    expect(matches('app=web')).toBe(true);
    expect(matches('app=api')).toBe(false);
    expect(matches('app!=api,missing!=x')).toBe(true);
    expect(matches('env in (prod, staging)')).toBe(true);
    expect(matches('env notin (prod)')).toBe(false);
    expect(matches('app,!legacy')).toBe(true);
    expect(matches('')).toBe(true);
    expect(matchesLabelSelector(undefined, parseLabelSelector('app=web'))).toBe(false);
    expect(matchesLabelSelector(undefined, parseLabelSelector('!app'))).toBe(true);
  });

  it('names the -l flag and the bad requirement when a selector does not parse', () => {
    expect(() => parseLabelSelector('app in x')).toThrow(CliError);
    expect(() => parseLabelSelector('app in x')).toThrow(/invalid label selector "app in x" \(-l\): "app in x" is not a label selector requirement/);
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
