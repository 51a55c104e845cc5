/**
 * Machines as EC2 instances. A create first looks for the machine by its Name and ownership
 * tags (moto, unlike EC2, ignores ClientToken, and EC2 keeps a token only for a while), then runs
 * one instance tagged at launch with a ClientToken derived from the request's idempotency token.
 * providerId is Cluster API's AWS form, aws:///<availability-zone>/<instance-id>.
 */
import { createHash } from 'node:crypto';
import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type Filter, type Instance, type InstanceStateName, type TagSpecification } from '@aws-sdk/client-ec2';
import { invalidField } from '../http-errors';
import { ProviderError, type CloudMachine, type MachineCreateRequest, type MachinePhase, type TagQuery } from '../types';
import { awsErrorCode } from './errors';
import { nextToken, paginate, type Ec2 } from './services';
import { TAG } from '../tags';
import type { LoadBalancerOperations } from './load-balancer';
import type { ClusterPlacement } from './network';
import { MANAGED_FILTER, canonicalTagsOf, identityQuery, listingFilters, nameFilter, nameTagOf, tagFilters, tagSpecifications } from './tags';

/**
 * stopping and stopped are not deletions (Slipway never stops an instance): someone powered the
 * machine off, and it will not serve until someone starts it, so it counts as failed.
 */
const PHASES: Readonly<Record<InstanceStateName, MachinePhase>> = {
  pending: 'pending',
  running: 'running',
  'shutting-down': 'stopping',
  terminated: 'terminated',
  stopping: 'failed',
  stopped: 'failed',
};

/** Every state but terminated: what callers see as an existing machine. */
const EXISTING_STATES: readonly InstanceStateName[] = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];
/** A create may hand back any of these as "the machine already made"; not one being deleted. */
const REUSABLE_STATES: readonly InstanceStateName[] = ['pending', 'running', 'stopping', 'stopped'];

const GONE_CODES = ['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'];

function stateFilter(states: readonly InstanceStateName[]): Filter {
  return { Name: 'instance-state-name', Values: [...states] };
}

export function machinePhase(state: string | undefined): MachinePhase {
  return state !== undefined && state in PHASES ? PHASES[state as InstanceStateName] : 'pending';
}

export function providerIdOf(instance: Instance): string {
  return `aws:///${instance.Placement?.AvailabilityZone ?? ''}/${instance.InstanceId ?? ''}`;
}

/** The instance ID in a providerId (aws:///zone/i-...), or a bare instance ID; undefined for anything else. */
export function instanceIdOf(providerId: string): string | undefined {
  const match = /^aws:\/\/\/[^/]*\/([^/]+)$/.exec(providerId) ?? /^(i-[0-9a-zA-Z]+)$/.exec(providerId);
  return match?.[1];
}

export function toMachine(instance: Instance): CloudMachine {
  const launched = instance.LaunchTime;
  return {
    providerId: providerIdOf(instance),
    name: nameTagOf(instance.Tags) ?? instance.InstanceId ?? '',
    phase: machinePhase(instance.State?.Name),
    tags: canonicalTagsOf(instance.Tags),
    ...(launched instanceof Date && !Number.isNaN(launched.getTime()) ? { createdAt: launched.toISOString() } : {}),
    ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}),
  };
}

/** EC2's ClientToken: at most 64 ASCII characters. A longer or non-ASCII token is hashed to 64 hex digits. */
export function clientTokenOf(idempotencyToken: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(idempotencyToken) ? idempotencyToken : createHash('sha256').update(idempotencyToken).digest('hex');
}

/** Oldest first, so duplicates (should any exist) always resolve to the same machine. */
function byLaunch(a: Instance, b: Instance): number {
  const launched = (instance: Instance): number => instance.LaunchTime?.getTime() ?? 0;
  return launched(a) - launched(b) || (a.InstanceId ?? '').localeCompare(b.InstanceId ?? '');
}

export interface InstanceOperations {
  createMachine(request: MachineCreateRequest): Promise<CloudMachine>;
  describeMachine(name: string): Promise<CloudMachine | undefined>;
  listMachines(query: TagQuery): AsyncGenerator<CloudMachine>;
  /** As listMachines, but an empty query lists every instance of the region, tagged or not (listingFilters). */
  listMachineResources(query: TagQuery): AsyncGenerator<CloudMachine>;
  deleteMachine(providerId: string): Promise<void>;
}

/** The API load balancer's targets, which control-plane machines join and leave. */
export type ApiTargets = Pick<LoadBalancerOperations, 'registerApiTarget' | 'deregisterApiTarget'>;

export function instanceOperations(ec2: Ec2, placementFor: (infraId: string) => Promise<ClusterPlacement>, forgetPlacement: (infraId: string) => void, targets: ApiTargets): InstanceOperations {
  const instances = (operation: string, filters: Filter[]): AsyncGenerator<Instance> =>
    paginate(
      (NextToken) => ec2.call(operation, () => ec2.client.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: ec2.pageSize, ...(NextToken ? { NextToken } : {}) }))),
      (page) => (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []),
      nextToken,
    );

  const collect = async (operation: string, filters: Filter[]): Promise<Instance[]> => {
    const found: Instance[] = [];
    for await (const instance of instances(operation, filters)) found.push(instance);
    return found.sort(byLaunch);
  };

  /** Refuses before any call what must never reach EC2 (moto would launch an empty instanceType as m1.small); gives the launch tags. */
  const validate = (request: MachineCreateRequest): TagSpecification[] => {
    const operation = 'create machine';
    if (request.instanceType.trim() === '') throw invalidField('aws', operation, 'instanceType', 'must name an EC2 instance type such as m6i.xlarge');
    if (request.image.trim() === '') throw invalidField('aws', operation, 'image', 'must name an AMI ID such as ami-0123456789abcdef0');
    if (request.name.trim() === '') throw invalidField('aws', operation, 'name', 'must not be empty');
    if (request.idempotencyToken === '') throw invalidField('aws', operation, 'idempotencyToken', 'must not be empty');
    return tagSpecifications(operation, ['instance', 'volume'], request.tags, request.name);
  };

  /** After IdempotentParameterMismatch: EC2 already ran an instance for this token, with other parameters. */
  const byClientToken = async (clientToken: string): Promise<Instance | undefined> =>
    (await collect('create machine', [{ Name: 'client-token', Values: [clientToken] }, stateFilter(REUSABLE_STATES)]))[0];

  const run = async (request: MachineCreateRequest, tags: TagSpecification[]): Promise<Instance> => {
    const operation = 'create machine';
    const clientToken = clientTokenOf(request.idempotencyToken);
    const placement = await placementFor(request.infraId);
    try {
      const answer = await ec2.client.send(
        new RunInstancesCommand({
          ImageId: request.image,
          // The SDK's list of instance types is closed; EC2 itself judges the name (InvalidParameterValue).
          InstanceType: request.instanceType as Instance['InstanceType'],
          MinCount: 1,
          MaxCount: 1,
          ClientToken: clientToken,
          TagSpecifications: tags,
          SubnetId: placement.subnetId,
          SecurityGroupIds: [placement.securityGroupId],
        }),
      );
      const instance = answer.Instances?.[0];
      if (!instance?.InstanceId) throw new ProviderError('retryable', `aws ${operation}: RunInstances answered without an instance (the call is retried)`, { operation });
      return instance;
    } catch (error) {
      forgetPlacement(request.infraId);
      if (awsErrorCode(error) === 'IdempotentParameterMismatch') {
        const earlier = await byClientToken(clientToken);
        if (earlier) return earlier;
      }
      throw error;
    }
  };

  const describeMachine = async (name: string): Promise<CloudMachine | undefined> => {
    const found = await collect('describe machine', [nameFilter(name), MANAGED_FILTER, stateFilter(EXISTING_STATES)]);
    // A replacement launched while the old one shuts down is the one that counts.
    const live = found.find((instance) => instance.State?.Name !== 'shutting-down') ?? found[0];
    return live ? toMachine(live) : undefined;
  };

  const joinApiTargets = async (request: MachineCreateRequest, instance: Instance): Promise<void> => {
    if (request.role === 'control-plane' && instance.InstanceId) await targets.registerApiTarget(request.infraId, instance.InstanceId);
  };

  /** Before a control-plane machine goes, it leaves the API target group, so the load balancer stops sending it traffic first. */
  const leaveApiTargets = async (instanceId: string): Promise<void> => {
    const [instance] = await collect('delete machine', [{ Name: 'instance-id', Values: [instanceId] }, MANAGED_FILTER]);
    const tags = canonicalTagsOf(instance?.Tags);
    const infraId = tags[TAG.cluster];
    if (tags[TAG.role] === 'control-plane' && infraId !== undefined) await targets.deregisterApiTarget(infraId, instanceId);
  };

  return {
    describeMachine,

    async createMachine(request) {
      const tags = validate(request);
      const operation = 'create machine';
      const existing = await collect(operation, [nameFilter(request.name), ...tagFilters(operation, identityQuery(request.tags)), stateFilter(REUSABLE_STATES)]);
      if (existing[0]) {
        // A create cut short after the launch registers the machine now.
        await joinApiTargets(request, existing[0]);
        return toMachine(existing[0]);
      }
      const instance = await ec2.call(operation, () => run(request, tags));
      const state = instance.State?.Name;
      if (state === 'terminated' || state === 'shutting-down') {
        throw new ProviderError(
          'invalid',
          `aws ${operation}: EC2 answered the ClientToken of ${request.name} with instance ${instance.InstanceId}, which is ${state}; the idempotency token was used for an earlier machine, so give this create a new one`,
          { operation },
        );
      }
      await joinApiTargets(request, instance);
      const machine = toMachine(instance);
      // RunInstances may answer before the tags show on the instance; they were set at launch.
      return Object.keys(machine.tags).length > 0 ? machine : { ...machine, name: request.name, tags: request.tags };
    },

    async *listMachines(query) {
      for await (const instance of instances('list machines', [...tagFilters('list machines', query), stateFilter(EXISTING_STATES)])) yield toMachine(instance);
    },

    async *listMachineResources(query) {
      for await (const instance of instances('list resources', [...listingFilters('list resources', query), stateFilter(EXISTING_STATES)])) yield toMachine(instance);
    },

    async deleteMachine(providerId) {
      const operation = 'delete machine';
      const instanceId = instanceIdOf(providerId);
      if (instanceId === undefined) {
        throw new ProviderError('invalid', `aws ${operation}: providerId "${providerId}" is not an EC2 machine's (aws:///<availability-zone>/<instance-id>)`, { operation });
      }
      await leaveApiTargets(instanceId);
      // Terminating a terminated instance succeeds; an unknown or malformed ID is a machine that is gone.
      await ec2.callUnless(operation, GONE_CODES, () => ec2.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
    },
  };
}
