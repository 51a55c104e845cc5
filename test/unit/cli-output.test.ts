import { describe, expect, it } from 'vitest';
import { applyOutcomeLine, planApply } from '../../services/cli/apply-plan';
import { toCloudResource, cloudResourcesFrom } from '../../services/cli/commands/cloud';
import { evaluateJsonPath } from '../../services/cli/jsonpath';
import {
  age,
  asList,
  cloudResourceRows,
  columnsFor,
  formatDocument,
  humanDuration,
  parseOutputFormat,
  renderColumns,
  renderObjectsTable,
  tableRows,
} from '../../services/cli/output';
import { parseProblem, problemLines } from '../../services/cli/api-client';

const now = new Date('2025-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

function cluster(name: string, status: Record<string, unknown> | undefined, createdMsAgo = 300_000) {
  return {
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'ClusterDeployment',
    metadata: { name, namespace: 'default', creationTimestamp: ago(createdMsAgo) },
    spec: { clusterName: name },
    ...(status ? { status } : {}),
  };
}

const provisioned = cluster('alpha', {
  infraID: 'alpha-x7k2p',
  platform: 'simulated',
  region: 'local-1',
  installVersion: '4.16.3',
  apiURL: 'https://api.alpha.example.test:6443',
  controlPlane: { name: 'master', replicas: 3, readyReplicas: 3 },
  workerPools: [{ name: 'worker', replicas: 3, readyReplicas: 2 }],
  conditions: [
    { type: 'Provisioned', status: 'True', reason: 'Provisioned', message: 'The cluster is installed.', lastTransitionTime: ago(60_000) },
    { type: 'Ready', status: 'False', reason: 'ScalingWorkers', message: 'worker pools are scaling', lastTransitionTime: ago(30_000) },
  ],
});

describe('humanDuration and age', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [200_000, '3m20s'],
    [95 * 60_000, '95m'],
    [(5 * 60 + 12) * 60_000, '5h12m'],
    [30 * 3_600_000, '30h'],
    [(3 * 24 + 4) * 3_600_000, '3d4h'],
    [40 * 86_400_000, '40d'],
    [(2 * 365 + 30) * 86_400_000, '2y30d'],
    [9 * 365 * 86_400_000, '9y'],
  ])('%d ms reads %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('treats future and missing timestamps kindly', () => {
    expect(age(new Date(now.getTime() + 5_000).toISOString(), now)).toBe('0s');
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age('yesterday', now)).toBe('<unknown>');
  });
});

describe('get tables', () => {
  it('shows Hive-like ClusterDeployment columns', () => {
    const columns = columnsFor('ClusterDeployment', false);
    expect(columns.map((column) => column.header)).toEqual(['NAME', 'INFRAID', 'PLATFORM', 'REGION', 'VERSION', 'PROVISIONSTATUS', 'AGE']);
    expect(tableRows([provisioned], columns, now)).toEqual([['alpha', 'alpha-x7k2p', 'simulated', 'local-1', '4.16.3', 'Provisioned', '5m']]);
  });

  it('adds readiness, API URL, machine counts and the owner side with -o wide, keeping AGE last', () => {
    const columns = columnsFor('ClusterDeployment', true);
    expect(columns.map((column) => column.header)).toEqual(['NAME', 'INFRAID', 'PLATFORM', 'REGION', 'VERSION', 'PROVISIONSTATUS', 'READY', 'API URL', 'MACHINES', 'OWNER', 'AGE']);
    const [row] = tableRows([provisioned], columns, now);
    expect(row?.slice(6)).toEqual(['False', 'https://api.alpha.example.test:6443', '5/6', 'rest', '5m']);
  });

  it('shows kubernetes as the owner of an object its custom resource drives', () => {
    const owned = { ...provisioned, metadata: { ...provisioned.metadata, annotations: { 'slipway.dev/owner': 'kubernetes' } } };
    const columns = columnsFor('ClusterDeployment', true);
    const [row] = tableRows([owned], columns, now);
    expect(row?.[columns.findIndex((column) => column.header === 'OWNER')]).toBe('kubernetes');
  });

  it('leaves columns blank for an object with no status yet', () => {
    const [row] = tableRows([cluster('fresh', undefined, 5_000)], columnsFor('ClusterDeployment', true), now);
    expect(row).toEqual(['fresh', '', '', '', '', '', '', '', '', 'rest', '5s']);
  });

  it('aligns columns without borders or trailing spaces', () => {
    const text = renderObjectsTable('ClusterDeployment', [provisioned, cluster('b', undefined, 1_000)], { wide: false, now });
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^NAME {3,}INFRAID {3,}PLATFORM/);
    expect(lines.every((line) => line === line.trimEnd())).toBe(true);
    expect(lines[0]?.indexOf('INFRAID')).toBe(lines[1]?.indexOf('alpha-x7k2p'));
    expect(renderObjectsTable('ClusterDeployment', [provisioned], { wide: false, now, headers: false })).not.toContain('NAME');
  });

  it('uses each kind\'s printer columns', () => {
    const headers = columnsFor('NodePool', false).map((column) => column.header);
    expect(headers).toEqual(['NAME', 'CLUSTER', 'DESIRED NODES', 'CURRENT NODES', 'AUTOSCALING', 'AUTOREPAIR', 'VERSION', 'READY', 'AGE']);
  });

  it('renders several columns of any text', () => {
    expect(renderColumns(['A', 'LONGER'], [['x', 'y'], ['wide value', '']])).toBe('A            LONGER\nx            y\nwide value');
  });
});

describe('JSONPath subset', () => {
  const object = {
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Provisioned', status: 'False', reason: 'Provisioning' },
      ],
      history: [{ state: 'Completed', version: '4.15' }, { state: '', version: '4.16' }],
    },
  };
  it('follows fields, indexes and filters', () => {
    expect(evaluateJsonPath(object, '.status.conditions[?(@.type=="Provisioned")].reason')).toEqual(['Provisioning']);
    expect(evaluateJsonPath(object, '.status.conditions[0].type')).toEqual(['Ready']);
    expect(evaluateJsonPath(object, '.status.history[?(@.state!="")].version')).toEqual(['4.15']);
    expect(evaluateJsonPath(object, '{.status.conditions[*].type}')).toEqual(['Ready', 'Provisioned']);
    expect(evaluateJsonPath(object, '.status.missing.deeper')).toEqual([]);
  });
});

describe('documents', () => {
  it('prints one object as itself and many as a List', () => {
    expect(JSON.parse(formatDocument(provisioned, 'json'))).toEqual(provisioned);
    const list = asList([provisioned]);
    expect(list.kind).toBe('List');
    expect(formatDocument(list, 'yaml')).toMatch(/^apiVersion: v1\nkind: List\n/);
  });

  it('accepts the output formats get knows', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('wide')).toBe('wide');
    expect(() => parseOutputFormat('xml')).toThrow(/use -o json, -o yaml or -o wide/);
  });
});

describe('kubectl-style apply', () => {
  const existing = {
    metadata: { name: 'alpha', labels: { team: 'a' } },
    spec: { clusterName: 'alpha', controlPlane: { replicas: 3 }, compute: [{ name: 'worker', replicas: 3 }], installAttemptsLimit: 3 },
    status: { infraID: 'alpha-x' },
  };

  it('reports unchanged when the manifest says what the object already has', () => {
    expect(planApply({ metadata: { name: 'alpha' }, spec: { clusterName: 'alpha', compute: [{ name: 'worker', replicas: 3 }] } }, existing)).toEqual({ outcome: 'unchanged' });
    expect(planApply({ metadata: { name: 'alpha', labels: { team: 'a' } }, spec: { clusterName: 'alpha' } }, existing)).toEqual({ outcome: 'unchanged' });
  });

  it('patches spec, labels and annotations when they differ', () => {
    const manifest = { metadata: { name: 'alpha', labels: { env: 'prod' } }, spec: { clusterName: 'alpha', compute: [{ name: 'worker', replicas: 5 }] } };
    expect(planApply(manifest, existing)).toEqual({
      outcome: 'configured',
      patch: { spec: manifest.spec, metadata: { labels: { env: 'prod' } } },
    });
    expect(planApply({ metadata: { name: 'alpha', annotations: { note: 'x' } }, spec: {} }, existing).outcome).toBe('configured');
  });

  it('prints outcomes as kubectl does', () => {
    expect(applyOutcomeLine('ClusterDeployment', 'alpha', 'created')).toBe('clusterdeployment.slipway.dev/alpha created');
    expect(applyOutcomeLine('NodePool', 'p', 'unchanged')).toBe('nodepool.slipway.dev/p unchanged');
  });
});

describe('problem+json errors', () => {
  it('shows the detail, then each field path', () => {
    const problem = parseProblem(
      422,
      'Unprocessable Entity',
      JSON.stringify({ type: 'about:blank', title: 'Invalid', status: 422, detail: 'ClusterDeployment "x" is invalid', errors: [{ path: 'spec.compute[0].replicas', message: 'must be >= 0' }] }),
    );
    expect(problemLines(problem)).toEqual({ message: 'ClusterDeployment "x" is invalid', details: ['spec.compute[0].replicas: must be >= 0'] });
  });

  it('copes with bodies that are not problem+json', () => {
    expect(problemLines(parseProblem(502, 'Bad Gateway', '<html>upstream down</html>\nmore'))).toEqual({ message: '<html>upstream down</html>', details: [] });
    expect(problemLines(parseProblem(500, 'Internal Server Error', ''))).toEqual({ message: 'Internal Server Error', details: [] });
    expect(parseProblem(409, 'Conflict', JSON.stringify({ kind: 'Status', message: 'already exists' })).detail).toBe('already exists');
    expect(parseProblem(401, 'Unauthorized', JSON.stringify({ error: { code: 'Unauthorized', message: 'missing or wrong API key' } })).detail).toBe('missing or wrong API key');
  });
});

describe('cloud ls', () => {
  it('reads resources and sorts rows by cluster, kind and name', () => {
    const resources = cloudResourcesFrom({
      items: [
        { kind: 'machine', id: 'i-2', name: 'b-w-0', state: 'running', tags: { 'slipway.dev/cluster': 'b-1' }, createdAt: ago(90_000) },
        { kind: 'network', id: 'n-1', name: 'a-net', state: 'available', tags: { 'slipway.dev/cluster': 'a-1', 'slipway.dev/created-at': ago(10_000) } },
        { kind: 'machine', providerId: 'i-1', name: 'a-m-0', phase: 'pending', tags: { 'slipway.dev/cluster': 'a-1' } },
        { note: 'no id: skipped' },
      ],
    });
    expect(cloudResourceRows(resources, 'slipway.dev/cluster', now)).toEqual([
      ['machine', 'a-m-0', 'i-1', 'pending', 'a-1', '<unknown>'],
      ['network', 'a-net', 'n-1', 'available', 'a-1', '10s'],
      ['machine', 'b-w-0', 'i-2', 'running', 'b-1', '90s'],
    ]);
  });

  it('accepts a bare array and refuses an answer with no list', () => {
    expect(cloudResourcesFrom([{ id: 'x', kind: 'dnsRecord' }])).toHaveLength(1);
    expect(toCloudResource({ id: 'x' })?.kind).toBe('resource');
    expect(() => cloudResourcesFrom({ error: 'nope' })).toThrow(/no resource list/);
  });
});
