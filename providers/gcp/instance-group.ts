/**
 * The API load balancer's targets, the GCE way: an unmanaged instance group `<infraId>-api` in the
 * adapter's zone (the zone its machines go to), which the internal backend service names as its
 * backend. Control-plane machines join it at create (instanceGroups.addInstances) and leave it
 * before they are deleted (removeInstances), so the load balancer stops sending them traffic first.
 *
 * Instance groups have no labels in GCE v1, so the group carries its canonical tags in its
 * description (labels.ts), and one without this cluster's tags is never used, changed or deleted.
 * Joining twice is answered memberAlreadyExists, which is success; leaving looks the member up
 * (listInstances) first, so leaving a group one is not in sends nothing. Every change waits for its
 * zonal operation.
 */
import type { protos } from '@google-cloud/compute';
import { infrastructureNotReady } from '../http-errors';
import { pageGuard } from '../paging';
import { TAG } from '../tags';
import { ProviderError, type CanonicalTags, type CloudResource, type ClusterInfraRequest, type TagQuery } from '../types';
import type { Gce } from './compute';
import { GceError } from './errors';
import { GCE_NAME, operationIn } from './instances';
import { describeWithTags, listedBy, nameFilter, tagsInDescription } from './labels';
import { deleteAndSettle, settleOperation } from './operations';
import { requestIdFor } from './request-id';

type Operation = protos.google.cloud.compute.v1.IOperation;
type InstanceGroup = protos.google.cloud.compute.v1.IInstanceGroup;

export function apiInstanceGroupName(infraId: string): string {
  return `${infraId}-api`;
}

/** The group as a backend service names it. */
export function instanceGroupLink(zone: string, name: string): string {
  return `zones/${zone}/instanceGroups/${name}`;
}

const ID = /^projects\/[^/]+\/zones\/([^/]+)\/instanceGroups\/([^/]+)$/;

function isReason(error: unknown, ...reasons: string[]): boolean {
  return error instanceof GceError && error.reason !== undefined && reasons.includes(error.reason);
}

export interface ApiTargets {
  /** Adds a control-plane instance to the cluster's API instance group; a group not made yet is a retryable wait. Repeating it is harmless. */
  registerApiTarget(infraId: string, zone: string, instanceName: string): Promise<void>;
  /** Takes the instance out of the cluster's API instance group before it is deleted; a missing group or member is fine. */
  deregisterApiTarget(infraId: string, zone: string, instanceName: string): Promise<void>;
}

export interface ApiInstanceGroups extends ApiTargets {
  /** Finds or makes the cluster's group in the adapter's zone; its link is what the backend service names. */
  ensureApiInstanceGroup(request: ClusterInfraRequest, network: string): Promise<{ readonly resource: CloudResource; readonly link: string }>;
  /** After the backend service that uses it; a missing one is fine, another owner's is left alone with an error. */
  deleteApiInstanceGroup(infraId: string, managementId?: string): Promise<void>;
  listApiInstanceGroups(query: TagQuery): AsyncGenerator<CloudResource>;
  /** Deletes it when the id is an instance group's; false when it is not. */
  deleteApiInstanceGroupResource(resource: CloudResource): Promise<boolean>;
}

export function apiInstanceGroups(gce: Gce): ApiInstanceGroups {
  const resourceOf = async (zone: string, name: string, tags: CanonicalTags): Promise<CloudResource> => ({
    kind: 'loadBalancer',
    id: `projects/${await gce.project()}/${instanceGroupLink(zone, name)}`,
    name,
    tags,
  });

  const get = async (operation: string, zone: string, name: string): Promise<InstanceGroup | undefined> => {
    try {
      return await gce.call(operation, async (clients, settings, project) => (await clients.instanceGroups.get({ project, zone, instanceGroup: name }, settings))[0]);
    } catch (error) {
      if (error instanceof ProviderError && error.kind === 'notFound') return undefined;
      throw error;
    }
  };

  const settle = (operation: string, zone: string, started: Operation): Promise<void> =>
    settleOperation(gce, operation, started, (name) => async (clients, settings, project) => (await clients.zoneOperations.get({ project, zone, operation: name }, settings))[0]);

  const isOurs = (group: InstanceGroup, infraId: string, managementId: string | undefined): boolean => {
    const tags = tagsInDescription(group.description);
    return tags[TAG.cluster] === infraId && tags[TAG.management] !== undefined && (managementId === undefined || tags[TAG.management] === managementId);
  };

  const checkOurs = (operation: string, group: InstanceGroup, infraId: string, managementId: string | undefined): CanonicalTags => {
    if (!isOurs(group, infraId, managementId)) {
      throw new ProviderError('invalid', `gcp ${operation}: instance group ${group.name ?? '?'} exists but is not this cluster's (its description has no Slipway tags for ${infraId}); remove or rename it`, { operation });
    }
    return tagsInDescription(group.description);
  };

  const remove = async (zone: string, name: string, infraId: string, managementId?: string): Promise<void> => {
    const operation = 'delete cluster instance group';
    const found = await get(operation, zone, name);
    if (!found) return;
    checkOurs(operation, found, infraId, managementId);
    await deleteAndSettle(
      gce,
      operation,
      (clients, settings, project) => clients.instanceGroups.delete({ project, zone, instanceGroup: name }, settings),
      (answer) => settle(operation, zone, answer),
    );
  };

  /** Whether the instance is a member now, read page by page. */
  const isMember = async (operation: string, zone: string, group: string, instanceName: string): Promise<boolean> => {
    const guard = pageGuard('gcp', operation);
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const [items, , page] = await gce.call(operation, (clients, settings, project) =>
        clients.instanceGroups.listInstances(
          { project, zone, instanceGroup: group, instanceGroupsListInstancesRequestResource: { instanceState: 'ALL' }, maxResults: gce.pageSize, ...(token ? { pageToken: token } : {}) },
          { ...settings, autoPaginate: false },
        ),
      );
      if (items.some((item) => item.instance?.split('/').at(-1) === instanceName)) return true;
      pageToken = page?.nextPageToken || undefined;
      if (pageToken) guard.next(pageToken);
    } while (pageToken);
    return false;
  };

  const instanceReference = async (zone: string, instanceName: string): Promise<{ instances: { instance: string }[] }> => ({
    instances: [{ instance: `projects/${await gce.project()}/zones/${zone}/instances/${instanceName}` }],
  });

  return {
    async ensureApiInstanceGroup(request, network) {
      const operation = 'create cluster instance group';
      const { infraId } = request;
      const zone = gce.zone;
      const name = apiInstanceGroupName(infraId);
      let found = await get(operation, zone, name);
      if (!found) {
        const tags: CanonicalTags = { ...request.tags, [TAG.cluster]: infraId };
        const token = [infraId, zone, request.tags[TAG.management] ?? '', request.tags[TAG.createdAt] ?? ''].join('|');
        const instanceGroupResource: InstanceGroup = {
          name,
          network: `global/networks/${network}`,
          namedPorts: [{ name: 'kube-api', port: 6443 }],
          description: describeWithTags(operation, `Slipway cluster ${infraId}: Kubernetes API backends`, tags),
        };
        try {
          const [answer] = await gce.call(operation, (clients, settings, project) =>
            clients.instanceGroups.insert({ project, zone, requestId: requestIdFor('instanceGroups.insert', token), instanceGroupResource }, settings),
          );
          await settle(operation, zone, operationIn(answer));
        } catch (error) {
          // Made by an earlier attempt whose answer was lost; read back below.
          if (!isReason(error, 'alreadyExists')) throw error;
        }
        found = await get(operation, zone, name);
        if (!found) throw new ProviderError('retryable', `gcp ${operation}: ${name} was made but cannot be read back yet (the call is retried)`, { operation });
      }
      const tags = checkOurs(operation, found, infraId, request.tags[TAG.management]);
      return { resource: await resourceOf(zone, name, tags), link: instanceGroupLink(zone, name) };
    },

    async deleteApiInstanceGroup(infraId, managementId) {
      await remove(gce.zone, apiInstanceGroupName(infraId), infraId, managementId);
    },

    async *listApiInstanceGroups(query) {
      const operation = 'list cluster instance groups';
      const infraId = query[TAG.cluster];
      if (infraId !== undefined && !GCE_NAME.test(infraId)) return;
      const filter = infraId !== undefined ? nameFilter(apiInstanceGroupName(infraId)) : undefined;
      const zone = gce.zone;
      const guard = pageGuard('gcp', operation);
      let pageToken: string | undefined;
      do {
        const token = pageToken;
        const [items, , page] = await gce.call(operation, (clients, settings, project) =>
          clients.instanceGroups.list({ project, zone, maxResults: gce.pageSize, ...(filter ? { filter } : {}), ...(token ? { pageToken: token } : {}) }, { ...settings, autoPaginate: false }),
        );
        for (const item of items) {
          const tags = tagsInDescription(item.description);
          if (item.name && listedBy(tags, query)) yield await resourceOf(zone, item.name, tags);
        }
        pageToken = page?.nextPageToken || undefined;
        if (pageToken) guard.next(pageToken);
      } while (pageToken);
    },

    async deleteApiInstanceGroupResource(resource) {
      const match = ID.exec(resource.id);
      if (!match) return false;
      const [, zone = '', name = ''] = match;
      const infraId = resource.tags[TAG.cluster];
      if (infraId === undefined) throw new ProviderError('invalid', `gcp delete resource: "${resource.id}" has no cluster tag`, { operation: 'delete resource' });
      await remove(zone, name, infraId);
      return true;
    },

    async registerApiTarget(infraId, zone, instanceName) {
      const operation = 'register API target';
      const name = apiInstanceGroupName(infraId);
      const group = await get(operation, zone, name);
      if (!group || !isOurs(group, infraId, undefined)) throw infrastructureNotReady('gcp', operation, infraId, `the API instance group ${name} in zone ${zone}`);
      const instanceGroupsAddInstancesRequestResource = await instanceReference(zone, instanceName);
      try {
        const [answer] = await gce.call(operation, (clients, settings, project) => clients.instanceGroups.addInstances({ project, zone, instanceGroup: name, instanceGroupsAddInstancesRequestResource }, settings));
        await settle(operation, zone, operationIn(answer));
      } catch (error) {
        // An earlier attempt (whose answer was lost) added it.
        if (!isReason(error, 'memberAlreadyExists')) throw error;
      }
    },

    async deregisterApiTarget(infraId, zone, instanceName) {
      const operation = 'deregister API target';
      const name = apiInstanceGroupName(infraId);
      const group = await get(operation, zone, name);
      if (!group || !isOurs(group, infraId, undefined)) return;
      if (!(await isMember(operation, zone, name, instanceName))) return;
      const instanceGroupsRemoveInstancesRequestResource = await instanceReference(zone, instanceName);
      try {
        const [answer] = await gce.call(operation, (clients, settings, project) => clients.instanceGroups.removeInstances({ project, zone, instanceGroup: name, instanceGroupsRemoveInstancesRequestResource }, settings));
        await settle(operation, zone, operationIn(answer));
      } catch (error) {
        // Gone meanwhile: an earlier attempt removed it, or the instance or group went.
        if (!isReason(error, 'memberNotFound') && !(error instanceof ProviderError && error.kind === 'notFound')) throw error;
      }
    },
  };
}
