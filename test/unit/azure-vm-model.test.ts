import { describe, expect, it } from 'vitest';
import { throwawaySshPublicKey } from '../../providers/azure/ssh-key';
import { checkedCreate, imageReferenceOf, machineOf, phaseOf, virtualMachineBody } from '../../providers/azure/vm-model';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type MachineCreateRequest } from '../../providers/types';

const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
const request: MachineCreateRequest = {
  name: 'demo-abcde-master-0',
  idempotencyToken: 'token',
  role: 'control-plane',
  instanceType: 'Standard_D8s_v5',
  image: 'rhcos-4.16',
  infraId: 'demo-abcde',
  tags: ownershipTags({ managementId: 'mgmt-1', infraId: 'demo-abcde', machineName: 'master-0', role: 'control-plane', createdAt: '2026-11-25T00:00:00.000Z' }),
};

function refusal(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a refusal');
}

describe('Azure VM model', () => {
  it('writes tags in the Azure encoding (no / in names) and reads them back canonical', () => {
    const encoded = checkedCreate(request);
    expect(Object.keys(encoded).every((key) => !key.includes('/'))).toBe(true);
    expect(encoded['slipway.dev_cluster']).toBe('demo-abcde');
    const machine = machineOf({ id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/demo-abcde-rg/providers/Microsoft.Compute/virtualMachines/${request.name}`, name: request.name, tags: { ...encoded, Owner: 'someone-else' }, provisioningState: 'Creating', location: 'eastus' });
    expect(machine.tags).toEqual(request.tags);
    expect(machine.providerId).toBe(`azure:///subscriptions/${SUBSCRIPTION}/resourceGroups/demo-abcde-rg/providers/Microsoft.Compute/virtualMachines/${request.name}`);
  });

  it('refuses, before any call, what Azure would refuse, naming the field', () => {
    expect(refusal(() => checkedCreate({ ...request, instanceType: '' })).message).toMatch(/instanceType/);
    expect(refusal(() => checkedCreate({ ...request, instanceType: 'Standard D4' })).message).toMatch(/instanceType/);
    expect(refusal(() => checkedCreate({ ...request, image: ' ' })).message).toMatch(/image/);
    expect(refusal(() => checkedCreate({ ...request, name: 'ends-with-dash-' })).message).toMatch(/name/);
    expect(refusal(() => checkedCreate({ ...request, tags: { ...request.tags, [TAG.cluster]: '' } })).message).toMatch(/tags/);
  });

  it('reads an image as a resource ID, a Marketplace URN, or an image in the cluster group', () => {
    expect(imageReferenceOf('/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/x/images/y/versions/1.0.0', SUBSCRIPTION, 'demo')).toEqual({ id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/x/images/y/versions/1.0.0' });
    expect(imageReferenceOf('RedHat:rh-ocp-worker:rh-ocp-worker:4.16.0', SUBSCRIPTION, 'demo')).toEqual({ publisher: 'RedHat', offer: 'rh-ocp-worker', sku: 'rh-ocp-worker', version: '4.16.0' });
    expect(imageReferenceOf('rhcos-4.16', SUBSCRIPTION, 'demo')).toEqual({ id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/demo-rg/providers/Microsoft.Compute/images/rhcos-4.16` });
  });

  it('puts a control-plane machine in the master subnet, with NIC and disk deleted along with the VM', () => {
    const body = virtualMachineBody({ request, encodedTags: checkedCreate(request), subscriptionId: SUBSCRIPTION, location: 'eastus', sshPublicKey: 'ssh-rsa AAAA test' });
    const nic = body.networkProfile?.networkInterfaceConfigurations?.[0];
    expect(nic?.ipConfigurations?.[0]?.subnet?.id).toMatch(/virtualNetworks\/demo-abcde-vnet\/subnets\/demo-abcde-master-subnet$/);
    expect(nic?.deleteOption).toBe('Delete');
    expect(body.storageProfile?.osDisk?.deleteOption).toBe('Delete');
    expect(body.hardwareProfile?.vmSize).toBe('Standard_D8s_v5');
    expect(body.osProfile?.linuxConfiguration?.disablePasswordAuthentication).toBe(true);
  });

  it('maps provisioning and power states to phases', () => {
    const withPower = (provisioningState: string, power?: string) => ({ location: 'x', provisioningState, ...(power ? { instanceView: { statuses: [{ code: 'ProvisioningState/succeeded' }, { code: `PowerState/${power}` }] } } : {}) });
    expect(phaseOf(withPower('Creating'))).toBe('pending');
    expect(phaseOf(withPower('Succeeded', 'running'))).toBe('running');
    expect(phaseOf(withPower('Succeeded', 'starting'))).toBe('pending');
    expect(phaseOf(withPower('Succeeded', 'deallocated'))).toBe('stopping');
    expect(phaseOf(withPower('Succeeded'))).toBe('running');
    expect(phaseOf(withPower('Updating', 'running'))).toBe('running');
    expect(phaseOf(withPower('Deleting', 'running'))).toBe('stopping');
    expect(phaseOf(withPower('Failed'))).toBe('failed');
  });

  it('makes a throwaway SSH key in OpenSSH wire format: ssh-rsa, exponent 65537, a 3072-bit modulus', async () => {
    const key = await throwawaySshPublicKey();
    expect(key).toMatch(/^ssh-rsa [A-Za-z0-9+/]+=* slipway-throwaway$/);
    const blob = Buffer.from(key.split(' ')[1] ?? '', 'base64');
    const fields: Buffer[] = [];
    for (let offset = 0; offset < blob.length; ) {
      const length = blob.readUInt32BE(offset);
      fields.push(blob.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    expect(fields).toHaveLength(3);
    expect(fields[0]?.toString()).toBe('ssh-rsa');
    expect(fields[1]?.toString('hex')).toBe('010001');
    const modulus = fields[2] ?? Buffer.alloc(0);
    // mpint: a leading zero byte keeps the top bit of a 3072-bit modulus from reading as a sign.
    expect(modulus.length).toBe(385);
    expect(modulus[0]).toBe(0);
  });
});
