/**
 * Machines as VMs in their cluster's resource group.
 *
 * create: a GET by name in the cluster's group first, so a create whose answer was lost (or a
 * worker that crashed after it) finds the VM instead of making another; else a PUT, returned
 * as soon as Azure accepted it (provisioningState Creating), without waiting for the
 * operation. A PUT into a group or network that does not exist yet is a retryable wait: the
 * machine is never placed anywhere but its cluster's own network.
 * describe by name: ARM's Resources - List filtered on the name finds the VM's group, then a
 * GET with the instance view gives its state.
 * list: Virtual Machines - List All, page by page; ARM's VM list has no tag filter, so each page
 * is filtered here on the decoded tags.
 * delete: starts the delete and returns; a VM (or group) that is gone already is success.
 */
import type { VirtualMachine } from '@azure/arm-compute';
import { infrastructureNotReady } from '../http-errors';
import { nextLinkOf, pageGuard } from '../paging';
import { TAG, matchesTagQuery } from '../tags';
import { ProviderError, type CloudMachine, type CloudResource, type MachineCreateRequest, type TagQuery } from '../types';
import type { AzureClients } from './clients';
import { armErrorCode, classifyAzureError, isNotFound } from './errors';
import { odataString, parseResourceId, resourceGroupName, vmAddressOf, VM_TYPE } from './names';
import { listedBy } from './listing';
import { checkedCreate, machineOf, virtualMachineBody } from './vm-model';

export interface MachineContext {
  readonly clients: AzureClients;
  readonly subscriptionId: string;
  readonly location: string;
  readonly timeoutMs: number;
  readonly sshPublicKey: () => Promise<string>;
}

async function attempt<T>(context: MachineContext, operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAzureError(operation, error, context.timeoutMs);
  }
}

async function getVm(context: MachineContext, group: string, name: string, operation: string): Promise<VirtualMachine | undefined> {
  try {
    return await attempt(context, operation, () => context.clients.compute.virtualMachines.get(group, name, { expand: 'instanceView' }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Codes that mean the cluster's group or network is not there (yet). */
const MISSING_CLUSTER_NETWORK = new Set(['ResourceGroupNotFound', 'InvalidResourceReference']);

async function submitCreate(context: MachineContext, request: MachineCreateRequest, body: VirtualMachine): Promise<VirtualMachine | undefined> {
  let accepted: VirtualMachine | undefined;
  const poller = context.clients.compute.virtualMachines.createOrUpdate(resourceGroupName(request.infraId), request.name, body, {
    onResponse: (response) => {
      const parsed: unknown = response.parsedBody;
      if (typeof parsed === 'object' && parsed !== null && 'id' in parsed) accepted = parsed as VirtualMachine;
    },
  });
  await poller.submitted();
  return accepted;
}

export async function createMachine(context: MachineContext, request: MachineCreateRequest): Promise<CloudMachine> {
  const encodedTags = checkedCreate(request);
  const group = resourceGroupName(request.infraId);
  const found = await getVm(context, group, request.name, 'create machine (lookup)');
  if (found) {
    if (found.provisioningState?.toLowerCase() === 'deleting') {
      throw new ProviderError('retryable', `azure create machine: VM ${request.name} is still being deleted; it is created again once it is gone (the call is retried)`, { operation: 'create machine' });
    }
    return machineOf(found);
  }
  const body = virtualMachineBody({ request, encodedTags, subscriptionId: context.subscriptionId, location: context.location, sshPublicKey: await context.sshPublicKey() });
  let accepted: VirtualMachine | undefined;
  try {
    accepted = await submitCreate(context, request, body);
  } catch (error) {
    if (!MISSING_CLUSTER_NETWORK.has(armErrorCode(error) ?? '')) throw classifyAzureError('create machine', error, context.timeoutMs);
    throw infrastructureNotReady('azure', 'create machine', request.infraId, `the resource group ${group} with its virtual network, security group and (for the control plane) API load balancer`);
  }
  const vmId = accepted?.id ?? `/subscriptions/${context.subscriptionId}/resourceGroups/${group}/providers/${VM_TYPE}/${request.name}`;
  return machineOf({ ...body, ...accepted, id: vmId, name: accepted?.name ?? request.name, provisioningState: accepted?.provisioningState ?? 'Creating' });
}

export async function describeMachine(context: MachineContext, name: string): Promise<CloudMachine | undefined> {
  const pages = context.clients.resources.resources.list({ filter: `name eq ${odataString(name)}` }).byPage();
  const guard = pageGuard('azure', 'describe machine');
  for (let index = 0; ; index += 1) {
    const page = await attempt(context, 'describe machine', () => pages.next());
    if (page.done) return undefined;
    guard.next(nextLinkOf(page.value, index));
    for (const item of page.value) {
      const address = item.type?.toLowerCase() === VM_TYPE.toLowerCase() && item.id ? parseResourceId(item.id, VM_TYPE) : undefined;
      if (!address || address.name.toLowerCase() !== name.toLowerCase()) continue;
      const vm = await getVm(context, address.resourceGroup, address.name, 'describe machine');
      if (vm) return machineOf(vm);
    }
  }
}

async function* listVms(context: MachineContext, operation: string): AsyncGenerator<VirtualMachine> {
  const pages = context.clients.compute.virtualMachines.listAll().byPage();
  const guard = pageGuard('azure', operation);
  for (let index = 0; ; index += 1) {
    const page = await attempt(context, operation, () => pages.next());
    if (page.done) return;
    guard.next(nextLinkOf(page.value, index));
    yield* page.value;
  }
}

export async function* listMachines(context: MachineContext, query: TagQuery): AsyncGenerator<CloudMachine> {
  for await (const vm of listVms(context, 'list machines')) {
    const machine = machineOf(vm);
    if (machine.tags[TAG.management] !== undefined && matchesTagQuery(machine.tags, query)) yield machine;
  }
}

/** Machines as leftovers for a sweep (listing.ts: an empty query also lists untagged VMs of the location); ones already being deleted are left out. */
export async function* listMachineResources(context: MachineContext, query: TagQuery): AsyncGenerator<CloudResource> {
  for await (const vm of listVms(context, 'list resources')) {
    if (vm.provisioningState?.toLowerCase() === 'deleting') continue;
    const machine = machineOf(vm);
    if (listedBy(machine.tags, query, vm.location, context.location)) yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags, ...(machine.createdAt ? { createdAt: machine.createdAt } : {}) };
  }
}

export async function deleteMachine(context: MachineContext, providerId: string): Promise<void> {
  const address = vmAddressOf(providerId);
  if (!address) throw new ProviderError('invalid', `azure delete machine: "${providerId}" is not an Azure provider ID (azure:///subscriptions/.../virtualMachines/<name>)`, { operation: 'delete machine' });
  try {
    await attempt(context, 'delete machine', () => context.clients.compute.virtualMachines.delete(address.resourceGroup, address.name).submitted());
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
