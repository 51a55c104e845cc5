/**
 * Microsoft.Compute/virtualMachines as the Azure Compute REST reference describes it
 * ("Virtual Machines - Create Or Update / Get / Delete / List / List All"): a create runs
 * through provisioningState Creating to Succeeded (or Failed), an update through Updating;
 * the VM keeps its vmId across updates; `$expand=instanceView` adds the ProvisioningState/* and
 * PowerState/* statuses. Secrets (adminPassword, customData) are never read back.
 */
import { randomUUID } from 'node:crypto';
import { armError, isRecord, stringField, type ArmFailure } from './arm-http';
import { baseView, type EmulatorBehaviour, type PutContext, type ResourceKind } from './kinds';
import { checkBackendPool, checkSecurityGroup, checkSubnet, child, records, vmNetworkReferences, VM_TYPE } from './references';
import type { OperationOutcome, TrackedResource } from './state';

const invalidParameter = (target: string, message: string): ArmFailure => armError(400, 'InvalidParameter', message, target);

function vmSizeOf(properties: Record<string, unknown>): string | undefined {
  return stringField(child(properties, 'hardwareProfile', 'vmSize'));
}

function checkCreateShape(properties: Record<string, unknown>): ArmFailure | undefined {
  const createOption = stringField(child(properties, 'storageProfile', 'osDisk', 'createOption')) ?? 'FromImage';
  if (createOption.toLowerCase() === 'fromimage') {
    if (!isRecord(child(properties, 'storageProfile', 'imageReference'))) {
      return invalidParameter('imageReference', "Required parameter 'imageReference' is missing (null): a VM created from an image needs storageProfile.imageReference.");
    }
    for (const field of ['computerName', 'adminUsername'] as const) {
      const value = stringField(child(properties, 'osProfile', field));
      if (value === undefined || value.trim() === '') return invalidParameter(field, `Required parameter 'osProfile.${field}' is missing (null).`);
    }
    const linux = child(properties, 'osProfile', 'linuxConfiguration');
    const keys = records(child(linux, 'ssh', 'publicKeys'));
    const password = stringField(child(properties, 'osProfile', 'adminPassword'));
    if (child(linux, 'disablePasswordAuthentication') === true && keys.length === 0) {
      return invalidParameter('linuxConfiguration.ssh.publicKeys', 'Password authentication is disabled, so at least one SSH public key is required in linuxConfiguration.ssh.publicKeys.');
    }
    if (child(linux, 'disablePasswordAuthentication') !== true && (password === undefined || password === '') && keys.length === 0) {
      return invalidParameter('adminPassword', 'Either an SSH public key or an admin password must be given for a Linux VM.');
    }
  }
  const interfaces = records(child(properties, 'networkProfile', 'networkInterfaces'));
  const configurations = records(child(properties, 'networkProfile', 'networkInterfaceConfigurations'));
  if (interfaces.length === 0 && configurations.length === 0) {
    return invalidParameter('networkProfile', 'A VM needs at least one network interface: give networkProfile.networkInterfaces or networkProfile.networkInterfaceConfigurations.');
  }
  if (configurations.length > 0 && stringField(child(properties, 'networkProfile', 'networkApiVersion')) === undefined) {
    return invalidParameter('networkProfile.networkApiVersion', 'networkProfile.networkApiVersion is required when networkInterfaceConfigurations are given.');
  }
  return undefined;
}

function checkReferences(properties: Record<string, unknown>, context: PutContext): ArmFailure | undefined {
  const references = vmNetworkReferences(properties);
  for (const subnet of references.subnets) {
    const failure = checkSubnet(context.state, subnet, context.id);
    if (failure) return failure;
  }
  for (const group of references.securityGroups) {
    const failure = checkSecurityGroup(context.state, group, context.id);
    if (failure) return failure;
  }
  for (const pool of references.backendPools) {
    const failure = checkBackendPool(context.state, pool, context.id);
    if (failure) return failure;
  }
  return undefined;
}

function checkCapacity(vmSize: string, context: PutContext): ArmFailure | undefined {
  const { behaviour, state } = context;
  if (behaviour.unavailableSizes.some((size) => size.toLowerCase() === vmSize.toLowerCase())) {
    return armError(409, 'SkuNotAvailable', `The requested VM size ${vmSize} is currently not available in location '${context.location}' for subscription '${state.subscriptionId}'. Try another size or location.`);
  }
  if (context.existing) return undefined;
  const count = [...state.resources.values()].filter((resource) => resource.type === VM_TYPE).length;
  if (count >= behaviour.vmQuota) {
    return armError(409, 'OperationNotAllowed', `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: ${context.location}, current limit: ${behaviour.vmQuota} VMs. Request a quota increase.`);
  }
  return undefined;
}

function statusesOf(resource: TrackedResource): Record<string, unknown>[] {
  const provisioning = String(resource.properties.provisioningState ?? 'Succeeded');
  const power: Record<string, string> = { Creating: 'starting', Updating: 'running', Succeeded: 'running', Failed: 'stopped', Deleting: 'stopping' };
  const time = resource.changedTime;
  return [
    { code: `ProvisioningState/${provisioning.toLowerCase()}`, level: provisioning === 'Failed' ? 'Error' : 'Info', displayStatus: `Provisioning ${provisioning.toLowerCase()}`, time },
    { code: `PowerState/${power[provisioning] ?? 'unknown'}`, level: 'Info', displayStatus: `VM ${power[provisioning] ?? 'unknown'}` },
  ];
}

function withoutSecrets(properties: Record<string, unknown>): Record<string, unknown> {
  const osProfile = properties.osProfile;
  if (!isRecord(osProfile)) return properties;
  const { adminPassword: _password, customData: _customData, ...rest } = osProfile;
  return { ...properties, osProfile: rest };
}

export const virtualMachineKind: ResourceKind = {
  type: VM_TYPE,
  namespace: 'Microsoft.Compute',
  nameRule: { pattern: /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$/, description: 'up to 64 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore' },
  creatingState: 'Creating',
  updatingState: 'Updating',

  accept(properties, context) {
    const vmSize = vmSizeOf(properties);
    if (vmSize === undefined || vmSize.trim() === '') return invalidParameter('hardwareProfile.vmSize', "Required parameter 'hardwareProfile.vmSize' is missing (null).");
    const failure = (context.existing ? undefined : checkCreateShape(properties)) ?? checkReferences(properties, context) ?? checkCapacity(vmSize, context);
    if (failure) return failure;
    const previous = context.existing?.properties;
    return {
      ...(previous ?? {}),
      ...properties,
      vmId: previous?.vmId ?? randomUUID(),
      timeCreated: previous?.timeCreated ?? new Date().toISOString(),
    };
  },

  complete(resource: TrackedResource, behaviour: EmulatorBehaviour): OperationOutcome {
    const vmSize = vmSizeOf(resource.properties) ?? '';
    if (behaviour.allocationFailureSizes.some((size) => size.toLowerCase() === vmSize.toLowerCase())) {
      return { failure: { code: 'AllocationFailed', message: `Allocation failed. There is not enough capacity for the requested VM size ${vmSize} in this region. Try another size or region.` } };
    }
    return {};
  },

  view(resource, expand) {
    const properties = withoutSecrets(resource.properties);
    const instanceView = expand?.toLowerCase() === 'instanceview' ? { instanceView: { computerName: stringField(child(properties, 'osProfile', 'computerName')), statuses: statusesOf(resource) } } : {};
    return baseView(resource, { ...properties, ...instanceView });
  },
};
