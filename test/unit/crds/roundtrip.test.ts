import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../../crds/schemas/cluster-deployment';
import type { KindName } from '../../../crds/schemas/index';
import { convertManifest } from '../../../crds/upstream/index';
import { validateObject } from '../../../crds/validate';

const infraSafeName = fc.stringMatching(/^[a-z]([-a-z0-9]{0,25}[a-z0-9])?$/);
const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
const region = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const labels = fc.dictionary(fc.stringMatching(/^([a-z]{1,10}\.[a-z]{2,5}\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,20}[a-zA-Z0-9])?$/), fc.stringMatching(/^([a-zA-Z0-9]([-a-zA-Z0-9_.]{0,20}[a-zA-Z0-9])?)?$/), { maxKeys: 3 });
const intOrPercent = fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 100 }).map((value) => `${value}%`));
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const clusterDeployment = fc.record(
  {
    apiVersion: fc.constant('slipway.dev/v1alpha1'),
    kind: fc.constant('ClusterDeployment'),
    metadata: fc.record({ name: dnsLabel, namespace: optional(dnsLabel), labels: optional(labels), generation: optional(fc.integer({ min: 1, max: 1000 })) }, { requiredKeys: ['name'] }),
    spec: fc.record(
      {
        clusterName: infraSafeName,
        baseDomain: fc.constantFrom('example.test', 'clusters.example.com'),
        platform: fc.tuple(fc.constantFrom(...PLATFORMS), region).map(([platform, value]) => ({ [platform]: { region: value } })),
        controlPlane: optional(fc.record({ replicas: fc.constantFrom(1, 3, 5) })),
        compute: optional(fc.tuple(fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/), fc.integer({ min: 0, max: 500 })).map(([name, replicas]) => [{ name, replicas }])),
        installAttemptsLimit: optional(fc.integer({ min: 1, max: 10 })),
        preserveOnDelete: optional(fc.boolean()),
      },
      { requiredKeys: ['clusterName', 'baseDomain', 'platform'] },
    ),
  },
  { requiredKeys: ['apiVersion', 'kind', 'metadata', 'spec'] },
);

const machineDeployment = fc
  .record({
    name: dnsLabel,
    clusterName: dnsLabel,
    replicas: optional(fc.integer({ min: 0, max: 1000 })),
    maxSurge: intOrPercent,
    maxUnavailable: intOrPercent,
    type: fc.constantFrom('RollingUpdate', 'OnDelete'),
    deletePolicy: fc.constantFrom('Random', 'Newest', 'Oldest'),
    paused: optional(fc.boolean()),
    instanceType: fc.constantFrom('m5.large', 'Standard_D4s_v5', 'n2-standard-4'),
  })
  .filter(({ type, maxSurge, maxUnavailable }) => type === 'OnDelete' || !([0, '0%'].includes(maxSurge) && [0, '0%'].includes(maxUnavailable)))
  .map((value) => ({
    apiVersion: 'slipway.dev/v1alpha1',
    kind: 'MachineDeployment',
    metadata: { name: value.name },
    spec: {
      clusterName: value.clusterName,
      ...(value.replicas === undefined ? {} : { replicas: value.replicas }),
      ...(value.paused === undefined ? {} : { paused: value.paused }),
      strategy: { type: value.type, rollingUpdate: { maxSurge: value.maxSurge, maxUnavailable: value.maxUnavailable, deletePolicy: value.deletePolicy } },
      template: { spec: { infrastructure: { instanceType: value.instanceType } } },
    },
  }));

function roundTrips(kind: KindName, input: unknown): void {
  const first = validateObject(kind, input);
  if (!first.ok) throw new Error(`generated ${kind} was refused: ${JSON.stringify(first.errors)}`);
  const overTheWire: unknown = JSON.parse(JSON.stringify(first.object));
  const second = validateObject(kind, overTheWire);
  expect(second).toEqual({ ok: true, object: first.object });
  // Converting our own apiVersion is validation alone: same object again.
  expect(convertManifest(overTheWire)).toMatchObject({ ok: true, kind, object: first.object });
}

describe('valid objects survive validate -> JSON -> validate unchanged', () => {
  it('ClusterDeployment', () => {
    fc.assert(fc.property(clusterDeployment, (input) => roundTrips('ClusterDeployment', input)));
  });

  it('MachineDeployment', () => {
    fc.assert(fc.property(machineDeployment, (input) => roundTrips('MachineDeployment', input)));
  });
});
