/**
 * hypershift.openshift.io/v1beta1 HostedCluster and NodePool -> slipway.dev/v1alpha1.
 * Field names are kept; what Slipway cannot do (cloud IAM roles, pre-made networks, node
 * tuning) is refused by path. Slipway authenticates with a credentials Secret, so the
 * platform blocks may carry Slipway's credentialsSecretRef.
 */
import { GROUP_VERSION } from '../schemas/common';
import { HOSTED_PLATFORM_TYPES, type HostedPlatformType } from '../schemas/hosted-cluster';
import type { JsonObject } from '../json';
import { convertMetadata } from './metadata';
import type { Intake, ObjectReader } from './reader';

const UNSUPPORTED_TYPES = ['None', 'Agent', 'KubeVirt', 'IBMCloud', 'PowerVS', 'OpenStack'];
const OTHER_PLATFORM_BLOCKS = ['agent', 'kubevirt', 'ibmcloud', 'powervs', 'openstack'];
const SUPPORTED = `Slipway supports platform types ${HOSTED_PLATFORM_TYPES.join(', ')}`;
const NETWORK_OWNED = 'Slipway creates the network for the cluster itself and places machines in it';
const CREDENTIALS = 'Slipway authenticates with the Secret named by credentialsSecretRef (a Slipway field accepted here)';

function readPlatformType(intake: Intake, platform: ObjectReader): HostedPlatformType | undefined {
  const type = platform.take('type');
  if (typeof type === 'string' && (HOSTED_PLATFORM_TYPES as readonly string[]).includes(type)) return type as HostedPlatformType;
  const path = platform.pathOf('type');
  if (type === undefined) intake.error(path, `is required; ${SUPPORTED}`);
  else if (typeof type === 'string' && UNSUPPORTED_TYPES.includes(type)) intake.error(path, `platform type ${type} is not supported; ${SUPPORTED}`);
  else intake.error(path, `unknown platform type ${JSON.stringify(type)}; ${SUPPORTED}`);
  return undefined;
}

function convertHostedPlatform(intake: Intake, spec: ObjectReader): JsonObject | undefined {
  const platform = spec.child('platform', true);
  if (!platform) return undefined;
  const result: JsonObject = { type: readPlatformType(intake, platform) };

  const aws = platform.child('aws');
  if (aws) {
    result.aws = { region: aws.take('region'), credentialsSecretRef: aws.takeNonEmpty('credentialsSecretRef') };
    aws.refuse('rolesRef', `${CREDENTIALS}, not IAM roles; remove rolesRef and set spec.platform.aws.credentialsSecretRef`);
    aws.refuse('cloudProviderConfig', `${NETWORK_OWNED}; remove cloudProviderConfig`);
    aws.refuse('sharedVPC', `${NETWORK_OWNED}; remove sharedVPC`);
    aws.refuse('serviceEndpoints', 'custom AWS service endpoints are not supported; remove serviceEndpoints');
    aws.refuse('resourceTags', 'Slipway tags cloud resources with its ownership tags only; remove resourceTags');
    aws.allowOnly('endpointAccess', ['Public'], 'only a public API endpoint is supported; endpointAccess may only be Public');
    aws.refuse('additionalAllowedPrincipals', 'PrivateLink endpoint services are not supported; remove additionalAllowedPrincipals');
    aws.refuse('multiArch', 'multi-architecture NodePools are not supported; remove multiArch');
    aws.refuse('terminationHandlerQueueURL', 'spot termination handling is not supported; remove terminationHandlerQueueURL');
    aws.finish();
  }
  const azure = platform.child('azure');
  if (azure) {
    result.azure = { location: azure.take('location'), credentialsSecretRef: azure.take('credentialsSecretRef') };
    azure.allowOnly('cloud', ['AzurePublicCloud'], 'only the Azure public cloud is supported');
    for (const key of ['resourceGroup', 'vnetID', 'subnetID', 'securityGroupID']) azure.refuse(key, `${NETWORK_OWNED}; remove ${key}`);
    for (const key of ['subscriptionID', 'tenantID', 'azureAuthenticationConfig']) azure.refuse(key, `${CREDENTIALS}; remove ${key}`);
    azure.refuse('topology', 'private Azure topologies are not supported; remove topology');
    azure.refuse('private', 'private Azure topologies are not supported; remove private');
    azure.refuse('containerRegistry', 'a custom container registry is not supported; remove containerRegistry');
    azure.finish();
  }
  const gcp = platform.child('gcp');
  if (gcp) {
    result.gcp = { project: gcp.take('project'), region: gcp.take('region'), credentialsSecretRef: gcp.take('credentialsSecretRef') };
    gcp.refuse('networkConfig', `${NETWORK_OWNED}; remove networkConfig`);
    gcp.allowOnly('endpointAccess', ['PublicAndPrivate'], 'only a public API endpoint is supported');
    gcp.refuse('resourceLabels', 'Slipway labels cloud resources with its ownership labels only; remove resourceLabels');
    gcp.refuse('workloadIdentity', `${CREDENTIALS}; remove workloadIdentity`);
    gcp.finish();
  }
  for (const key of ['vsphere', 'baremetal']) {
    const block = platform.child(key);
    if (block) {
      result[key] = { region: block.take('region'), credentialsSecretRef: block.take('credentialsSecretRef') };
      block.finish();
    }
  }
  const simulated = platform.child('simulated');
  if (simulated) {
    result.simulated = { region: simulated.take('region') };
    simulated.finish();
  }
  for (const key of OTHER_PLATFORM_BLOCKS) platform.refuse(key, `the ${key} platform is not supported; ${SUPPORTED}`);
  platform.finish();
  return result;
}

function convertEtcd(intake: Intake, spec: ObjectReader): JsonObject | undefined {
  const etcd = spec.child('etcd');
  if (!etcd) return undefined;
  const managementType = etcd.take('managementType');
  if (managementType === 'Unmanaged') {
    intake.error(etcd.pathOf('managementType'), 'Unmanaged (bring your own etcd) is not supported; Slipway runs etcd for hosted control planes: use Managed');
  }
  etcd.refuse('unmanaged', 'bring-your-own etcd is not supported; remove unmanaged');
  const managed = etcd.child('managed');
  let managedResult: JsonObject | undefined;
  if (managed) {
    const storage = managed.child('storage');
    if (storage) {
      managedResult = { storage: { type: storage.take('type'), persistentVolume: storage.take('persistentVolume') } };
      storage.refuse('restoreSnapshotURL', 'restoring etcd from a snapshot is not supported; remove restoreSnapshotURL');
      storage.finish();
    }
    managed.refuse('backup', 'etcd backups are not supported yet; remove backup');
    managed.refuse('scheduling', 'etcd scheduling settings are not supported; remove scheduling');
    managed.refuse('shards', 'sharded etcd is not supported; remove shards');
    managed.finish();
  }
  etcd.finish();
  return { managementType: managementType === 'Unmanaged' ? undefined : managementType, managed: managedResult };
}

export function convertHostedCluster(intake: Intake, object: ObjectReader): JsonObject {
  const metadata = convertMetadata(intake, object);
  object.ignore('status', 'apiVersion', 'kind');
  const spec = object.child('spec', true);
  object.finish();
  if (!spec) return { apiVersion: GROUP_VERSION, kind: 'HostedCluster', metadata };
  const dns = spec.child('dns');
  const networking = spec.child('networking');
  const result: JsonObject = {
    release: spec.take('release'),
    clusterID: spec.take('clusterID'),
    infraID: spec.take('infraID'),
    platform: convertHostedPlatform(intake, spec),
    controllerAvailabilityPolicy: spec.take('controllerAvailabilityPolicy'),
    infrastructureAvailabilityPolicy: spec.take('infrastructureAvailabilityPolicy'),
    dns: dns ? { baseDomain: dns.take('baseDomain'), baseDomainPrefix: dns.take('baseDomainPrefix') } : undefined,
    networking: networking
      ? {
          clusterNetwork: networking.take('clusterNetwork'),
          serviceNetwork: networking.take('serviceNetwork'),
          machineNetwork: networking.take('machineNetwork'),
          networkType: networking.take('networkType'),
        }
      : undefined,
    etcd: convertEtcd(intake, spec),
    services: spec.take('services'),
    pullSecret: spec.takeNonEmpty('pullSecret'),
    sshKey: spec.takeNonEmpty('sshKey'),
    pausedUntil: spec.take('pausedUntil'),
  };
  if (dns) {
    dns.refuse('publicZoneID', 'Slipway finds the DNS zone of dns.baseDomain itself; remove publicZoneID');
    dns.refuse('privateZoneID', 'private DNS zones are not supported; remove privateZoneID');
    dns.finish();
  }
  if (networking) {
    networking.refuse('apiServer', 'API server address, port and allowed CIDRs are chosen by Slipway; remove apiServer');
    networking.refuse('allocateNodeCIDRs', 'node CIDR allocation settings are not supported; remove allocateNodeCIDRs');
    networking.finish();
  }
  spec.refuse('controlPlaneRelease', 'a separate control-plane release is not supported; the control plane runs spec.release.image');
  spec.refuse('updateService', 'Slipway does not consult an update service; remove updateService');
  spec.refuse('channel', 'Slipway does not follow update channels; set spec.release.image to upgrade');
  spec.refuse('kubeAPIServerDNSName', 'a custom API server DNS name is not supported; remove kubeAPIServerDNSName');
  spec.refuse('autoscaling', 'cluster autoscaler settings are not supported; remove autoscaling');
  spec.refuse('autoNode', 'automatic node provisioning (Karpenter) is not supported; remove autoNode');
  spec.allowOnly('issuerURL', ['https://kubernetes.default.svc'], 'a custom service-account issuer is not supported; remove issuerURL');
  spec.refuse('serviceAccountSigningKey', 'custom service-account signing keys are not supported; remove serviceAccountSigningKey');
  spec.refuse('configuration', 'cluster configuration overrides (API server, OAuth, proxy...) are not supported; remove configuration');
  spec.refuse('operatorConfiguration', 'operator configuration overrides are not supported; remove operatorConfiguration');
  spec.refuse('auditWebhook', 'audit webhooks are not supported; remove auditWebhook');
  spec.refuse('imageContentSources', 'image mirroring is not supported; remove imageContentSources');
  spec.refuse('additionalTrustBundle', 'additional trust bundles are not supported; remove additionalTrustBundle');
  spec.refuse('secretEncryption', 'secret encryption settings are not supported; remove secretEncryption');
  spec.refuse('fips', 'FIPS mode is not supported; remove fips or set it to false');
  spec.allowOnly('olmCatalogPlacement', ['management'], 'OLM catalogs can only be placed on the management side');
  const placement = 'places control-plane pods on a management cluster; Slipway hosts control planes itself';
  spec.refuse('nodeSelector', `${placement}; remove nodeSelector`);
  spec.refuse('tolerations', `${placement}; remove tolerations`);
  spec.refuse('labels', `${placement}; remove labels`);
  spec.refuse('capabilities', 'optional capability selection is not supported; remove capabilities');
  spec.refuse('monitoring', 'monitoring settings are not supported; remove monitoring');
  spec.finish();
  return { apiVersion: GROUP_VERSION, kind: 'HostedCluster', metadata, spec: result };
}

function convertNodePoolPlatform(intake: Intake, spec: ObjectReader): JsonObject | undefined {
  const platform = spec.child('platform', true);
  if (!platform) return undefined;
  const result: JsonObject = { type: readPlatformType(intake, platform) };

  const aws = platform.child('aws');
  if (aws) {
    const rootVolume = aws.child('rootVolume');
    result.aws = {
      instanceType: aws.take('instanceType'),
      ami: aws.take('ami'),
      rootVolume: rootVolume ? { size: rootVolume.take('size'), type: rootVolume.take('type') } : undefined,
    };
    if (rootVolume) {
      rootVolume.refuse('iops', 'provisioned IOPS are not supported; remove iops');
      rootVolume.refuse('encrypted', 'volume encryption settings are not supported; remove encrypted');
      rootVolume.refuse('encryptionKey', 'volume encryption settings are not supported; remove encryptionKey');
      rootVolume.finish();
    }
    aws.refuse('subnet', `${NETWORK_OWNED}; remove subnet`);
    aws.refuse('securityGroups', `${NETWORK_OWNED} with its own security group; remove securityGroups`);
    aws.refuse('instanceProfile', `${CREDENTIALS}; remove instanceProfile`);
    aws.allowOnly('imageType', ['Linux'], 'only Linux machines are supported');
    aws.refuse('resourceTags', 'Slipway tags machines with its ownership tags only; remove resourceTags');
    aws.refuse('placement', 'placement options (tenancy, capacity reservations) are not supported; remove placement');
    aws.finish();
  }
  const azure = platform.child('azure');
  if (azure) {
    const image = azure.child('image');
    const osDisk = azure.child('osDisk');
    result.azure = {
      vmSize: azure.take('vmSize'),
      image: image ? { type: image.take('type'), imageID: image.take('imageID') } : undefined,
      osDisk: osDisk ? { sizeGiB: osDisk.take('sizeGiB') } : undefined,
    };
    if (image) {
      image.refuse('azureMarketplace', 'marketplace images are not supported; use image.type ImageID with image.imageID');
      image.finish();
    }
    if (osDisk) {
      for (const key of ['diskStorageAccountType', 'encryptionSetID', 'persistence']) osDisk.refuse(key, `OS disk ${key} is not supported; remove it`);
      osDisk.finish();
    }
    azure.refuse('subnetID', `${NETWORK_OWNED}; remove subnetID`);
    azure.refuse('availabilityZone', 'availability zone placement is not supported; remove availabilityZone');
    azure.refuse('encryptionAtHost', 'encryption at host is not supported; remove encryptionAtHost');
    azure.refuse('diagnostics', 'boot diagnostics are not supported; remove diagnostics');
    azure.finish();
  }
  const gcp = platform.child('gcp');
  if (gcp) {
    result.gcp = { machineType: gcp.take('machineType'), image: gcp.take('image') };
    gcp.refuse('zone', 'zone placement is not supported; remove zone');
    gcp.refuse('subnet', `${NETWORK_OWNED}; remove subnet`);
    gcp.refuse('bootDisk', 'boot disk settings are not supported; remove bootDisk');
    gcp.refuse('serviceAccount', `${CREDENTIALS}; remove serviceAccount`);
    gcp.refuse('resourceLabels', 'Slipway labels machines with its ownership labels only; remove resourceLabels');
    gcp.refuse('networkTags', `${NETWORK_OWNED}; remove networkTags`);
    gcp.refuse('provisioningModel', 'spot/preemptible machines are not supported; remove provisioningModel');
    gcp.refuse('onHostMaintenance', 'host maintenance policies are not supported; remove onHostMaintenance');
    gcp.finish();
  }
  for (const key of ['simulated', 'vsphere', 'baremetal']) {
    const block = platform.child(key);
    if (block) {
      result[key] = { instanceType: block.take('instanceType'), image: block.take('image') };
      block.finish();
    }
  }
  for (const key of OTHER_PLATFORM_BLOCKS) platform.refuse(key, `the ${key} platform is not supported; ${SUPPORTED}`);
  platform.finish();
  return result;
}

function convertManagement(_intake: Intake, spec: ObjectReader): JsonObject | undefined {
  const management = spec.child('management');
  if (!management) return undefined;
  // InPlace is accepted as HyperShift spells it; validation then allows it on the Simulated platform only.
  const upgradeType = management.take('upgradeType');
  const replace = management.child('replace');
  const result: JsonObject = {
    upgradeType,
    replace: replace ? { strategy: replace.take('strategy'), rollingUpdate: replace.take('rollingUpdate') } : undefined,
    inPlace: management.take('inPlace'),
    autoRepair: management.take('autoRepair'),
  };
  replace?.finish();
  management.finish();
  return result;
}

export function convertNodePool(intake: Intake, object: ObjectReader): JsonObject {
  const metadata = convertMetadata(intake, object);
  object.ignore('status', 'apiVersion', 'kind');
  const spec = object.child('spec', true);
  object.finish();
  if (!spec) return { apiVersion: GROUP_VERSION, kind: 'NodePool', metadata };
  const result: JsonObject = {
    clusterName: spec.take('clusterName'),
    release: spec.take('release'),
    platform: convertNodePoolPlatform(intake, spec),
    replicas: spec.take('replicas'),
    autoScaling: spec.take('autoScaling'),
    management: convertManagement(intake, spec),
    arch: spec.take('arch'),
    pausedUntil: spec.take('pausedUntil'),
  };
  const nodes = 'Slipway manages machines, not Kubernetes Nodes';
  spec.allowOnly('nodeDrainTimeout', ['0s'], `${nodes}, so it cannot drain them; remove nodeDrainTimeout`);
  spec.allowOnly('nodeVolumeDetachTimeout', ['0s'], `${nodes}, so it does not wait for volume detach; remove nodeVolumeDetachTimeout`);
  spec.refuse('nodeLabels', `${nodes}, so it cannot label them; remove nodeLabels`);
  spec.refuse('taints', `${nodes}, so it cannot taint them; remove taints`);
  spec.refuse('config', 'machine configuration (MachineConfig) is not supported; remove config');
  spec.refuse('tuningConfig', 'node tuning is not supported; remove tuningConfig');
  spec.refuse('osImageStream', 'OS image streams are not supported; set the image in the platform block instead');
  spec.finish();
  return { apiVersion: GROUP_VERSION, kind: 'NodePool', metadata, spec: result };
}

