import { describe, expect, it } from 'vitest';
import { convertManifest } from '../../../crds/upstream/index';
import type { FieldError } from '../../../crds/validate';
import { RELEASE_IMAGE, sampleObject, withField, withoutField } from './fixtures';

function converted(input: unknown) {
  const result = convertManifest(input);
  if (!result.ok) throw new Error(`expected the manifest to convert: ${JSON.stringify(result.errors, null, 1)}`);
  return result;
}

function refused(input: unknown): FieldError[] {
  const result = convertManifest(input);
  if (result.ok) throw new Error(`expected the manifest to be refused: ${JSON.stringify(result.object)}`);
  return result.errors;
}

function expectError(errors: FieldError[], path: string, message: RegExp): void {
  const match = errors.find((error) => error.path === path);
  expect(match, `no error at ${path}; got ${JSON.stringify(errors, null, 1)}`).toBeDefined();
  expect(match?.message).toMatch(message);
}

/** What `kubectl get cd -o yaml` gives for a Hive ClusterDeployment, trimmed to what Slipway honours. */
const hiveClusterDeployment = {
  apiVersion: 'hive.openshift.io/v1',
  kind: 'ClusterDeployment',
  metadata: {
    name: 'mycluster',
    namespace: 'mynamespace',
    uid: '5f4e7a3c-0000-4000-8000-000000000001',
    resourceVersion: '12345',
    generation: 3,
    creationTimestamp: '2025-01-01T00:00:00Z',
    labels: { 'hive.openshift.io/cluster-platform': 'aws', 'hive.openshift.io/cluster-region': 'us-east-1' },
    annotations: { 'hive.openshift.io/try-install-once': 'false' },
  },
  spec: {
    baseDomain: 'hive.example.com',
    clusterName: 'mycluster',
    installed: false,
    manageDNS: false,
    installAttemptsLimit: 2,
    platform: { aws: { credentialsSecretRef: { name: 'mycluster-aws-creds' }, region: 'us-east-1' } },
    provisioning: { releaseImage: RELEASE_IMAGE },
    pullSecretRef: { name: 'mycluster-pull-secret' },
    powerState: 'Running',
    ingress: [],
    controlPlane: { replicas: 3 },
    compute: [{ name: 'worker', replicas: 2 }],
  },
  status: { conditions: [{ type: 'Provisioned', status: 'False', reason: 'Provisioning' }], installRestarts: 0 },
};

describe('hive.openshift.io/v1 ClusterDeployment', () => {
  it('converts field by field, leaving out server-set metadata and status', () => {
    const result = converted(hiveClusterDeployment);
    expect(result.kind).toBe('ClusterDeployment');
    expect(result.sourceApiVersion).toBe('hive.openshift.io/v1');
    expect(result.object).toEqual({
      apiVersion: 'slipway.dev/v1alpha1',
      kind: 'ClusterDeployment',
      metadata: {
        name: 'mycluster',
        namespace: 'mynamespace',
        labels: hiveClusterDeployment.metadata.labels,
        annotations: hiveClusterDeployment.metadata.annotations,
      },
      spec: {
        clusterName: 'mycluster',
        baseDomain: 'hive.example.com',
        platform: { aws: { region: 'us-east-1', credentialsSecretRef: { name: 'mycluster-aws-creds' } } },
        provisioning: { releaseImage: RELEASE_IMAGE },
        controlPlane: { replicas: 3 },
        compute: [{ name: 'worker', replicas: 2 }],
        installAttemptsLimit: 2,
        pullSecretRef: { name: 'mycluster-pull-secret' },
      },
    });
  });

  it.each([
    ['azure', { azure: { credentialsSecretRef: { name: 'c' }, region: 'eastus', cloudName: 'AzurePublicCloud' } }, { azure: { region: 'eastus', credentialsSecretRef: { name: 'c' } } }],
    ['gcp', { gcp: { credentialsSecretRef: { name: 'c' }, region: 'us-central1' } }, { gcp: { region: 'us-central1', credentialsSecretRef: { name: 'c' } } }],
    ['vsphere (region from the Hive region label)', { vsphere: { credentialsSecretRef: { name: 'c' } } }, { vsphere: { region: 'us-east-1', credentialsSecretRef: { name: 'c' } } }],
  ])('converts the %s platform', (_name, platform, expected) => {
    expect(converted(withField(hiveClusterDeployment, 'spec.platform', platform)).object.spec).toMatchObject({ platform: expected });
  });

  it('needs a region for platforms where Hive has none', () => {
    const manifest = withField(
      withField(hiveClusterDeployment, 'spec.platform', { baremetal: {} }),
      ['metadata', 'labels', 'hive.openshift.io/cluster-region'],
      undefined,
    );
    expectError(refused(manifest), 'spec.platform.baremetal', /needs a region.*hive.openshift.io\/cluster-region/);
  });

  it.each([
    ['spec.provisioning.installConfigSecretRef', withField(hiveClusterDeployment, 'spec.provisioning.installConfigSecretRef', { name: 'ic' }), /does not read install-config Secrets.*spec.controlPlane.*spec.compute/],
    ['spec.provisioning.imageSetRef', withField(hiveClusterDeployment, 'spec.provisioning.imageSetRef', { name: 'openshift-v4.20' }), /ClusterImageSets are not supported; set spec.provisioning.releaseImage/],
    ['spec.installed', withField(hiveClusterDeployment, 'spec.installed', true), /cannot adopt one that is already installed/],
    ['spec.clusterMetadata', withField(hiveClusterDeployment, 'spec.clusterMetadata', { infraID: 'x', clusterID: 'y' }), /cannot adopt/],
    ['spec.powerState', withField(hiveClusterDeployment, 'spec.powerState', 'Hibernating'), /hibernation is not supported.*"Hibernating"/],
    ['spec.manageDNS', withField(hiveClusterDeployment, 'spec.manageDNS', true), /does not create DNS zones/],
    ['spec.platform.aws.credentialsAssumeRole', withField(hiveClusterDeployment, 'spec.platform.aws.credentialsAssumeRole', { roleARN: 'arn:aws:iam::1:role/x' }), /credentialsSecretRef only/],
    ['spec.platform.openstack', withField(hiveClusterDeployment, 'spec.platform', { openstack: { cloud: 'x' } }), /openstack platform is not supported/],
    ['spec.platform.vsphere.vCenter', withField(hiveClusterDeployment, 'spec.platform', { vsphere: { vCenter: 'vc.example.com', credentialsSecretRef: { name: 'c' } } }), /provider configuration/],
    ['spec.hibernateAfter', withField(hiveClusterDeployment, 'spec.hibernateAfter', '8h'), /hibernation/],
    ['spec.futureField', withField(hiveClusterDeployment, 'spec.futureField', 'x'), /not supported by Slipway's conversion of hive.openshift.io\/v1 ClusterDeployment.*remove it/],
    ['metadata.finalizers', withField(hiveClusterDeployment, 'metadata.finalizers', ['hive.openshift.io/deprovision']), /block deletion/],
    ['metadata.name', withoutField(withField(hiveClusterDeployment, 'metadata.generateName', 'cd-'), 'metadata.name'), /Slipway needs a fixed name/],
  ])('refuses %s with a message that says what to do', (path, manifest, message) => {
    expectError(refused(manifest), path, message);
  });

  it('reports every refused field at once', () => {
    const manifest = withField(withField(hiveClusterDeployment, 'spec.installed', true), 'spec.provisioning.imageSetRef', { name: 'x' });
    expect(refused(manifest).map((error) => error.path).sort()).toEqual(['spec.installed', 'spec.provisioning.imageSetRef']);
  });

  it('validates the converted object against the Slipway schema', () => {
    expectError(refused(withField(hiveClusterDeployment, 'spec.clusterName', 'My_Cluster')), 'spec.clusterName', /every cloud accepts/);
  });
});

/** A HostedCluster as `hcp create cluster aws --render` writes it, with credentials given Slipway's way. */
const hostedCluster = {
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'HostedCluster',
  metadata: { name: 'example', namespace: 'clusters', creationTimestamp: null },
  spec: {
    release: { image: RELEASE_IMAGE },
    infraID: 'example-x7k2p',
    platform: { type: 'AWS', aws: { region: 'us-east-1', credentialsSecretRef: { name: 'aws-creds' }, endpointAccess: 'Public', multiArch: false } },
    controllerAvailabilityPolicy: 'SingleReplica',
    infrastructureAvailabilityPolicy: 'SingleReplica',
    dns: { baseDomain: 'example.com' },
    networking: {
      clusterNetwork: [{ cidr: '10.132.0.0/14' }],
      serviceNetwork: [{ cidr: '172.31.0.0/16' }],
      machineNetwork: [{ cidr: '10.0.0.0/16' }],
      networkType: 'OVNKubernetes',
    },
    etcd: { managementType: 'Managed', managed: { storage: { type: 'PersistentVolume', persistentVolume: { size: '8Gi' } } } },
    services: [
      { service: 'APIServer', servicePublishingStrategy: { type: 'LoadBalancer' } },
      { service: 'Ignition', servicePublishingStrategy: { type: 'Route' } },
    ],
    pullSecret: { name: 'example-pull-secret' },
    sshKey: {},
    fips: false,
    olmCatalogPlacement: 'management',
    issuerURL: 'https://kubernetes.default.svc',
    autoscaling: {},
    configuration: {},
  },
  status: { controlPlaneEndpoint: { host: '', port: 0 } },
};

describe('hypershift.openshift.io/v1beta1 HostedCluster', () => {
  it('converts, keeping HyperShift field names', () => {
    const { object } = converted(hostedCluster);
    expect(object.kind).toBe('HostedCluster');
    expect(object.metadata).toEqual({ name: 'example', namespace: 'clusters' });
    expect(object.spec).toEqual({
      release: { image: RELEASE_IMAGE },
      infraID: 'example-x7k2p',
      platform: { type: 'AWS', aws: { region: 'us-east-1', credentialsSecretRef: { name: 'aws-creds' } } },
      controllerAvailabilityPolicy: 'SingleReplica',
      infrastructureAvailabilityPolicy: 'SingleReplica',
      dns: { baseDomain: 'example.com' },
      networking: hostedCluster.spec.networking,
      etcd: hostedCluster.spec.etcd,
      services: hostedCluster.spec.services,
      pullSecret: { name: 'example-pull-secret' },
    });
  });

  it.each([
    ['spec.platform.aws.rolesRef', withField(hostedCluster, 'spec.platform.aws.rolesRef', { ingressARN: 'arn:aws:iam::1:role/i' }), /not IAM roles; remove rolesRef and set spec.platform.aws.credentialsSecretRef/],
    ['spec.platform.aws.endpointAccess', withField(hostedCluster, 'spec.platform.aws.endpointAccess', 'Private'), /only a public API endpoint/],
    ['spec.platform.type', withField(hostedCluster, 'spec.platform', { type: 'KubeVirt', kubevirt: {} }), /platform type KubeVirt is not supported/],
    ['spec.platform.type', withField(hostedCluster, 'spec.platform.type', 'Nimbus'), /unknown platform type "Nimbus"/],
    ['spec.etcd.managementType', withField(hostedCluster, 'spec.etcd', { managementType: 'Unmanaged', unmanaged: { endpoint: 'https://etcd:2379' } }), /bring your own etcd\) is not supported/],
    ['spec.dns.publicZoneID', withField(hostedCluster, 'spec.dns.publicZoneID', 'Z123'), /finds the DNS zone/],
    ['spec.fips', withField(hostedCluster, 'spec.fips', true), /FIPS mode is not supported/],
    ['spec.issuerURL', withField(hostedCluster, 'spec.issuerURL', 'https://oidc.example.com'), /custom service-account issuer/],
    ['spec.configuration', withField(hostedCluster, 'spec.configuration', { proxy: { httpProxy: 'http://proxy:3128' } }), /configuration overrides/],
    ['spec.networking.apiServer', withField(hostedCluster, 'spec.networking.apiServer', { port: 6443 }), /chosen by Slipway/],
    ['spec.platform.azure', withField(hostedCluster, 'spec.platform.azure', { location: 'eastus' }), /must not be set when spec.platform.type is AWS/],
  ])('refuses %s', (path, manifest, message) => {
    expectError(refused(manifest), path, message);
  });
});

const nodePool = {
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'NodePool',
  metadata: { name: 'example-us-east-1a', namespace: 'clusters' },
  spec: {
    clusterName: 'example',
    release: { image: RELEASE_IMAGE },
    replicas: 2,
    management: { upgradeType: 'Replace', autoRepair: true, replace: { strategy: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
    platform: { type: 'AWS', aws: { instanceType: 'm5.large', rootVolume: { size: 120, type: 'gp3' } } },
    nodeDrainTimeout: '0s',
    arch: 'amd64',
  },
  status: { replicas: 0 },
};

describe('hypershift.openshift.io/v1beta1 NodePool', () => {
  it('converts, keeping HyperShift field names', () => {
    const { object } = converted(nodePool);
    expect(object.kind).toBe('NodePool');
    expect(object.spec).toEqual({
      clusterName: 'example',
      release: { image: RELEASE_IMAGE },
      replicas: 2,
      management: nodePool.spec.management,
      platform: nodePool.spec.platform,
      arch: 'amd64',
    });
  });

  it('converts an Azure pool with an image ID and disk size', () => {
    const azure = { type: 'Azure', azure: { vmSize: 'Standard_D4s_v5', image: { type: 'ImageID', imageID: '/subscriptions/s/images/rhcos' }, osDisk: { sizeGiB: 120 } } };
    expect(converted(withField(nodePool, 'spec.platform', azure)).object.spec).toMatchObject({ platform: azure });
  });

  it.each([
    ['spec.platform.aws.subnet', withField(nodePool, 'spec.platform.aws.subnet', { id: 'subnet-1' }), /creates the network.*remove subnet/],
    ['spec.platform.aws.rootVolume.encrypted', withField(nodePool, 'spec.platform.aws.rootVolume.encrypted', true), /encryption settings are not supported/],
    ['spec.management.upgradeType', withField(nodePool, 'spec.management.upgradeType', 'InPlace'), /InPlace upgrades run only on the Simulated platform.*use Replace/],
    ['spec.nodeDrainTimeout', withField(nodePool, 'spec.nodeDrainTimeout', '30s'), /cannot drain them.*"30s"/],
    ['spec.taints', withField(nodePool, 'spec.taints', [{ key: 'a', effect: 'NoSchedule' }]), /cannot taint them/],
    ['spec.platform.azure.image.azureMarketplace', withField(nodePool, 'spec.platform', { type: 'Azure', azure: { vmSize: 'D4', image: { type: 'AzureMarketplace', azureMarketplace: { publisher: 'p' } } } }), /marketplace images are not supported/],
    ['spec.autoScaling', withField(nodePool, 'spec.autoScaling', { min: 1, max: 4 }), /cannot be set together with spec.replicas/],
  ])('refuses %s', (path, manifest, message) => {
    expectError(refused(manifest), path, message);
  });
});

const machineDeploymentV1beta1 = {
  apiVersion: 'cluster.x-k8s.io/v1beta1',
  kind: 'MachineDeployment',
  metadata: { name: 'capi-md-0', namespace: 'default', labels: { 'cluster.x-k8s.io/cluster-name': 'capi' } },
  spec: {
    clusterName: 'capi',
    replicas: 3,
    selector: { matchLabels: { 'cluster.x-k8s.io/cluster-name': 'capi', 'cluster.x-k8s.io/deployment-name': 'capi-md-0' } },
    template: {
      metadata: { labels: { 'cluster.x-k8s.io/cluster-name': 'capi', 'cluster.x-k8s.io/deployment-name': 'capi-md-0' } },
      spec: {
        clusterName: 'capi',
        version: 'v1.34.2',
        bootstrap: { dataSecretName: 'capi-md-0-bootstrap' },
        infrastructure: { instanceType: 'm5.large' },
        nodeDrainTimeout: '0s',
      },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0, deletePolicy: 'Oldest' } },
    minReadySeconds: 10,
    revisionHistoryLimit: 2,
    paused: false,
    rolloutAfter: '2025-06-01T00:00:00Z',
  },
  status: { replicas: 3, readyReplicas: 3, phase: 'Running' },
};

const machineDeploymentV1beta2 = {
  apiVersion: 'cluster.x-k8s.io/v1beta2',
  kind: 'MachineDeployment',
  metadata: machineDeploymentV1beta1.metadata,
  spec: {
    clusterName: 'capi',
    replicas: 3,
    rollout: { after: '2025-06-01T00:00:00Z', strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } },
    deletion: { order: 'Oldest' },
    selector: machineDeploymentV1beta1.spec.selector,
    template: {
      metadata: machineDeploymentV1beta1.spec.template.metadata,
      spec: {
        clusterName: 'capi',
        version: 'v1.34.2',
        minReadySeconds: 10,
        bootstrap: { dataSecretName: 'capi-md-0-bootstrap' },
        infrastructure: { instanceType: 'm5.large' },
        deletion: { nodeDrainTimeoutSeconds: 0 },
      },
    },
    paused: false,
  },
};

describe('cluster.x-k8s.io MachineDeployment', () => {
  const expectedSpec = {
    clusterName: 'capi',
    replicas: 3,
    selector: machineDeploymentV1beta1.spec.selector,
    template: {
      metadata: machineDeploymentV1beta1.spec.template.metadata,
      spec: { clusterName: 'capi', version: 'v1.34.2', bootstrap: { dataSecretName: 'capi-md-0-bootstrap' }, infrastructure: { instanceType: 'm5.large' } },
    },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0, deletePolicy: 'Oldest' } },
    minReadySeconds: 10,
    paused: false,
    rolloutAfter: '2025-06-01T00:00:00Z',
  };

  it('converts v1beta1', () => {
    const result = converted(machineDeploymentV1beta1);
    expect(result.sourceApiVersion).toBe('cluster.x-k8s.io/v1beta1');
    expect(result.object.spec).toEqual({ ...expectedSpec, revisionHistoryLimit: 2 });
  });

  it('converts v1beta2, moving rollout, deletion order and minReadySeconds to their v1beta1 places', () => {
    const result = converted(machineDeploymentV1beta2);
    expect(result.sourceApiVersion).toBe('cluster.x-k8s.io/v1beta2');
    expect(result.object.spec).toEqual({ ...expectedSpec, revisionHistoryLimit: 1 });
  });

  it('gives the same object from both versions of the same deployment, apart from v1beta1-only fields', () => {
    const fromV1beta1 = converted(withoutField(machineDeploymentV1beta1, 'spec.revisionHistoryLimit')).object;
    expect(converted(machineDeploymentV1beta2).object).toEqual(fromV1beta1);
  });

  it('converts a v1beta2 OnDelete rollout with only a deletion order', () => {
    const manifest = withField(withField(machineDeploymentV1beta2, 'spec.rollout', { strategy: { type: 'OnDelete' } }), 'spec.deletion', { order: 'Newest' });
    expect(converted(manifest).object.spec).toMatchObject({ strategy: { type: 'OnDelete', rollingUpdate: { deletePolicy: 'Newest' } } });
  });

  const infrastructureRef = { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'AWSMachineTemplate', name: 'capi-md-0' };
  it.each([
    ['v1beta1 infrastructureRef', withoutField(withField(machineDeploymentV1beta1, 'spec.template.spec.infrastructureRef', infrastructureRef), 'spec.template.spec.infrastructure'), 'spec.template.spec.infrastructureRef', /AWSMachineTemplate capi-md-0.*replace infrastructureRef with infrastructure: \{ instanceType/],
    ['v1beta2 infrastructureRef', withoutField(withField(machineDeploymentV1beta2, 'spec.template.spec.infrastructureRef', { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'AWSMachineTemplate', name: 'capi-md-0' }), 'spec.template.spec.infrastructure'), 'spec.template.spec.infrastructureRef', /does not read infrastructure provider templates/],
    ['infrastructureRef next to infrastructure', withField(machineDeploymentV1beta1, 'spec.template.spec.infrastructureRef', infrastructureRef), 'spec.template.spec.infrastructureRef', /cannot be combined with infrastructure/],
    ['bootstrap configRef', withField(machineDeploymentV1beta1, 'spec.template.spec.bootstrap.configRef', { kind: 'KubeadmConfigTemplate', name: 'capi-md-0' }), 'spec.template.spec.bootstrap.configRef', /bootstrap providers \(this refers to KubeadmConfigTemplate capi-md-0\).*dataSecretName/],
    ['v1beta1 remediation', withField(machineDeploymentV1beta1, 'spec.strategy.remediation', { maxInFlight: 1 }), 'spec.strategy.remediation', /remediation limits/],
    ['v1beta1 progressDeadlineSeconds', withField(machineDeploymentV1beta1, 'spec.progressDeadlineSeconds', 600), 'spec.progressDeadlineSeconds', /no rollout deadline/],
    ['v1beta1 node drain timeout', withField(machineDeploymentV1beta1, 'spec.template.spec.nodeDrainTimeout', '5m'), 'spec.template.spec.nodeDrainTimeout', /does not drain/],
    ['v1beta1 failure domain', withField(machineDeploymentV1beta1, 'spec.template.spec.failureDomain', 'us-east-1a'), 'spec.template.spec.failureDomain', /failure-domain placement/],
    ['v1beta2 drain seconds', withField(machineDeploymentV1beta2, 'spec.template.spec.deletion.nodeDrainTimeoutSeconds', 300), 'spec.template.spec.deletion.nodeDrainTimeoutSeconds', /does not drain/],
    ['v1beta2 machineNaming', withField(machineDeploymentV1beta2, 'spec.machineNaming', { template: '{{ .machineSet.name }}-{{ .random }}' }), 'spec.machineNaming', /names machines itself/],
    ['a v1beta1 field in v1beta2', withField(machineDeploymentV1beta2, 'spec.strategy', { type: 'RollingUpdate' }), 'spec.strategy', /conversion of cluster.x-k8s.io\/v1beta2 MachineDeployment/],
    ['a v1beta2 field in v1beta1', withField(machineDeploymentV1beta1, 'spec.rollout', { after: '2025-06-01T00:00:00Z' }), 'spec.rollout', /conversion of cluster.x-k8s.io\/v1beta1 MachineDeployment/],
    ['revisionHistoryLimit in v1beta2', withField(machineDeploymentV1beta2, 'spec.revisionHistoryLimit', 3), 'spec.revisionHistoryLimit', /not supported/],
    ['a bad delete order', withField(machineDeploymentV1beta2, 'spec.deletion.order', 'Largest'), 'spec.strategy.rollingUpdate.deletePolicy', /Random, Newest, Oldest/],
    ['a selector missing the template', withField(machineDeploymentV1beta1, 'spec.selector', { matchLabels: { other: 'x' } }), 'spec.selector', /does not match spec.template.metadata.labels/],
  ])('refuses %s', (_name, manifest, path, message) => {
    expectError(refused(manifest), path, message);
  });
});

describe('convertManifest dispatch', () => {
  it('passes slipway.dev/v1alpha1 objects through validation only', () => {
    const input = sampleObject('NodePool');
    const result = converted(input);
    expect(result.sourceApiVersion).toBe('slipway.dev/v1alpha1');
    expect(result.object.spec).toMatchObject(input.spec as object);
  });

  it('converted objects are stable: converting them again changes nothing', () => {
    for (const manifest of [hiveClusterDeployment, hostedCluster, nodePool, machineDeploymentV1beta1, machineDeploymentV1beta2]) {
      const { object } = converted(manifest);
      expect(converted(JSON.parse(JSON.stringify(object))).object).toEqual(object);
    }
  });

  it.each([
    [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }, '(root)', /apps\/v1 Deployment is not accepted; accepted: slipway.dev\/v1alpha1 ClusterDeployment.*cluster.x-k8s.io\/v1beta2 MachineDeployment/],
    [{ apiVersion: 'cluster.x-k8s.io/v1alpha3', kind: 'MachineDeployment' }, '(root)', /is not accepted/],
    [{ apiVersion: 'slipway.dev/v1alpha1', kind: 'Cluster' }, 'kind', /has no kind "Cluster"/],
    [{ kind: 'NodePool' }, 'apiVersion', /is required; accepted/],
    [['not', 'a', 'manifest'], '(root)', /expected a manifest object/],
    [{ apiVersion: 'hive.openshift.io/v1', kind: 'ClusterDeployment', metadata: { name: 'x' } }, 'spec', /is required/],
  ])('refuses %j', (manifest, path, message) => {
    expectError(refused(manifest), path, message);
  });
});
