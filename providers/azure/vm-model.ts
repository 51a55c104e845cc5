/**
 * A Slipway machine as an Azure VM and back, with no calls: the create body (tags encoded with
 * TAG_ENCODINGS.azure, NIC and OS disk deleted with the VM), what is refused before any call,
 * and the machine phase a VM's provisioningState and PowerState amount to.
 */
import type { VirtualMachine } from '@azure/arm-compute';
import { invalidField } from '../http-errors';
import { TAG_ENCODINGS } from '../tag-encoding';
import type { CloudMachine, MachineCreateRequest, MachinePhase } from '../types';
import { apiBackendPoolId, groupId, providerIdOf, resourceGroupName, securityGroupId, subnetId } from './names';

const CLOUD = 'azure';
const ADMIN_USER = 'core';

/** A Linux VM's name doubles as its computer name, so both rules apply (1-64 characters). */
const VM_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/;
/** Azure VM sizes have no spaces; anything else is left for Azure to judge. */
const VM_SIZE = /^\S+$/;

/** Refuses before any call what Azure would refuse, naming the field to fix; gives the encoded tags. */
export function checkedCreate(request: MachineCreateRequest): Record<string, string> {
  const operation = 'create machine';
  if (!VM_NAME.test(request.name)) throw invalidField(CLOUD, operation, 'name', `"${request.name}" is not a legal Azure Linux VM name (1-64 letters, digits, '.' and '-', starting and ending with a letter or digit)`);
  if (request.instanceType.trim() === '' || !VM_SIZE.test(request.instanceType)) throw invalidField(CLOUD, operation, 'instanceType', 'must name an Azure VM size such as Standard_D4s_v5');
  if (request.image.trim() === '') throw invalidField(CLOUD, operation, 'image', "must name an image: a resource ID, a Marketplace URN publisher:offer:sku:version, or an image in the cluster's resource group");
  if (request.infraId.trim() === '') throw invalidField(CLOUD, operation, 'infraId', 'must name the cluster whose resource group holds the machine');
  try {
    return TAG_ENCODINGS.azure.encode(request.tags);
  } catch (error) {
    throw invalidField(CLOUD, operation, 'tags', `cannot be written as Azure tags: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The image as Azure names it: a resource ID as is, a Marketplace URN (publisher:offer:sku:version)
 * split up, and a bare name as a managed image in the cluster's resource group (where the
 * OpenShift installer puts the RHCOS image).
 */
export function imageReferenceOf(image: string, subscriptionId: string, infraId: string): NonNullable<VirtualMachine['storageProfile']>['imageReference'] {
  if (image.startsWith('/')) return { id: image };
  const urn = image.split(':');
  if (urn.length === 4 && urn.every((part) => part !== '')) {
    const [publisher, offer, sku, version] = urn;
    return { publisher, offer, sku, version };
  }
  return { id: `${groupId(subscriptionId, resourceGroupName(infraId))}/providers/Microsoft.Compute/images/${image}` };
}

export interface VmBodyInput {
  readonly request: MachineCreateRequest;
  readonly encodedTags: Record<string, string>;
  readonly subscriptionId: string;
  readonly location: string;
  readonly sshPublicKey: string;
}

export function virtualMachineBody({ request, encodedTags, subscriptionId, location, sshPublicKey }: VmBodyInput): VirtualMachine {
  return {
    location,
    tags: encodedTags,
    hardwareProfile: { vmSize: request.instanceType },
    storageProfile: {
      imageReference: imageReferenceOf(request.image, subscriptionId, request.infraId),
      osDisk: { name: `${request.name}-os`, createOption: 'FromImage', deleteOption: 'Delete', managedDisk: { storageAccountType: 'Premium_LRS' } },
    },
    osProfile: {
      computerName: request.name,
      adminUsername: ADMIN_USER,
      linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: `/home/${ADMIN_USER}/.ssh/authorized_keys`, keyData: sshPublicKey }] } },
    },
    networkProfile: {
      // Lets Compute create the NIC with the VM (and delete it with the VM) in one request.
      networkApiVersion: '2020-11-01',
      networkInterfaceConfigurations: [
        {
          name: `${request.name}-nic`,
          primary: true,
          deleteOption: 'Delete',
          networkSecurityGroup: { id: securityGroupId(subscriptionId, request.infraId) },
          ipConfigurations: [
            {
              name: 'ipconfig1',
              primary: true,
              subnet: { id: subnetId(subscriptionId, request.infraId, request.role) },
              // The control plane serves the API load balancer; its NIC (and so its membership) goes with the VM.
              ...(request.role === 'control-plane' ? { loadBalancerBackendAddressPools: [{ id: apiBackendPoolId(subscriptionId, request.infraId) }] } : {}),
            },
          ],
        },
      ],
    },
  };
}

const POWER_PHASE: Readonly<Record<string, MachinePhase>> = {
  starting: 'pending',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopping',
  deallocating: 'stopping',
  deallocated: 'stopping',
};

/** The PowerState/* status of an instance view, lowercased; undefined without one. */
function powerStateOf(vm: VirtualMachine): string | undefined {
  const status = vm.instanceView?.statuses?.find((candidate) => candidate.code?.toLowerCase().startsWith('powerstate/'));
  return status?.code?.slice('powerstate/'.length).toLowerCase();
}

/**
 * Creating is pending; Deleting is stopping (the VM goes away when the delete finishes); Failed
 * or Canceled is failed. Otherwise the power state decides when the instance view was read;
 * without one, a provisioned VM counts as running.
 */
export function phaseOf(vm: VirtualMachine): MachinePhase {
  const provisioning = (vm.provisioningState ?? 'Succeeded').toLowerCase();
  if (provisioning === 'creating') return 'pending';
  if (provisioning === 'deleting') return 'stopping';
  if (provisioning === 'failed' || provisioning === 'canceled') return 'failed';
  const power = powerStateOf(vm);
  return power === undefined ? 'running' : (POWER_PHASE[power] ?? 'pending');
}

export function machineOf(vm: VirtualMachine): CloudMachine {
  const created = vm.timeCreated;
  return {
    providerId: providerIdOf(vm.id ?? ''),
    name: vm.name ?? '',
    phase: phaseOf(vm),
    tags: TAG_ENCODINGS.azure.decode(vm.tags ?? {}),
    ...(created instanceof Date && !Number.isNaN(created.getTime()) ? { createdAt: created.toISOString() } : {}),
  };
}
