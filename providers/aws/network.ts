/**
 * A cluster's network on EC2: one VPC, one subnet in it and one security group, each tagged
 * at creation with the cluster's canonical tags and a Name, and each found by those tags before
 * it is created, so a repeated or crashed ensure makes no second one. Machines of a cluster
 * that has a network are launched into its subnet and security group; the API load balancer
 * (providers/aws/load-balancer.ts) sits in the subnet, and the API zone (providers/aws/dns.ts)
 * is associated with the VPC.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type Filter,
  type IpPermission,
  type SecurityGroup,
  type Subnet,
  type Tag,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { infrastructureNotReady } from '../http-errors';
import { TAG, isOwned, type OwnershipScope } from '../tags';
import { ProviderError, type CloudResource, type ClusterInfraRequest, type TagQuery } from '../types';
import { nextToken, paginate, type Ec2 } from './services';
import { canonicalTagsOf, clusterQuery, identityQuery, listingFilters, nameFilter, nameTagOf, tagFilters, tagSpecifications } from './tags';

const VPC_CIDR = '10.0.0.0/16';
const SUBNET_CIDR = '10.0.0.0/19';
export const KUBE_API_PORT = 6443;

export interface ClusterPlacement {
  readonly subnetId: string;
  readonly securityGroupId: string;
}

interface Tagged {
  readonly id: string;
  readonly tags: readonly Tag[] | undefined;
}

function resourceOf(kind: CloudResource['kind'], item: Tagged): CloudResource {
  return { kind, id: item.id, name: nameTagOf(item.tags) ?? item.id, tags: canonicalTagsOf(item.tags) };
}

const byId = (a: Tagged, b: Tagged): number => a.id.localeCompare(b.id);

/** Node-to-node traffic within the group, and the Kubernetes API from inside the VPC. */
function missingRules(group: SecurityGroup, groupId: string): IpPermission[] {
  const permissions = group.IpPermissions ?? [];
  const rules: IpPermission[] = [];
  if (!permissions.some((rule) => rule.IpProtocol === '-1' && rule.UserIdGroupPairs?.some((pair) => pair.GroupId === groupId))) {
    rules.push({ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, Description: 'Slipway: traffic between the cluster machines' }] });
  }
  if (!permissions.some((rule) => rule.IpProtocol === 'tcp' && rule.FromPort === KUBE_API_PORT && rule.ToPort === KUBE_API_PORT && rule.IpRanges?.some((range) => range.CidrIp === VPC_CIDR))) {
    rules.push({ IpProtocol: 'tcp', FromPort: KUBE_API_PORT, ToPort: KUBE_API_PORT, IpRanges: [{ CidrIp: VPC_CIDR, Description: 'Slipway: Kubernetes API' }] });
  }
  return rules;
}

export interface ClusterNetwork {
  readonly vpcId: string;
  readonly subnetId: string;
  /** VPC, subnet and security group. */
  readonly resources: readonly CloudResource[];
}

export interface NetworkOperations {
  ensureNetwork(request: ClusterInfraRequest): Promise<ClusterNetwork>;
  /** Deletes the cluster's security groups, subnets and VPCs that are ours (isOwned); missing ones are fine. */
  deleteNetwork(infraId: string, scope?: OwnershipScope): Promise<void>;
  /** Security groups, then subnets, then VPCs: the order they can be deleted in. */
  listNetworkResources(query: TagQuery): AsyncGenerator<CloudResource>;
  deleteNetworkResource(resource: CloudResource): Promise<void>;
  /** The cluster's subnet and security group; a retryable "infrastructure not ready" error while either is missing. */
  placementFor(infraId: string): Promise<ClusterPlacement>;
  forgetPlacement(infraId: string): void;
}

export function networkOperations(ec2: Ec2): NetworkOperations {
  const page = { MaxResults: ec2.pageSize };
  const next = (token: string | undefined) => (token ? { NextToken: token } : {});

  const vpcs = (operation: string, filters: Filter[]): AsyncGenerator<Vpc> =>
    paginate(
      (token) => ec2.call(operation, () => ec2.client.send(new DescribeVpcsCommand({ Filters: filters, ...page, ...next(token) }))),
      (answer) => answer.Vpcs ?? [],
      nextToken,
    );
  const subnets = (operation: string, filters: Filter[]): AsyncGenerator<Subnet> =>
    paginate(
      (token) => ec2.call(operation, () => ec2.client.send(new DescribeSubnetsCommand({ Filters: filters, ...page, ...next(token) }))),
      (answer) => answer.Subnets ?? [],
      nextToken,
    );
  const securityGroups = (operation: string, filters: Filter[]): AsyncGenerator<SecurityGroup> =>
    paginate(
      (token) => ec2.call(operation, () => ec2.client.send(new DescribeSecurityGroupsCommand({ Filters: filters, ...page, ...next(token) }))),
      (answer) => answer.SecurityGroups ?? [],
      nextToken,
    );

  const tagged = {
    vpcs: async function* (operation: string, filters: Filter[]): AsyncGenerator<Tagged> {
      for await (const vpc of vpcs(operation, filters)) if (vpc.VpcId) yield { id: vpc.VpcId, tags: vpc.Tags };
    },
    subnets: async function* (operation: string, filters: Filter[]): AsyncGenerator<Tagged & { vpcId: string | undefined }> {
      for await (const subnet of subnets(operation, filters)) if (subnet.SubnetId) yield { id: subnet.SubnetId, tags: subnet.Tags, vpcId: subnet.VpcId };
    },
    securityGroups: async function* (operation: string, filters: Filter[]): AsyncGenerator<Tagged & { group: SecurityGroup }> {
      for await (const group of securityGroups(operation, filters)) if (group.GroupId) yield { id: group.GroupId, tags: group.Tags, group };
    },
  };

  /** The lowest ID among matches, so duplicates left by an eventually consistent read resolve the same way each time. */
  const first = async <T extends Tagged>(items: AsyncGenerator<T>): Promise<T | undefined> => {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    return all.sort(byId)[0];
  };

  const ensureVpc = async (request: ClusterInfraRequest, filters: Filter[]): Promise<Tagged> => {
    const operation = 'create cluster VPC';
    const name = `${request.infraId}-vpc`;
    const found = await first(tagged.vpcs(operation, [...filters, nameFilter(name)]));
    if (found) return found;
    const answer = await ec2.call(operation, () => ec2.client.send(new CreateVpcCommand({ CidrBlock: VPC_CIDR, TagSpecifications: tagSpecifications(operation, ['vpc'], request.tags, name) })));
    if (!answer.Vpc?.VpcId) throw new ProviderError('retryable', `aws ${operation}: CreateVpc answered without a VPC (the call is retried)`, { operation });
    return { id: answer.Vpc.VpcId, tags: answer.Vpc.Tags };
  };

  const ensureSubnet = async (request: ClusterInfraRequest, filters: Filter[], vpcId: string): Promise<Tagged> => {
    const operation = 'create cluster subnet';
    const name = `${request.infraId}-subnet`;
    const found = await first(tagged.subnets(operation, [...filters, nameFilter(name), { Name: 'vpc-id', Values: [vpcId] }]));
    if (found) return found;
    const answer = await ec2.call(operation, () =>
      ec2.client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: SUBNET_CIDR, TagSpecifications: tagSpecifications(operation, ['subnet'], request.tags, name) })),
    );
    if (!answer.Subnet?.SubnetId) throw new ProviderError('retryable', `aws ${operation}: CreateSubnet answered without a subnet (the call is retried)`, { operation });
    return { id: answer.Subnet.SubnetId, tags: answer.Subnet.Tags };
  };

  const ensureSecurityGroup = async (request: ClusterInfraRequest, filters: Filter[], vpcId: string): Promise<Tagged> => {
    const operation = 'create cluster security group';
    const name = `${request.infraId}-sg`;
    // EC2 refuses group names that look like group IDs.
    const groupName = name.startsWith('sg-') ? `slipway-${name}` : name;
    const inVpc: Filter[] = [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: [groupName] }];
    let found = await first(tagged.securityGroups(operation, [...filters, ...inVpc]));
    if (!found) {
      // Group names are unique per VPC: a Duplicate means an earlier attempt made it.
      await ec2.callUnless(operation, ['InvalidGroup.Duplicate'], () =>
        ec2.client.send(
          new CreateSecurityGroupCommand({ GroupName: groupName, Description: `Slipway cluster ${request.infraId}`, VpcId: vpcId, TagSpecifications: tagSpecifications(operation, ['security-group'], request.tags, name) }),
        ),
      );
      found = await first(tagged.securityGroups(operation, inVpc));
    }
    if (!found) throw new ProviderError('retryable', `aws ${operation}: security group ${name} is not visible yet (the call is retried)`, { operation });
    const rules = missingRules(found.group, found.id);
    if (rules.length > 0) {
      await ec2.callUnless(operation, ['InvalidPermission.Duplicate'], () => ec2.client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: found.id, IpPermissions: rules })));
    }
    return found;
  };

  const listNetworkResources = async function* (query: TagQuery): AsyncGenerator<CloudResource> {
    const operation = 'list resources';
    const filters = listingFilters(operation, query);
    for await (const group of tagged.securityGroups(operation, filters)) {
      // A VPC's default group is part of the VPC: EC2 deletes it with the VPC and refuses to delete it alone.
      if (group.group.GroupName !== 'default') yield resourceOf('securityGroup', group);
    }
    for await (const subnet of tagged.subnets(operation, filters)) yield resourceOf('network', subnet);
    for await (const vpc of tagged.vpcs(operation, filters)) yield resourceOf('network', vpc);
  };

  const deleteNetworkResource = async (resource: CloudResource): Promise<void> => {
    if (resource.kind === 'securityGroup') {
      const operation = 'delete security group';
      await ec2.callUnless(operation, ['InvalidGroup.NotFound', 'InvalidGroupId.Malformed'], () => ec2.client.send(new DeleteSecurityGroupCommand({ GroupId: resource.id })));
      return;
    }
    if (resource.kind === 'network' && resource.id.startsWith('subnet-')) {
      await ec2.callUnless('delete subnet', ['InvalidSubnetID.NotFound', 'InvalidSubnetID.Malformed'], () => ec2.client.send(new DeleteSubnetCommand({ SubnetId: resource.id })));
      return;
    }
    if (resource.kind === 'network' && resource.id.startsWith('vpc-')) {
      await ec2.callUnless('delete VPC', ['InvalidVpcID.NotFound', 'InvalidVpcID.Malformed'], () => ec2.client.send(new DeleteVpcCommand({ VpcId: resource.id })));
      return;
    }
    throw new ProviderError('invalid', `aws delete ${resource.kind}: ${resource.id} is not a resource the AWS adapter makes (it makes VPCs, subnets, security groups and instances)`, {
      operation: `delete ${resource.kind}`,
    });
  };

  const placements = new Map<string, ClusterPlacement>();

  return {
    async ensureNetwork(request) {
      const filters = tagFilters('create cluster infrastructure', { ...identityQuery(request.tags), ...clusterQuery(request.infraId) });
      const vpc = await ensureVpc(request, filters);
      const subnet = await ensureSubnet(request, filters, vpc.id);
      const group = await ensureSecurityGroup(request, filters, vpc.id);
      placements.set(request.infraId, { subnetId: subnet.id, securityGroupId: group.id });
      return { vpcId: vpc.id, subnetId: subnet.id, resources: [resourceOf('network', vpc), resourceOf('network', subnet), resourceOf('securityGroup', group)] };
    },

    async deleteNetwork(infraId, scope = {}) {
      // A cluster has a handful of these; collect first, since deleting while paging would move the pages.
      const found: CloudResource[] = [];
      for await (const resource of listNetworkResources(clusterQuery(infraId))) if (isOwned(resource.tags, infraId, scope)) found.push(resource);
      placements.delete(infraId);
      for (const resource of found) await deleteNetworkResource(resource);
    },

    listNetworkResources,
    deleteNetworkResource,

    async placementFor(infraId) {
      const cached = placements.get(infraId);
      if (cached) return cached;
      const operation = 'create machine';
      const filters = tagFilters(operation, clusterQuery(infraId));
      const subnet = await first(tagged.subnets(operation, filters));
      if (!subnet?.vpcId) throw infrastructureNotReady('aws', operation, infraId, `a subnet tagged ${TAG.cluster}=${infraId}`);
      const group = await first(tagged.securityGroups(operation, [...filters, { Name: 'vpc-id', Values: [subnet.vpcId] }]));
      if (!group) throw infrastructureNotReady('aws', operation, infraId, `a security group tagged ${TAG.cluster}=${infraId} in ${subnet.vpcId}`);
      const placement = { subnetId: subnet.id, securityGroupId: group.id };
      placements.set(infraId, placement);
      return placement;
    },

    forgetPlacement(infraId) {
      placements.delete(infraId);
    },
  };
}
