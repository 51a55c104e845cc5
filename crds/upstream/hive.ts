/**
 * hive.openshift.io/v1 ClusterDeployment -> slipway.dev/v1alpha1 ClusterDeployment.
 * Hive keeps machine counts in an install-config Secret, which Slipway does not read;
 * the manifest may carry Slipway's spec.controlPlane and spec.compute instead.
 */
import { GROUP_VERSION } from '../schemas/common';
import type { JsonObject } from '../json';
import { convertMetadata } from './metadata';
import type { Intake, ObjectReader } from './reader';

export const HIVE_REGION_LABEL = 'hive.openshift.io/cluster-region';

const SUPPORTED = 'Slipway supports the aws, azure, gcp, vsphere and baremetal platforms';
const SECRET_CREDENTIALS = 'Slipway authenticates with the Secret named by credentialsSecretRef only';

function regionFromLabel(intake: Intake, object: ObjectReader, platformPath: string, platformKey: string): string | undefined {
  const metadata = object.value.metadata as { labels?: Record<string, unknown> } | undefined;
  const label = metadata?.labels?.[HIVE_REGION_LABEL];
  if (typeof label === 'string' && label !== '') return label;
  intake.error(
    `${platformPath}.${platformKey}`,
    `Slipway needs a region for every platform and Hive's ${platformKey} platform has none; add the label ${HIVE_REGION_LABEL}: <region> to metadata.labels (as Hive itself does), naming a region configured for Slipway's ${platformKey} provider`,
  );
  return undefined;
}

function convertPlatform(intake: Intake, object: ObjectReader, spec: ObjectReader): JsonObject | undefined {
  const platform = spec.child('platform', true);
  if (!platform) return undefined;
  const result: JsonObject = {};
  const aws = platform.child('aws');
  if (aws) {
    result.aws = { region: aws.take('region'), credentialsSecretRef: aws.takeNonEmpty('credentialsSecretRef') };
    aws.refuse('credentialsAssumeRole', `${SECRET_CREDENTIALS}; remove credentialsAssumeRole and give a Secret with credentials`);
    aws.refuse('userTags', 'Slipway tags cloud resources with its ownership tags only; user tags are not supported, remove userTags');
    aws.refuse('privateLink', 'AWS PrivateLink access to the API is not supported; remove privateLink');
    aws.finish();
  }
  const azure = platform.child('azure');
  if (azure) {
    result.azure = { region: azure.take('region'), credentialsSecretRef: azure.take('credentialsSecretRef') };
    azure.refuse('baseDomainResourceGroupName', 'Slipway finds the DNS zone of spec.baseDomain itself; remove baseDomainResourceGroupName');
    azure.allowOnly('cloudName', ['AzurePublicCloud'], 'only the Azure public cloud is supported');
    azure.finish();
  }
  const gcp = platform.child('gcp');
  if (gcp) {
    result.gcp = { region: gcp.take('region'), credentialsSecretRef: gcp.take('credentialsSecretRef') };
    gcp.refuse('privateServiceConnect', 'Private Service Connect is not supported; remove privateServiceConnect');
    gcp.refuse('discardLocalSsdOnHibernate', 'hibernation is not supported; remove discardLocalSsdOnHibernate');
    gcp.finish();
  }
  const vsphere = platform.child('vsphere');
  if (vsphere) {
    const region = vsphere.has('region') ? vsphere.take('region') : regionFromLabel(intake, object, platform.path, 'vsphere');
    result.vsphere = { region, credentialsSecretRef: vsphere.take('credentialsSecretRef') };
    const placement = "comes from Slipway's vSphere provider configuration, not from the ClusterDeployment; remove it";
    for (const key of ['vCenter', 'datacenter', 'defaultDatastore', 'folder', 'cluster', 'network', 'infrastructure']) vsphere.refuse(key, `vSphere placement ${placement}`);
    vsphere.refuse('certificatesSecretRef', `the vCenter CA ${placement}`);
    vsphere.finish();
  }
  const baremetal = platform.child('baremetal');
  if (baremetal) {
    const region = baremetal.has('region') ? baremetal.take('region') : regionFromLabel(intake, object, platform.path, 'baremetal');
    result.baremetal = { region, credentialsSecretRef: baremetal.take('credentialsSecretRef') };
    baremetal.refuse(
      'libvirtSSHPrivateKeySecretRef',
      "Slipway drives bare-metal hosts through their Redfish BMCs (configured for the provider), not libvirt over SSH; remove libvirtSSHPrivateKeySecretRef",
    );
    baremetal.finish();
  }
  const simulated = platform.child('simulated');
  if (simulated) {
    result.simulated = { region: simulated.take('region') };
    simulated.finish();
  }
  for (const key of ['openstack', 'agentBareMetal', 'ibmcloud', 'none', 'nutanix', 'ovirt']) {
    platform.refuse(key, `the ${key} platform is not supported; ${SUPPORTED}`);
  }
  platform.finish();
  return result;
}

function convertProvisioning(spec: ObjectReader): JsonObject | undefined {
  const provisioning = spec.child('provisioning');
  if (!provisioning) return undefined;
  const releaseImage = provisioning.take('releaseImage');
  provisioning.refuse(
    'installConfigSecretRef',
    'Slipway does not read install-config Secrets; remove it and give machine counts inline as spec.controlPlane {replicas} and spec.compute [{name, replicas}] (Slipway fields, accepted in this manifest)',
  );
  provisioning.refuse('imageSetRef', 'ClusterImageSets are not supported; set spec.provisioning.releaseImage to the release image the ClusterImageSet names');
  provisioning.refuse('installerImageOverride', 'Slipway does not run openshift-install; remove installerImageOverride');
  provisioning.refuse('installerEnv', 'Slipway does not run openshift-install; remove installerEnv');
  provisioning.refuse('manifestsConfigMapRef', 'extra install manifests are not supported; remove manifestsConfigMapRef');
  provisioning.refuse('manifestsSecretRef', 'extra install manifests are not supported; remove manifestsSecretRef');
  provisioning.refuse('customizationRef', 'install customizations are not supported; remove customizationRef');
  provisioning.refuse('sshPrivateKeySecretRef', 'Slipway does not log in to machines over SSH; remove sshPrivateKeySecretRef');
  provisioning.refuse('sshKnownHosts', 'Slipway does not log in to machines over SSH; remove sshKnownHosts');
  provisioning.finish();
  return releaseImage === undefined ? undefined : { releaseImage };
}

export function convertHiveClusterDeployment(intake: Intake, object: ObjectReader): JsonObject {
  const metadata = convertMetadata(intake, object);
  object.ignore('status', 'apiVersion', 'kind');
  const spec = object.child('spec', true);
  object.finish();
  if (!spec) return { apiVersion: GROUP_VERSION, kind: 'ClusterDeployment', metadata };
  const result: JsonObject = {
    clusterName: spec.take('clusterName'),
    baseDomain: spec.take('baseDomain'),
    platform: convertPlatform(intake, object, spec),
    provisioning: convertProvisioning(spec),
    controlPlane: spec.take('controlPlane'),
    compute: spec.take('compute'),
    installAttemptsLimit: spec.take('installAttemptsLimit'),
    pullSecretRef: spec.takeNonEmpty('pullSecretRef'),
    preserveOnDelete: spec.take('preserveOnDelete'),
  };
  spec.refuse('installed', 'Slipway provisions clusters; it cannot adopt one that is already installed (installed must be false)');
  spec.refuse('clusterMetadata', 'describes an already installed cluster, which Slipway cannot adopt; remove clusterMetadata (Slipway assigns the infra ID)');
  spec.refuse('manageDNS', "Slipway does not create DNS zones; it adds the cluster's records to the existing zone of spec.baseDomain; remove manageDNS");
  spec.refuse('controlPlaneConfig', 'API serving certificates and URL overrides are not supported; remove controlPlaneConfig');
  spec.refuse('ingress', 'ingress controller settings are not supported; remove ingress');
  spec.refuse('certificateBundles', 'certificate bundles are not supported; remove certificateBundles');
  spec.refuse('clusterPoolRef', 'cluster pools are not supported; remove clusterPoolRef');
  spec.refuse('clusterInstallRef', 'external install flows (agent, assisted installer) are not supported; remove clusterInstallRef');
  spec.allowOnly('powerState', ['Running'], 'hibernation is not supported; powerState may only be Running');
  spec.refuse('hibernateAfter', 'hibernation is not supported; remove hibernateAfter');
  spec.refuse('boundServiceAccountSigningKeySecretRef', 'bound service account signing keys are not supported; remove boundServiceAccountSigningKeySecretRef');
  spec.finish();
  return { apiVersion: GROUP_VERSION, kind: 'ClusterDeployment', metadata, spec: result };
}
