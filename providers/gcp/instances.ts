/**
 * Machines as Compute Engine instances, named by the machine name and labelled at insert with the
 * canonical tags (on the instance and its boot disk). A create first gets the instance by name (a
 * lost answer, a crash, or a retry finds the one already made), then inserts it with a requestId
 * derived from the request's idempotency token; 409 alreadyExists means an earlier attempt made
 * it. The create answers at once and does not wait for the insert operation.
 * providerId is Cluster API's GCP form, gce://<project>/<zone>/<instance name>.
 *
 * A control-plane machine joins the cluster's API instance group once created (instance-group.ts) and
 * leaves it before its delete is sent.
 *
 * GCE reports TERMINATED both for an instance someone stopped and, briefly, for one being
 * deleted; Slipway never stops instances, so TERMINATED reads as terminated.
 */
import type { protos } from '@google-cloud/compute';
import { pageGuard } from '../paging';
import { invalidField } from '../http-errors';
import { TAG, matchesTagQuery } from '../tags';
import { ProviderError, type CloudMachine, type MachineCreateRequest, type MachinePhase, type TagQuery } from '../types';
import type { Gce } from './compute';
import { GceError, classifyOperationError } from './errors';
import type { ApiTargets } from './instance-group';
import { canonicalTagsOf, encodeLabels, identityQuery, labelFilter, listedBy, listingFilter } from './labels';
import { requestIdFor } from './request-id';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Operation = protos.google.cloud.compute.v1.IOperation;

const PHASES: Readonly<Record<string, MachinePhase>> = {
  PENDING: 'pending',
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  REPAIRING: 'pending',
  PENDING_STOP: 'stopping',
  STOPPING: 'stopping',
  TERMINATED: 'terminated',
  // Slipway never suspends an instance: someone did, and it will not serve until resumed.
  SUSPENDING: 'failed',
  SUSPENDED: 'failed',
};

/** An instance on its way out (or stopped): a create cannot take its name yet. */
const LEAVING = new Set(['PENDING_STOP', 'STOPPING', 'TERMINATED']);

export const GCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const MACHINE_TYPE_NAME = /^[a-z0-9][-a-z0-9]*$/;

export function machinePhase(status: string | null | undefined): MachinePhase {
  return (status && PHASES[status]) || 'pending';
}

export function providerIdOf(project: string, zone: string, name: string): string {
  return `gce://${project}/${zone}/${name}`;
}

export function parseProviderId(providerId: string): { project: string; zone: string; name: string } | undefined {
  const match = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerId);
  if (!match) return undefined;
  const [, project = '', zone = '', name = ''] = match;
  return { project, zone, name };
}

function lastSegment(url: string | null | undefined): string | undefined {
  return url ? url.split('/').at(-1) : undefined;
}

function isoTime(timestamp: string | null | undefined): string | undefined {
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function toMachine(project: string, defaultZone: string, instance: Instance): CloudMachine {
  const name = instance.name ?? '';
  const createdAt = isoTime(instance.creationTimestamp);
  const privateIp = instance.networkInterfaces?.[0]?.networkIP;
  return {
    providerId: providerIdOf(project, lastSegment(instance.zone) ?? defaultZone, name),
    name,
    phase: machinePhase(instance.status),
    tags: canonicalTagsOf(instance.labels),
    ...(createdAt ? { createdAt } : {}),
    ...(privateIp ? { privateIp } : {}),
  };
}

function managed(instance: Instance): boolean {
  return canonicalTagsOf(instance.labels)[TAG.management] !== undefined;
}

/** GCE takes a machine type as a URL; a bare type name is one of the zone's. */
function machineTypeUrl(zone: string, instanceType: string): string {
  return instanceType.includes('/') ? instanceType : `zones/${zone}/machineTypes/${instanceType}`;
}

/** A bare image name is one of the project's own images; anything with a slash is a (partial) URL. */
function sourceImageUrl(image: string): string {
  return image.includes('/') ? image : `global/images/${image}`;
}

/**
 * The SDK types an insert's or delete's answer as a long-running-operation handle; at run time it
 * is a plain object whose latestResponse is the Operation GCE answered.
 */
export function operationIn(answer: unknown): Operation {
  if (typeof answer !== 'object' || answer === null || !('latestResponse' in answer)) return {};
  const latest = answer.latestResponse;
  return typeof latest === 'object' && latest !== null ? (latest as Operation) : {};
}

export interface InstanceOperations {
  createMachine(request: MachineCreateRequest): Promise<CloudMachine>;
  describeMachine(name: string): Promise<CloudMachine | undefined>;
  listMachines(query: TagQuery): AsyncGenerator<CloudMachine>;
  /** As listMachines, but an empty query lists every instance of the zone, labelled or not (listedBy). */
  listMachineResources(query: TagQuery): AsyncGenerator<CloudMachine>;
  deleteMachine(providerId: string): Promise<void>;
}

function isReason(error: unknown, reason: string): boolean {
  return error instanceof GceError && error.reason === reason;
}

export function instanceOperations(gce: Gce, networkFor: (infraId: string) => Promise<string>, targets: ApiTargets): InstanceOperations {
  const getInstance = async (operation: string, zone: string, name: string): Promise<Instance | undefined> => {
    try {
      return await gce.call(operation, async (clients, settings, project) => (await clients.instances.get({ project, zone, instance: name }, settings))[0]);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return undefined;
      throw error;
    }
  };

  /** Refuses before any call what must never reach GCE; gives the labels. */
  const validate = (request: MachineCreateRequest): Record<string, string> => {
    const operation = 'create machine';
    if (!GCE_NAME.test(request.name)) throw invalidField('gcp', operation, 'name', `"${request.name}" is not a Compute Engine instance name (1-63 lowercase letters, digits and '-', starting with a letter)`);
    const instanceType = request.instanceType.trim();
    if (instanceType === '' || (!instanceType.includes('/') && !MACHINE_TYPE_NAME.test(instanceType))) {
      throw invalidField('gcp', operation, 'instanceType', 'must name a Compute Engine machine type such as e2-standard-4');
    }
    if (request.image.trim() === '') throw invalidField('gcp', operation, 'image', 'must name a Compute Engine image such as projects/<project>/global/images/<image>, or an image of the project');
    if (request.idempotencyToken === '') throw invalidField('gcp', operation, 'idempotencyToken', 'must not be empty');
    if (!GCE_NAME.test(request.infraId)) throw invalidField('gcp', operation, 'infraId', 'must be a Compute Engine name (it becomes the network tag the cluster firewall targets)');
    return encodeLabels(operation, request.tags);
  };

  /** The instance a create may hand back as the one it made, or why it may not. */
  const adopt = async (request: MachineCreateRequest, instance: Instance): Promise<CloudMachine> => {
    const operation = 'create machine';
    const tags = canonicalTagsOf(instance.labels);
    if (tags[TAG.management] === undefined) {
      throw new ProviderError('invalid', `gcp ${operation}: an instance named ${request.name} exists that Slipway does not manage (it has no ${TAG.management} label); remove it or rename the machine`, { operation });
    }
    if (!matchesTagQuery(tags, identityQuery(request.tags))) {
      throw new ProviderError('invalid', `gcp ${operation}: the instance named ${request.name} belongs to another owner (cluster ${tags[TAG.cluster] ?? '?'}, machine ${tags[TAG.machine] ?? '?'}); remove it or rename the machine`, { operation });
    }
    if (instance.status && LEAVING.has(instance.status)) {
      throw new ProviderError('retryable', `gcp ${operation}: the instance named ${request.name} is ${instance.status} (being deleted, or stopped by someone); the create is retried once it is gone`, { operation });
    }
    return toMachine(await gce.project(), gce.zone, instance);
  };

  const insert = async (request: MachineCreateRequest, labels: Record<string, string>): Promise<Operation> => {
    const network = await networkFor(request.infraId);
    const instanceResource: Instance = {
      name: request.name,
      machineType: machineTypeUrl(gce.zone, request.instanceType.trim()),
      labels,
      tags: { items: [request.infraId] },
      disks: [{ boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { sourceImage: sourceImageUrl(request.image.trim()), labels } }],
      networkInterfaces: [{ network: `global/networks/${network}` }],
    };
    const requestId = requestIdFor('instances.insert', request.idempotencyToken);
    const [answer] = await gce.call('create machine', (clients, settings, project) => clients.instances.insert({ project, zone: gce.zone, requestId, instanceResource }, settings));
    return operationIn(answer);
  };

  const joinApiTargets = async (request: MachineCreateRequest, zone: string): Promise<void> => {
    if (request.role === 'control-plane') await targets.registerApiTarget(request.infraId, zone, request.name);
  };

  /** Before a control-plane machine goes, it leaves the API instance group, so the load balancer stops sending it traffic first. */
  const leaveApiTargets = async (zone: string, name: string): Promise<void> => {
    const instance = await getInstance('delete machine', zone, name);
    const tags = canonicalTagsOf(instance?.labels);
    const infraId = tags[TAG.cluster];
    if (tags[TAG.role] === 'control-plane' && infraId !== undefined) await targets.deregisterApiTarget(infraId, zone, name);
  };

  const describeMachine = async (name: string): Promise<CloudMachine | undefined> => {
    if (!GCE_NAME.test(name)) return undefined;
    const instance = await getInstance('describe machine', gce.zone, name);
    if (!instance || !managed(instance) || instance.status === 'TERMINATED') return undefined;
    return toMachine(await gce.project(), gce.zone, instance);
  };

  /** The zone's instances the filter lets through, as listedBy reads them, page by page. */
  async function* listInstances(operation: string, filter: string | undefined, query: TagQuery): AsyncGenerator<CloudMachine> {
    const project = await gce.project();
    const guard = pageGuard('gcp', operation);
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [items, , page] = await gce.call(operation, (clients, settings) =>
        clients.instances.list({ project, zone: gce.zone, ...(filter ? { filter } : {}), maxResults: gce.pageSize, ...(token ? { pageToken: token } : {}) }, { ...settings, autoPaginate: false }),
      );
      for (const instance of items) {
        const machine = toMachine(project, gce.zone, instance);
        if (listedBy(machine.tags, query)) yield machine;
      }
      pageToken = page?.nextPageToken || undefined;
      if (pageToken) guard.next(pageToken);
    } while (pageToken);
  }

  return {
    describeMachine,

    async createMachine(request) {
      const operation = 'create machine';
      const labels = validate(request);
      const existing = await getInstance(operation, gce.zone, request.name);
      if (existing) {
        const adopted = await adopt(request, existing);
        // A create cut short after the insert registers the machine now.
        await joinApiTargets(request, gce.zone);
        return adopted;
      }
      let started: Operation;
      try {
        started = await insert(request, labels);
      } catch (error) {
        // GCE answers 404 for a referenced image that does not exist: a mistake in the template, not a missing machine.
        if (error instanceof ProviderError && error.kind === 'notFound') {
          throw new ProviderError('invalid', error.message.replace('(the resource does not exist)', '(fix the machine template and apply it again)'), error.details);
        }
        if (!isReason(error, 'alreadyExists')) throw error;
        const made = await getInstance(operation, gce.zone, request.name);
        if (!made) throw new ProviderError('retryable', `gcp ${operation}: ${request.name} already exists, yet is gone when looked up (deleted meanwhile); the create is retried`, { operation });
        const adopted = await adopt(request, made);
        await joinApiTargets(request, gce.zone);
        return adopted;
      }
      const failed = classifyOperationError(operation, started, gce.redact);
      if (failed) throw failed;
      if (started.status === 'DONE' && !(await getInstance(operation, gce.zone, request.name))) {
        throw new ProviderError(
          'invalid',
          `gcp ${operation}: GCE answered the requestId of ${request.name} with an operation that finished earlier, and there is no such instance now; the idempotency token was used for an earlier machine, so give this create a new one`,
          { operation },
        );
      }
      await joinApiTargets(request, gce.zone);
      return { providerId: providerIdOf(await gce.project(), gce.zone, request.name), name: request.name, phase: 'pending', tags: canonicalTagsOf(labels) };
    },

    listMachines: (query) => listInstances('list machines', labelFilter('list machines', query), query),

    listMachineResources: (query) => listInstances('list resources', listingFilter('list resources', query), query),

    async deleteMachine(providerId) {
      const operation = 'delete machine';
      const target = parseProviderId(providerId);
      const project = await gce.project();
      if (!target || target.project !== project) {
        throw new ProviderError('invalid', `gcp ${operation}: providerId "${providerId}" is not a machine of project ${project} (gce://${project}/<zone>/<instance name>)`, { operation });
      }
      await leaveApiTargets(target.zone, target.name);
      try {
        await gce.call(operation, (clients, settings) => clients.instances.delete({ project, zone: target.zone, instance: target.name }, settings));
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'notFound') return;
        // Another delete (an earlier attempt whose answer was lost) is under way.
        if (isReason(error, 'resourceNotReady')) {
          const instance = await getInstance(operation, target.zone, target.name);
          if (!instance || (instance.status && LEAVING.has(instance.status))) return;
        }
        throw error;
      }
    },
  };
}
