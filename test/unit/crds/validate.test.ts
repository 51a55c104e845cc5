import { describe, expect, it } from 'vitest';
import { KIND_NAMES, type KindName } from '../../../crds/schemas/index';
import { validateObject, type FieldError } from '../../../crds/validate';
import { sampleObject, withField, withoutField } from './fixtures';

function errorsOf(kind: KindName, input: unknown): FieldError[] {
  const result = validateObject(kind, input);
  if (result.ok) throw new Error(`expected ${kind} to be rejected, but it was accepted: ${JSON.stringify(result.object)}`);
  return result.errors;
}

function accepted<K extends KindName>(kind: K, input: unknown) {
  const result = validateObject(kind, input);
  if (!result.ok) throw new Error(`expected ${kind} to be accepted: ${JSON.stringify(result.errors)}`);
  return result.object;
}

describe('validateObject accepts every kind and applies defaults', () => {
  it.each(KIND_NAMES)('accepts a minimal %s without modifying the input', (kind) => {
    const input = sampleObject(kind);
    const before = structuredClone(input);
    const object = accepted(kind, input);
    expect(input).toEqual(before);
    expect(object.metadata.name).toBe((input.metadata as { name: string }).name);
  });

  it('fills ClusterDeployment defaults: control-plane replicas and install attempts', () => {
    const object = accepted('ClusterDeployment', withoutField(sampleObject('ClusterDeployment'), 'spec.compute'));
    expect(object.spec.controlPlane).toEqual({ replicas: 3 });
    expect(object.spec.installAttemptsLimit).toBe(3);
    expect(object.spec.compute).toBeUndefined();
  });

  it('keeps values the user gave over defaults', () => {
    const input = withField(withField(sampleObject('ClusterDeployment'), 'spec.controlPlane', { replicas: 1 }), 'spec.installAttemptsLimit', 5);
    const object = accepted('ClusterDeployment', input);
    expect(object.spec.controlPlane?.replicas).toBe(1);
    expect(object.spec.installAttemptsLimit).toBe(5);
  });

  it('fills MachineDeployment rollout defaults, a selector and the matching template label', () => {
    const object = accepted('MachineDeployment', sampleObject('MachineDeployment'));
    expect(object.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0, deletePolicy: 'Random' } });
    expect(object.spec.minReadySeconds).toBe(0);
    expect(object.spec.revisionHistoryLimit).toBe(1);
    expect(object.spec.paused).toBe(false);
    expect(object.spec.selector).toEqual({ matchLabels: { 'slipway.dev/machine-deployment': 'md-0' } });
    expect(object.spec.template.metadata?.labels).toEqual({ 'slipway.dev/machine-deployment': 'md-0' });
    expect(object.spec.template.spec.clusterName).toBe('alpha');
  });

  it('fills HostedCluster defaults after HyperShift: availability policies, etcd, networks', () => {
    const object = accepted('HostedCluster', sampleObject('HostedCluster'));
    expect(object.spec.controllerAvailabilityPolicy).toBe('HighlyAvailable');
    expect(object.spec.infrastructureAvailabilityPolicy).toBe('SingleReplica');
    expect(object.spec.etcd).toEqual({ managementType: 'Managed' });
    expect(object.spec.networking.networkType).toBe('OVNKubernetes');
    expect(object.spec.networking.clusterNetwork).toEqual([{ cidr: '10.132.0.0/14', hostPrefix: 23 }]);
  });

  it('fills NodePool management defaults: replace with a rolling update', () => {
    const object = accepted('NodePool', sampleObject('NodePool'));
    expect(object.spec.management).toEqual({
      upgradeType: 'Replace',
      replace: { strategy: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      autoRepair: false,
    });
    expect(object.spec.arch).toBe('amd64');
  });

  it('accepts int-or-percentage rollout bounds', () => {
    const input = withField(sampleObject('MachineDeployment'), 'spec.strategy', { rollingUpdate: { maxSurge: '25%', maxUnavailable: 2 } });
    expect(accepted('MachineDeployment', input).spec.strategy.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: 2, deletePolicy: 'Random' });
  });
});

interface Case {
  readonly name: string;
  readonly kind: KindName;
  readonly input: unknown;
  readonly path: string;
  readonly message: RegExp;
}

const cd = sampleObject('ClusterDeployment');
const hc = sampleObject('HostedCluster');
const np = sampleObject('NodePool');
const md = sampleObject('MachineDeployment');
const ms = sampleObject('MachineSet');
const machine = sampleObject('Machine');

const cases: Case[] = [
  { name: 'a string where an integer belongs', kind: 'ClusterDeployment', input: withField(cd, 'spec.compute.0.replicas', 'three'), path: 'spec.compute[0].replicas', message: /expected an integer, got the string "three"/ },
  { name: 'a fraction where an integer belongs', kind: 'ClusterDeployment', input: withField(cd, 'spec.compute.0.replicas', 2.5), path: 'spec.compute[0].replicas', message: /expected an integer/ },
  { name: 'a number out of range', kind: 'ClusterDeployment', input: withField(cd, 'spec.controlPlane', { replicas: 9 }), path: 'spec.controlPlane.replicas', message: /at most 7/ },
  { name: 'an unknown spec field', kind: 'ClusterDeployment', input: withField(cd, 'spec.workers', 3), path: 'spec.workers', message: /not a known field.*clusterName.*compute/ },
  { name: 'an unknown nested field', kind: 'ClusterDeployment', input: withField(cd, 'spec.platform.aws.zone', 'us-east-1a'), path: 'spec.platform.aws.zone', message: /not a known field.*region/ },
  { name: 'an unknown top-level field', kind: 'ClusterDeployment', input: withField(cd, 'extra', true), path: 'extra', message: /not a known field/ },
  { name: 'a "__proto__" key, kept as data and refused', kind: 'ClusterDeployment', input: JSON.parse(JSON.stringify(cd).replace('"clusterName"', '"__proto__":{"x":1},"clusterName"')), path: 'spec.__proto__', message: /not a known field/ },
  {
    name: 'a cluster name that makes worker machine names too long for GCE',
    kind: 'ClusterDeployment',
    input: withField(cd, 'metadata.name', `c${'x'.repeat(50)}`),
    path: 'spec.compute[0].name',
    message: /gives worker machines names like cx+-worker-ffffffff-99999, and GCP: .* at most 63/,
  },
  { name: 'a missing name', kind: 'ClusterDeployment', input: withoutField(cd, 'metadata.name'), path: 'metadata.name', message: /is required: every ClusterDeployment needs metadata.name/ },
  { name: 'missing metadata', kind: 'NodePool', input: withoutField(np, 'metadata'), path: 'metadata', message: /is required: every NodePool needs metadata.name/ },
  { name: 'a name that is not an RFC 1123 label', kind: 'MachineDeployment', input: withField(md, 'metadata.name', 'MD_0'), path: 'metadata.name', message: /does not match the pattern/ },
  { name: 'a cluster name with capitals', kind: 'ClusterDeployment', input: withField(cd, 'spec.clusterName', 'Alpha'), path: 'spec.clusterName', message: /every cloud accepts/ },
  { name: 'a cluster name starting with a digit', kind: 'ClusterDeployment', input: withField(cd, 'spec.clusterName', '1alpha'), path: 'spec.clusterName', message: /starting with a letter/ },
  { name: 'a cluster name longer than 27 characters', kind: 'ClusterDeployment', input: withField(cd, 'spec.clusterName', 'a'.repeat(28)), path: 'spec.clusterName', message: /at most 27 characters long \(got 28\)/ },
  { name: 'two platforms', kind: 'ClusterDeployment', input: withField(cd, 'spec.platform.gcp', { region: 'us-central1' }), path: 'spec.platform', message: /exactly one of: simulated, aws, azure, gcp, vsphere, baremetal; found aws, gcp/ },
  { name: 'no platform', kind: 'ClusterDeployment', input: withField(cd, 'spec.platform', {}), path: 'spec.platform', message: /exactly one of.*found none/ },
  { name: 'a missing required spec field', kind: 'ClusterDeployment', input: withoutField(cd, 'spec.baseDomain'), path: 'spec.baseDomain', message: /is required/ },
  { name: 'an upstream apiVersion', kind: 'ClusterDeployment', input: withField(cd, 'apiVersion', 'hive.openshift.io/v1'), path: 'apiVersion', message: /must be "slipway.dev\/v1alpha1".*converts? them/ },
  { name: 'the wrong kind', kind: 'ClusterDeployment', input: withField(cd, 'kind', 'HostedCluster'), path: 'kind', message: /must be "ClusterDeployment" here, got "HostedCluster"/ },
  { name: 'a bad timestamp', kind: 'ClusterDeployment', input: withField(cd, 'metadata.creationTimestamp', 'yesterday'), path: 'metadata.creationTimestamp', message: /RFC 3339 date-time/ },
  { name: 'a bad label key', kind: 'ClusterDeployment', input: withField(cd, ['metadata', 'labels', 'bad key'], 'x'), path: 'metadata.labels["bad key"]', message: /key name "bad key"/ },
  { name: 'a bad label value', kind: 'ClusterDeployment', input: withField(cd, ['metadata', 'labels', 'slipway.dev/team'], 'a b'), path: 'metadata.labels["slipway.dev/team"]', message: /label value "a b"/ },
  { name: 'duplicate compute pools', kind: 'ClusterDeployment', input: withField(withField(cd, 'spec.compute', [{ name: 'w', replicas: 1 }]), 'spec.compute.1', { name: 'w', replicas: 2 }), path: 'spec.compute', message: /at most 1 item/ },
  { name: 'a platform block that does not match the type', kind: 'HostedCluster', input: withField(hc, 'spec.platform.gcp', { region: 'us-central1' }), path: 'spec.platform.gcp', message: /must not be set when spec.platform.type is AWS/ },
  { name: 'a missing platform block', kind: 'HostedCluster', input: withField(hc, 'spec.platform', { type: 'Azure' }), path: 'spec.platform.azure', message: /is required because spec.platform.type is Azure/ },
  { name: 'an unsupported platform type', kind: 'HostedCluster', input: withField(hc, 'spec.platform.type', 'KubeVirt'), path: 'spec.platform.type', message: /must be one of: Simulated, AWS, Azure, GCP, VSphere, BareMetal/ },
  { name: 'a name unsafe as infra ID', kind: 'HostedCluster', input: withField(hc, 'metadata.name', 'hosted-cluster-with-a-long-name'), path: 'metadata.name', message: /infra ID.*at most 27 characters.*set spec.infraID/ },
  { name: 'unmanaged etcd', kind: 'HostedCluster', input: withField(hc, 'spec.etcd', { managementType: 'Unmanaged' }), path: 'spec.etcd.managementType', message: /must be "Managed"/ },
  { name: 'a service published twice', kind: 'HostedCluster', input: withField(hc, 'spec.services', [{ service: 'APIServer', servicePublishingStrategy: { type: 'LoadBalancer' } }, { service: 'APIServer', servicePublishingStrategy: { type: 'Route' } }]), path: 'spec.services[1].service', message: /twice/ },
  { name: 'replicas together with autoscaling', kind: 'NodePool', input: withField(np, 'spec.autoScaling', { min: 1, max: 3 }), path: 'spec.autoScaling', message: /cannot be set together with spec.replicas/ },
  { name: 'autoscaling min above max', kind: 'NodePool', input: withField(withoutField(np, 'spec.replicas'), 'spec.autoScaling', { min: 4, max: 3 }), path: 'spec.autoScaling.min', message: /must not exceed/ },
  { name: 'in-place upgrades off the Simulated platform', kind: 'NodePool', input: withField(np, 'spec.management', { upgradeType: 'InPlace' }), path: 'spec.management.upgradeType', message: /InPlace upgrades run only on the Simulated platform.*use Replace/ },
  { name: 'a percentage above 100', kind: 'MachineDeployment', input: withField(md, 'spec.strategy', { rollingUpdate: { maxUnavailable: '150%' } }), path: 'spec.strategy.rollingUpdate.maxUnavailable', message: /non-negative integer or a percentage string/ },
  { name: 'a negative surge', kind: 'MachineDeployment', input: withField(md, 'spec.strategy', { rollingUpdate: { maxSurge: -1 } }), path: 'spec.strategy.rollingUpdate.maxSurge', message: /non-negative integer or a percentage/ },
  { name: 'an unknown strategy', kind: 'MachineDeployment', input: withField(md, 'spec.strategy', { type: 'Recreate' }), path: 'spec.strategy.type', message: /must be one of: RollingUpdate, OnDelete; got the string "Recreate"/ },
  { name: 'an unknown delete policy', kind: 'MachineDeployment', input: withField(md, 'spec.strategy', { rollingUpdate: { deletePolicy: 'Largest' } }), path: 'spec.strategy.rollingUpdate.deletePolicy', message: /Random, Newest, Oldest/ },
  { name: 'a rollout that cannot progress', kind: 'MachineDeployment', input: withField(md, 'spec.strategy', { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }), path: 'spec.strategy.rollingUpdate', message: /cannot both be 0/ },
  { name: 'a selector that misses the template', kind: 'MachineDeployment', input: withField(md, 'spec.selector', { matchLabels: { pool: 'a' } }), path: 'spec.selector', message: /does not match spec.template.metadata.labels/ },
  { name: 'a template for another cluster', kind: 'MachineDeployment', input: withField(md, 'spec.template.spec.clusterName', 'beta'), path: 'spec.template.spec.clusterName', message: /must equal spec.clusterName \("alpha"\)/ },
  { name: 'a template without infrastructure', kind: 'MachineDeployment', input: withoutField(md, 'spec.template.spec.infrastructure'), path: 'spec.template.spec.infrastructure', message: /is required/ },
  { name: 'an In expression without values', kind: 'MachineSet', input: withField(ms, 'spec.selector.matchExpressions', [{ key: 'pool', operator: 'In' }]), path: 'spec.selector.matchExpressions[0].values', message: /at least one value/ },
  { name: 'an empty selector', kind: 'MachineSet', input: withField(ms, 'spec.selector', {}), path: 'spec.selector', message: /must not be empty/ },
  { name: 'a machine without infrastructure', kind: 'Machine', input: withoutField(machine, 'spec.infrastructure'), path: 'spec.infrastructure', message: /is required/ },
  { name: 'a machine phase that does not exist', kind: 'Machine', input: withField(machine, 'status', { phase: 'Sleeping' }), path: 'status.phase', message: /must be one of: Pending/ },
  { name: 'a condition with a bad status', kind: 'Machine', input: withField(machine, 'status', { conditions: [{ type: 'Ready', status: 'Yes', reason: 'R', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] }), path: 'status.conditions[0].status', message: /must be one of: True, False, Unknown/ },
];

describe('validateObject rejects with the path and what was expected', () => {
  it.each(cases)('$name ($kind)', ({ kind, input, path, message }) => {
    const errors = errorsOf(kind, input);
    const match = errors.find((error) => error.path === path);
    expect(match, `no error at ${path}; got ${JSON.stringify(errors)}`).toBeDefined();
    expect(match?.message).toMatch(message);
  });

  it('reports every problem at once, each once', () => {
    const input = withField(withField(withoutField(cd, 'metadata.name'), 'spec.compute.0.replicas', 'x'), 'spec.oops', 1);
    const errors = errorsOf('ClusterDeployment', input);
    expect(errors.map((error) => error.path).sort()).toEqual(['metadata.name', 'spec.compute[0].replicas', 'spec.oops']);
  });

  it('rejects something that is not an object at the root', () => {
    expect(errorsOf('Machine', 'machine')).toEqual([{ path: '(root)', message: expect.stringMatching(/expected a Machine object/) }]);
    expect(errorsOf('Machine', [machine])[0]?.path).toBe('(root)');
  });

  it('rejects an unknown kind', () => {
    const result = validateObject('Cluster', cd);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/unknown kind "Cluster"; expected one of: ClusterDeployment/);
  });
});
