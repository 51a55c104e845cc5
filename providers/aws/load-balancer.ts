/**
 * A cluster's API load balancer on Elastic Load Balancing v2: an internal Network Load Balancer in
 * the cluster's subnet, a TCP 6443 target group in its VPC and a TCP 6443 listener forwarding to
 * it. The load balancer and the target group are tagged at creation with the canonical tags and a
 * Name, and found by their name (unique per account and region) before they are created, so a
 * repeated or crashed ensure makes no second one (moto, unlike ELB, would make one). Both are
 * CloudResources of kind 'loadBalancer', listed load balancers first: deleting a load balancer
 * deletes its listeners, and only then can its target group go.
 */
import { createHash } from 'node:crypto';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type DescribeTagsCommandOutput,
  DescribeTargetGroupsCommand,
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
  type Listener,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ProviderError, type CloudResource, type ClusterInfraRequest, type TagQuery } from '../types';
import { KUBE_API_PORT } from './network';
import { chunks, pages, paginate, type Elb } from './services';
import { infrastructureNotReady } from '../http-errors';
import { canonicalTagsOf, carriesTags, clusterQuery, identityQuery, listedBy, nameTagOf, resourceTags, type KeyValue } from './tags';

/** ELB's limit for load balancer and target group names. */
const ELB_NAME_MAX = 32;
/** DescribeTags takes at most 20 ARNs, Describe* pages at most 400 items. */
const TAGS_PER_CALL = 20;
const ELB_PAGE_MAX = 400;
const GONE_CODES = ['LoadBalancerNotFound', 'TargetGroupNotFound', 'ListenerNotFound'];

/**
 * `<infraId>-api` where ELB takes it; otherwise (longer than 32 characters, a "--" that target
 * group names refuse, or the "internal-" prefix ELB reserves) a shortened form that keeps a hash of
 * the whole infra ID, so it stays unique and the same on every call. Used for the target group too.
 */
export function apiLoadBalancerName(infraId: string): string {
  const plain = `${infraId}-api`;
  if (plain.length <= ELB_NAME_MAX && !plain.includes('--') && !plain.startsWith('internal-')) return plain;
  const hash = createHash('sha256').update(infraId).digest('hex').slice(0, 8);
  const room = ELB_NAME_MAX - `-${hash}-api`.length;
  const head = infraId.replace(/-+/g, '-').replace(/^internal-/, 'int-').slice(0, room).replace(/-+$/, '');
  return `${head}-${hash}-api`;
}

export const isLoadBalancerArn = (arn: string): boolean => /^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:loadbalancer\//.test(arn);
export const isTargetGroupArn = (arn: string): boolean => /^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:targetgroup\//.test(arn);

export interface ApiLoadBalancer {
  readonly loadBalancer: CloudResource;
  readonly targetGroup: CloudResource;
  /** What the API record aliases. */
  readonly dnsName: string;
  readonly canonicalHostedZoneId: string;
}

export interface LoadBalancerOperations {
  ensureApiLoadBalancer(request: ClusterInfraRequest, placement: { readonly vpcId: string; readonly subnetId: string }): Promise<ApiLoadBalancer>;
  /** Load balancers, then target groups, carrying the query's tags: the order they can be deleted in. */
  listLoadBalancerResources(query: TagQuery): AsyncGenerator<CloudResource>;
  deleteListeners(loadBalancerArn: string): Promise<void>;
  /** A load balancer (its listeners go with it) or a target group; a missing one is fine. */
  deleteLoadBalancerResource(resource: CloudResource): Promise<void>;
  /** Adds a control-plane instance to the cluster's API target group; a group not made yet is a retryable wait. Repeating it is harmless. */
  registerApiTarget(infraId: string, instanceId: string): Promise<void>;
  /** Takes the instance out of the cluster's API target group, before it is terminated; a missing group or target is fine. */
  deregisterApiTarget(infraId: string, instanceId: string): Promise<void>;
}

function resourceOf(id: string, fallbackName: string, tags: readonly KeyValue[] | undefined): CloudResource {
  return { kind: 'loadBalancer', id, name: nameTagOf(tags) ?? fallbackName, tags: canonicalTagsOf(tags) };
}

export function loadBalancerOperations(elb: Elb): LoadBalancerOperations {
  const pageSize = Math.min(ELB_PAGE_MAX, elb.pageSize);
  const nextMarker = (page: { readonly NextMarker?: string | undefined }): string | undefined => page.NextMarker;

  /** Tags by ARN. A resource deleted since it was listed fails the whole call, so then each is asked alone. */
  const tagsOf = async (operation: string, arns: readonly string[]): Promise<Map<string, readonly KeyValue[]>> => {
    const found = new Map<string, readonly KeyValue[]>();
    const ask = (batch: readonly string[]): Promise<DescribeTagsCommandOutput | undefined> =>
      elb.callUnless(operation, GONE_CODES, () => elb.client.send(new DescribeTagsCommand({ ResourceArns: [...batch] })));
    const record = (answer: DescribeTagsCommandOutput | undefined): void => {
      for (const description of answer?.TagDescriptions ?? []) if (description.ResourceArn) found.set(description.ResourceArn, description.Tags ?? []);
    };
    for (const batch of chunks(arns, TAGS_PER_CALL)) {
      const answer = await ask(batch);
      if (answer) record(answer);
      else for (const arn of batch) record(await ask([arn]));
    }
    return found;
  };

  /** Refuses a name-alike that is not this cluster's: ELB names are unique, so it cannot be made beside it. */
  const checkOwned = async (operation: string, request: ClusterInfraRequest, arn: string, what: string, name: string): Promise<readonly KeyValue[]> => {
    const tags = (await tagsOf(operation, [arn])).get(arn) ?? [];
    if (!carriesTags(operation, tags, identityQuery(request.tags))) {
      throw new ProviderError(
        'invalid',
        `aws ${operation}: a ${what} named ${name} already exists but is not cluster ${request.infraId}'s (its Slipway tags differ); ${what} names are unique per account and region, so delete or rename that one`,
        { operation },
      );
    }
    return tags;
  };

  const notVisible = (operation: string, what: string, name: string): ProviderError =>
    new ProviderError('retryable', `aws ${operation}: ELB says ${what} ${name} exists but does not show it yet (the call is retried)`, { operation });

  const loadBalancerNamed = async (operation: string, name: string): Promise<LoadBalancer | undefined> =>
    (await elb.callUnless(operation, ['LoadBalancerNotFound'], () => elb.client.send(new DescribeLoadBalancersCommand({ Names: [name] }))))?.LoadBalancers?.[0];

  const targetGroupNamed = async (operation: string, name: string): Promise<TargetGroup | undefined> =>
    (await elb.callUnless(operation, ['TargetGroupNotFound'], () => elb.client.send(new DescribeTargetGroupsCommand({ Names: [name] }))))?.TargetGroups?.[0];

  const ensureLoadBalancer = async (request: ClusterInfraRequest, subnetId: string, name: string): Promise<{ balancer: LoadBalancer; arn: string; tags: readonly KeyValue[] }> => {
    const operation = 'create cluster load balancer';
    const tags = resourceTags(operation, request.tags, name);
    const found = await loadBalancerNamed(operation, name);
    if (found?.LoadBalancerArn) return { balancer: found, arn: found.LoadBalancerArn, tags: await checkOwned(operation, request, found.LoadBalancerArn, 'load balancer', name) };
    const created = await elb.callExpecting(operation, ['DuplicateLoadBalancerName'], () =>
      elb.client.send(new CreateLoadBalancerCommand({ Name: name, Type: 'network', Scheme: 'internal', IpAddressType: 'ipv4', Subnets: [subnetId], Tags: tags })),
    );
    const balancer = created.ok ? created.value.LoadBalancers?.[0] : await loadBalancerNamed(operation, name);
    if (!balancer?.LoadBalancerArn) throw notVisible(operation, 'load balancer', name);
    return { balancer, arn: balancer.LoadBalancerArn, tags: created.ok ? tags : await checkOwned(operation, request, balancer.LoadBalancerArn, 'load balancer', name) };
  };

  const ensureTargetGroup = async (request: ClusterInfraRequest, vpcId: string, name: string): Promise<{ arn: string; tags: readonly KeyValue[] }> => {
    const operation = 'create cluster target group';
    const tags = resourceTags(operation, request.tags, name);
    const found = await targetGroupNamed(operation, name);
    if (found?.TargetGroupArn) return { arn: found.TargetGroupArn, tags: await checkOwned(operation, request, found.TargetGroupArn, 'target group', name) };
    const created = await elb.callExpecting(operation, ['DuplicateTargetGroupName'], () =>
      elb.client.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: 'TCP',
          Port: KUBE_API_PORT,
          VpcId: vpcId,
          TargetType: 'instance',
          // The API server's own readiness, as kube-apiserver serves it on its port.
          HealthCheckProtocol: 'HTTPS',
          HealthCheckPath: '/readyz',
          HealthCheckPort: 'traffic-port',
          Tags: tags,
        }),
      ),
    );
    const group = created.ok ? created.value.TargetGroups?.[0] : await targetGroupNamed(operation, name);
    if (!group?.TargetGroupArn) throw notVisible(operation, 'target group', name);
    return { arn: group.TargetGroupArn, tags: created.ok ? tags : await checkOwned(operation, request, group.TargetGroupArn, 'target group', name) };
  };

  const listeners = (operation: string, loadBalancerArn: string): AsyncGenerator<Listener> =>
    paginate(
      (marker) => elb.call(operation, () => elb.client.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, PageSize: pageSize, ...(marker ? { Marker: marker } : {}) }))),
      (page) => page.Listeners ?? [],
      nextMarker,
    );

  const apiListenerOf = async (operation: string, loadBalancerArn: string): Promise<Listener | undefined> => {
    for await (const listener of listeners(operation, loadBalancerArn)) if (listener.Port === KUBE_API_PORT) return listener;
    return undefined;
  };

  const ensureListener = async (request: ClusterInfraRequest, loadBalancerArn: string, targetGroupArn: string, name: string): Promise<void> => {
    const operation = 'create cluster load balancer listener';
    if (await apiListenerOf(operation, loadBalancerArn)) return;
    const created = await elb.callExpecting(operation, ['DuplicateListener'], () =>
      elb.client.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: 'TCP',
          Port: KUBE_API_PORT,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
          Tags: resourceTags(operation, request.tags, name),
        }),
      ),
    );
    if (!created.ok && !(await apiListenerOf(operation, loadBalancerArn))) throw notVisible(operation, 'the listener on port', String(KUBE_API_PORT));
  };

  const taggedPages = async function* <Item>(operation: string, itemPages: AsyncGenerator<readonly Item[]>, arnOf: (item: Item) => string | undefined, query: TagQuery): AsyncGenerator<{ arn: string; item: Item; tags: readonly KeyValue[] }> {
    for await (const items of itemPages) {
      const withArns = items.flatMap((item) => {
        const arn = arnOf(item);
        return arn ? [{ arn, item }] : [];
      });
      if (withArns.length === 0) continue;
      const tags = await tagsOf(operation, withArns.map((entry) => entry.arn));
      for (const entry of withArns) {
        const found = tags.get(entry.arn);
        if (found && listedBy(operation, found, query)) yield { ...entry, tags: found };
      }
    }
  };

  /** The cluster's own API target group (tagged for it), or undefined. */
  const clusterTargetGroup = async (operation: string, infraId: string): Promise<string | undefined> => {
    const arn = (await targetGroupNamed(operation, apiLoadBalancerName(infraId)))?.TargetGroupArn;
    if (!arn) return undefined;
    return carriesTags(operation, (await tagsOf(operation, [arn])).get(arn), clusterQuery(infraId)) ? arn : undefined;
  };

  return {
    async registerApiTarget(infraId, instanceId) {
      const operation = 'register API target';
      const arn = await clusterTargetGroup(operation, infraId);
      if (!arn) throw infrastructureNotReady('aws', operation, infraId, `the API target group ${apiLoadBalancerName(infraId)}`);
      const outcome = await elb.callExpecting(operation, ['InvalidTarget'], () => elb.client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId, Port: KUBE_API_PORT }] })));
      // ELB takes only running instances: a pending one is registered when the create is retried.
      if (!outcome.ok) throw new ProviderError('retryable', `aws ${operation}: instance ${instanceId} is not running yet, so it cannot join the API target group (the call is retried)`, { operation });
    },

    async deregisterApiTarget(infraId, instanceId) {
      const operation = 'deregister API target';
      const arn = await clusterTargetGroup(operation, infraId);
      if (!arn) return;
      await elb.callUnless(operation, [...GONE_CODES, 'InvalidTarget'], () => elb.client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId, Port: KUBE_API_PORT }] })));
    },

    async ensureApiLoadBalancer(request, placement) {
      const name = apiLoadBalancerName(request.infraId);
      const group = await ensureTargetGroup(request, placement.vpcId, name);
      const { balancer, arn, tags } = await ensureLoadBalancer(request, placement.subnetId, name);
      await ensureListener(request, arn, group.arn, name);
      if (!balancer.DNSName || !balancer.CanonicalHostedZoneId) {
        throw new ProviderError('retryable', `aws create cluster load balancer: ${name} has no DNS name yet (the call is retried)`, { operation: 'create cluster load balancer' });
      }
      return {
        loadBalancer: resourceOf(arn, name, tags),
        targetGroup: resourceOf(group.arn, name, group.tags),
        dnsName: balancer.DNSName,
        canonicalHostedZoneId: balancer.CanonicalHostedZoneId,
      };
    },

    async *listLoadBalancerResources(query) {
      const operation = 'list resources';
      const balancers = pages(
        (marker) => elb.call(operation, () => elb.client.send(new DescribeLoadBalancersCommand({ PageSize: pageSize, ...(marker ? { Marker: marker } : {}) }))),
        (page) => page.LoadBalancers ?? [],
        nextMarker,
      );
      for await (const found of taggedPages(operation, balancers, (balancer) => balancer.LoadBalancerArn, query)) {
        yield resourceOf(found.arn, found.item.LoadBalancerName ?? found.arn, found.tags);
      }
      const groups = pages(
        (marker) => elb.call(operation, () => elb.client.send(new DescribeTargetGroupsCommand({ PageSize: pageSize, ...(marker ? { Marker: marker } : {}) }))),
        (page) => page.TargetGroups ?? [],
        nextMarker,
      );
      for await (const found of taggedPages(operation, groups, (group) => group.TargetGroupArn, query)) {
        yield resourceOf(found.arn, found.item.TargetGroupName ?? found.arn, found.tags);
      }
    },

    async deleteListeners(loadBalancerArn) {
      const operation = 'delete load balancer listener';
      const found: string[] = [];
      try {
        for await (const listener of listeners(operation, loadBalancerArn)) if (listener.ListenerArn) found.push(listener.ListenerArn);
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'notFound') return;
        throw error;
      }
      for (const arn of found) await elb.callUnless(operation, GONE_CODES, () => elb.client.send(new DeleteListenerCommand({ ListenerArn: arn })));
    },

    async deleteLoadBalancerResource(resource) {
      if (isLoadBalancerArn(resource.id)) {
        // ELB answers success for a load balancer that is already gone; moto does too.
        await elb.callUnless('delete load balancer', GONE_CODES, () => elb.client.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: resource.id })));
        return;
      }
      if (isTargetGroupArn(resource.id)) {
        await elb.callUnless('delete target group', GONE_CODES, () => elb.client.send(new DeleteTargetGroupCommand({ TargetGroupArn: resource.id })));
        return;
      }
      throw new ProviderError('invalid', `aws delete loadBalancer: ${resource.id} is not the ARN of an ELB load balancer or target group`, { operation: 'delete loadBalancer' });
    },
  };
}
