/** Minimal valid objects of every kind, as a user would write them (no defaults filled in). */
import type { KindName } from '../../../crds/schemas/index';

export const RELEASE_IMAGE = 'quay.io/openshift-release-dev/ocp-release:4.20.1-x86_64';

export function sampleObject(kind: KindName): Record<string, unknown> {
  const head = { apiVersion: 'slipway.dev/v1alpha1', kind };
  switch (kind) {
    case 'ClusterDeployment':
      return {
        ...head,
        metadata: { name: 'alpha', namespace: 'team-a', labels: { team: 'a' } },
        spec: { clusterName: 'alpha', baseDomain: 'example.test', platform: { aws: { region: 'us-east-1' } }, compute: [{ name: 'worker', replicas: 3 }] },
      };
    case 'HostedCluster':
      return {
        ...head,
        metadata: { name: 'hosted-a', namespace: 'clusters' },
        spec: {
          release: { image: RELEASE_IMAGE },
          platform: { type: 'AWS', aws: { region: 'us-east-1', credentialsSecretRef: { name: 'aws-creds' } } },
          dns: { baseDomain: 'example.test' },
        },
      };
    case 'NodePool':
      return {
        ...head,
        metadata: { name: 'hosted-a-workers', namespace: 'clusters' },
        spec: { clusterName: 'hosted-a', release: { image: RELEASE_IMAGE }, platform: { type: 'AWS', aws: { instanceType: 'm5.large' } }, replicas: 2 },
      };
    case 'MachineDeployment':
      return {
        ...head,
        metadata: { name: 'md-0', namespace: 'team-a' },
        spec: { clusterName: 'alpha', replicas: 3, template: { spec: { version: 'v1.34.2', infrastructure: { instanceType: 'm5.large' } } } },
      };
    case 'MachineSet':
      return {
        ...head,
        metadata: { name: 'md-0-7f9c', namespace: 'team-a' },
        spec: {
          clusterName: 'alpha',
          replicas: 2,
          selector: { matchLabels: { pool: 'md-0' } },
          template: { metadata: { labels: { pool: 'md-0' } }, spec: { infrastructure: { instanceType: 'm5.large' } } },
        },
      };
    case 'Machine':
      return {
        ...head,
        metadata: { name: 'md-0-7f9c-x2x4z', namespace: 'team-a' },
        spec: { clusterName: 'alpha', infrastructure: { instanceType: 'm5.large', image: 'ami-0123456789abcdef0' } },
      };
  }
}

type Segment = string | number;

function segments(path: string | readonly Segment[]): Segment[] {
  if (typeof path !== 'string') return [...path];
  return path.split('.').map((segment) => (/^[0-9]+$/.test(segment) ? Number(segment) : segment));
}

function container(root: unknown, path: Segment[]): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const segment of path) {
    if (node[segment] === undefined) node[segment] = {};
    node = node[segment] as Record<string | number, unknown>;
  }
  return node;
}

/**
 * A deep copy of `object` with the value at `path` replaced (`undefined` deletes it).
 * `path` is dotted (`spec.compute.0.replicas`) or a list of segments for keys with dots.
 */
export function withField<T>(object: T, path: string | readonly Segment[], value: unknown): T {
  const copy = structuredClone(object);
  const parts = segments(path);
  const last = parts.pop();
  if (last === undefined) throw new Error('empty path');
  const parent = container(copy, parts);
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

export function withoutField<T>(object: T, path: string | readonly Segment[]): T {
  return withField(object, path, undefined);
}
