import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { intakeManifests, parseManifests } from '../../../crds/manifests';
import { sampleObject, withField } from './fixtures';

const capiYaml = `
apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineDeployment
metadata:
  name: capi-md-0
spec:
  clusterName: capi
  replicas: 2
  selector:
    matchLabels: { pool: md-0 }
  template:
    metadata:
      labels: { pool: md-0 }
    spec:
      clusterName: capi
      infrastructure: { instanceType: m5.large }
`;

describe('parseManifests', () => {
  it('reads several YAML documents and skips empty ones', () => {
    const result = parseManifests(`---\na: 1\n---\n---\n# only a comment\n---\nb: [1, 2]\n`);
    expect(result).toEqual({ ok: true, documents: [{ a: 1 }, { b: [1, 2] }] });
  });

  it('reads JSON, a JSON array, and a Kubernetes List', () => {
    expect(parseManifests('{"a": 1}')).toEqual({ ok: true, documents: [{ a: 1 }] });
    expect(parseManifests('[{"a": 1}, {"b": 2}]')).toEqual({ ok: true, documents: [{ a: 1 }, { b: 2 }] });
    expect(parseManifests(stringify({ apiVersion: 'v1', kind: 'List', items: [{ a: 1 }, { b: 2 }] }))).toEqual({ ok: true, documents: [{ a: 1 }, { b: 2 }] });
  });

  it('reports a syntax error with its document, line and column', () => {
    const result = parseManifests('a: 1\n---\nb: [1,\n c');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.path).toBe('documents[1]');
      expect(result.errors[0]?.message).toMatch(/not valid YAML or JSON: .*line \d+, column \d+/);
    }
  });

  it('refuses duplicate keys instead of keeping one silently', () => {
    const result = parseManifests('spec:\n  replicas: 1\n  replicas: 5\n');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/unique/);
  });

  it('refuses documents that expand through too many aliases', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((key, index) => `${key}: &${key} [${Array(10).fill(`*${'abcdefg'[index]}`).join(', ')}]`)].join('\n');
    const result = parseManifests(bomb);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/more than \d+ values/);
  });
});

describe('intakeManifests', () => {
  it('converts every document, whatever its apiVersion', () => {
    const text = [stringify(sampleObject('ClusterDeployment')), capiYaml].join('---\n');
    const result = intakeManifests(text);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.objects.map((entry) => [entry.kind, entry.sourceApiVersion])).toEqual([
        ['ClusterDeployment', 'slipway.dev/v1alpha1'],
        ['MachineDeployment', 'cluster.x-k8s.io/v1beta1'],
      ]);
      expect(result.objects[1]?.object.apiVersion).toBe('slipway.dev/v1alpha1');
    }
  });

  it('prefixes each error with its document when there are several', () => {
    const bad = withField(sampleObject('Machine'), 'spec.infrastructure.instanceType', 5);
    const result = intakeManifests([capiYaml, stringify(bad), stringify({ apiVersion: 'v1', kind: 'Secret' })].join('---\n'));
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'documents[1].spec.infrastructure.instanceType', message: expect.stringMatching(/expected a string/) },
        { path: 'documents[2]', message: expect.stringMatching(/v1 Secret is not accepted/) },
      ],
    });
  });

  it('keeps Slipway paths unprefixed for a single document', () => {
    const result = intakeManifests(stringify(withField(sampleObject('Machine'), 'spec.infrastructure.instanceType', 5)));
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toEqual(['spec.infrastructure.instanceType']);
  });

  it('refuses text with no manifest in it', () => {
    expect(intakeManifests('# nothing here\n')).toEqual({ ok: false, errors: [{ path: 'documents', message: expect.stringMatching(/no manifest found/) }] });
  });
});
