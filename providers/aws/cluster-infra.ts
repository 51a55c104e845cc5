/**
 * A cluster's infrastructure on AWS, put together: the network (VPC, subnet, security group), the
 * API load balancer in its subnet and the API zone and record in its VPC. Deletion goes the other
 * way: DNS record and zone, listener, target group, load balancer, then security group, subnet
 * and VPC, each step treating what is already gone as done, and each touching only what carries
 * our management tag and the cluster's tag (providers/tags.ts isOwned).
 */
import { isOwned, type OwnershipScope } from '../tags';
import type { ClusterInfra, ClusterInfraRequest } from '../types';
import type { DnsOperations } from './dns';
import { isLoadBalancerArn, isTargetGroupArn, type LoadBalancerOperations } from './load-balancer';
import { KUBE_API_PORT, type NetworkOperations } from './network';
import { clusterQuery } from './tags';

export interface ClusterInfraOperations {
  ensureClusterInfra(request: ClusterInfraRequest): Promise<ClusterInfra>;
  deleteClusterInfra(infraId: string, scope?: OwnershipScope): Promise<void>;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const found: T[] = [];
  for await (const item of items) found.push(item);
  return found;
}

/** `region` is the adapter's: where the VPC is, whatever region the request names. */
export function clusterInfraOperations(region: string, network: NetworkOperations, loadBalancers: LoadBalancerOperations, dns: DnsOperations): ClusterInfraOperations {
  return {
    async ensureClusterInfra(request) {
      const cluster = await network.ensureNetwork(request);
      const api = await loadBalancers.ensureApiLoadBalancer(request, cluster);
      const zone = await dns.ensureApiRecord(request, { vpcId: cluster.vpcId, region }, api);
      return {
        apiURL: `https://api.${request.clusterName}.${request.baseDomain}:${KUBE_API_PORT}`,
        resources: [...cluster.resources, api.loadBalancer, api.targetGroup, zone],
      };
    },

    async deleteClusterInfra(infraId, scope = {}) {
      // A cluster has a handful of each; collect first, since deleting while paging would move the pages.
      for (const zone of await collect(dns.clusterZones(infraId, scope))) await dns.deleteZoneResource(zone);
      const balancing = (await collect(loadBalancers.listLoadBalancerResources(clusterQuery(infraId)))).filter((resource) => isOwned(resource.tags, infraId, scope));
      const balancers = balancing.filter((resource) => isLoadBalancerArn(resource.id));
      for (const balancer of balancers) await loadBalancers.deleteListeners(balancer.id);
      for (const group of balancing.filter((resource) => isTargetGroupArn(resource.id))) await loadBalancers.deleteLoadBalancerResource(group);
      for (const balancer of balancers) await loadBalancers.deleteLoadBalancerResource(balancer);
      await network.deleteNetwork(infraId, scope);
    },
  };
}
