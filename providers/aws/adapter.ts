/**
 * The AWS provider adapter: machines are EC2 instances; a cluster's infrastructure is a VPC, a
 * subnet and a security group (providers/aws/network.ts), an internal Network Load Balancer for
 * the API (providers/aws/load-balancer.ts) and a private Route 53 zone holding the API record
 * (providers/aws/dns.ts). Canonical tags are written with TAG_ENCODINGS.aws and read back through
 * it. Credentials, endpoint and the environment variables a worker reads are described in
 * providers/aws/options.ts.
 */
import type { CloudResource, ProviderAdapter } from '../types';
import { clusterInfraOperations } from './cluster-infra';
import { dnsOperations } from './dns';
import { instanceOperations } from './instances';
import { loadBalancerOperations } from './load-balancer';
import { networkOperations } from './network';
import type { AwsAdapterOptions } from './options';
import { resourceTagging } from './resource-tags';
import { createAwsServices } from './services';

export { awsAdapterOptionsFrom, AWS_ENDPOINT_ENV, AWS_SECRET_FIELDS, type AwsAdapterOptions, type AwsAdapterOptionsInput, type AwsKeys, type AwsKeysProvider } from './options';

export function createAwsAdapter(options: AwsAdapterOptions): ProviderAdapter {
  const services = createAwsServices(options);
  const network = networkOperations(services.ec2);
  const loadBalancers = loadBalancerOperations(services.elb);
  const dns = dnsOperations(services.route53);
  const infra = clusterInfraOperations(options.region, network, loadBalancers, dns);
  const instances = instanceOperations(services.ec2, network.placementFor, network.forgetPlacement, loadBalancers);

  return {
    platform: 'aws',
    createMachine: instances.createMachine,
    describeMachine: instances.describeMachine,
    listMachines: instances.listMachines,
    deleteMachine: instances.deleteMachine,
    ensureClusterInfra: infra.ensureClusterInfra,
    deleteClusterInfra: infra.deleteClusterInfra,

    /**
     * Machines, DNS zones, load balancers and target groups, then the network: an order they can be
     * deleted in. An empty query lists every one in the region (Route 53 zones: in the account),
     * tagged or not; any other query only those carrying our management tag and its tags.
     */
    async *listResources(query) {
      for await (const machine of instances.listMachineResources(query)) {
        // A terminated instance stays listed for a while, but is gone: nothing is left to delete or tag.
        if (machine.phase === 'terminated') continue;
        yield { kind: 'machine', id: machine.providerId, name: machine.name, tags: machine.tags, ...(machine.createdAt ? { createdAt: machine.createdAt } : {}) } satisfies CloudResource;
      }
      yield* dns.listZoneResources(query);
      yield* loadBalancers.listLoadBalancerResources(query);
      yield* network.listNetworkResources(query);
    },

    async deleteResource(resource) {
      // A machine's resource ID is its providerId; deleteMachine also takes a bare instance ID.
      if (resource.kind === 'machine') return instances.deleteMachine(resource.id);
      if (resource.kind === 'dnsRecord') return dns.deleteZoneResource(resource);
      if (resource.kind === 'loadBalancer') return loadBalancers.deleteLoadBalancerResource(resource);
      return network.deleteNetworkResource(resource);
    },

    tagResource: resourceTagging(services),
  };
}
