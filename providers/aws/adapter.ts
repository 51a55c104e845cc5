/**
 * The AWS provider adapter: machines are EC2 instances, a cluster's infrastructure is a VPC,
 * a subnet and a security group (providers/aws/network.ts). Canonical tags are written with
 * TAG_ENCODINGS.aws and read back through it. Credentials, endpoint and the environment
 * variables a worker reads are described in providers/aws/options.ts.
 */
import type { CloudResource, ProviderAdapter } from '../types';
import { createEc2 } from './ec2';
import { instanceOperations } from './instances';
import { networkOperations } from './network';
import type { AwsAdapterOptions } from './options';

export { awsAdapterOptionsFrom, AWS_ENDPOINT_ENV, AWS_SECRET_FIELDS, type AwsAdapterOptions, type AwsAdapterOptionsInput, type AwsKeys, type AwsKeysProvider } from './options';

export function createAwsAdapter(options: AwsAdapterOptions): ProviderAdapter {
  const ec2 = createEc2(options);
  const network = networkOperations(ec2);
  const instances = instanceOperations(ec2, network.placementFor, network.forgetPlacement);

  return {
    platform: 'aws',
    createMachine: instances.createMachine,
    describeMachine: instances.describeMachine,
    listMachines: instances.listMachines,
    deleteMachine: instances.deleteMachine,
    ensureClusterInfra: network.ensureClusterInfra,
    deleteClusterInfra: network.deleteClusterInfra,

    async *listResources(query) {
      for await (const machine of instances.listMachines(query)) {
        yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags } satisfies CloudResource;
      }
      yield* network.listNetworkResources(query);
    },

    async deleteResource(resource) {
      // A machine's resource ID is its providerId; deleteMachine also takes a bare instance ID.
      if (resource.kind === 'machine') return instances.deleteMachine(resource.id);
      return network.deleteNetworkResource(resource);
    },
  };
}
