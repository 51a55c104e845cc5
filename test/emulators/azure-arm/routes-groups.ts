/**
 * Resource groups as the Azure Resource Manager REST reference describes them ("Resource
 * Groups - Create Or Update / Get / Check Existence / Delete / List"): PUT answers at once
 * (201 new, 200 existing); DELETE is asynchronous (202 with a Location URL under
 * /operationresults that answers 202 until the group and everything in it are gone, then 200);
 * deleting a group that does not exist is 404 ResourceGroupNotFound; the list takes only a tag
 * $filter.
 */
import { ArmFailure, armError, isRecord, readTags, stringField, type ArmAnswer, type ArmRequest } from './arm-http';
import { resourceGroupsFilter } from './odata-filter';
import { listPage } from './paging';
import { groupNotFound, type ResourceRoutesContext } from './routes-resources';
import type { ResourceGroupRecord } from './state';

const GROUP_NAME = /^[-\w._()]{0,89}[-\w_()]$/u;

function view(group: ResourceGroupRecord): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: group.location,
    ...(Object.keys(group.tags).length > 0 ? { tags: group.tags } : {}),
    properties: { provisioningState: group.provisioningState },
  };
}

function operationResultsUrl(request: ArmRequest, context: ResourceRoutesContext, operationId: string): string {
  const apiVersion = request.query.get('api-version') ?? '';
  return `${request.origin}/subscriptions/${context.state.subscriptionId}/operationresults/${operationId}?api-version=${encodeURIComponent(apiVersion)}`;
}

function put(request: ArmRequest, context: ResourceRoutesContext, name: string): ArmAnswer | ArmFailure {
  const { state } = context;
  if (!GROUP_NAME.test(name)) return armError(400, 'InvalidResourceGroup', `The provided resource group name '${name}' has these invalid characters or length: it must be 1-90 letters, digits, underscores, parentheses, hyphens and periods, not ending in a period.`);
  if (!isRecord(request.body)) return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  const location = stringField(request.body.location);
  if (location === undefined || location.trim() === '') return armError(400, 'LocationRequired', 'The location property is required for this definition.');
  const tags = readTags(request.body);
  if (tags instanceof ArmFailure) return tags;
  const existing = state.group(name);
  if (existing?.provisioningState === 'Deleting') return armError(409, 'ResourceGroupBeingDeleted', `The resource group '${existing.name}' is in deprovisioning state and cannot perform this operation.`);
  if (existing && existing.location.toLowerCase() !== location.toLowerCase()) {
    return armError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`);
  }
  if (existing) {
    existing.tags = tags;
    return { status: 200, body: view(existing) };
  }
  const group: ResourceGroupRecord = { id: state.groupId(name), name, location, tags, provisioningState: 'Succeeded' };
  state.groups.set(name.toLowerCase(), group);
  return { status: 201, body: view(group) };
}

function remove(request: ArmRequest, context: ResourceRoutesContext, name: string): ArmAnswer | ArmFailure {
  const { state } = context;
  const group = state.group(name);
  if (!group) return groupNotFound(name);
  const retryAfter = { 'retry-after': String(context.pollRetryAfterSeconds) };
  if (group.provisioningState === 'Deleting' && group.deleteOperation) {
    return { status: 202, headers: { location: operationResultsUrl(request, context, group.deleteOperation), ...retryAfter } };
  }
  group.provisioningState = 'Deleting';
  const members = state.resourcesInGroup(group.name);
  const operation = state.startOperation(
    undefined,
    group.location,
    () => {
      for (const resource of state.resourcesInGroup(group.name)) state.resources.delete(resource.id.toLowerCase());
      state.groups.delete(group.name.toLowerCase());
      return {};
    },
    () => undefined,
  );
  for (const resource of members) {
    resource.properties = { ...resource.properties, provisioningState: 'Deleting' };
    resource.activeOperation = operation.id;
  }
  group.deleteOperation = operation.id;
  return { status: 202, headers: { location: operationResultsUrl(request, context, operation.id), ...retryAfter } };
}

export function resourceGroupRoute(request: ArmRequest, context: ResourceRoutesContext, name: string): ArmAnswer | ArmFailure {
  const group = context.state.group(name);
  switch (request.method) {
    case 'PUT':
      return put(request, context, name);
    case 'GET':
      return group ? { status: 200, body: view(group) } : groupNotFound(name);
    case 'HEAD':
      return { status: group ? 204 : 404 };
    case 'DELETE':
      return remove(request, context, name);
    default:
      return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on resource groups.`);
  }
}

export function resourceGroupsRoute(request: ArmRequest, context: ResourceRoutesContext): ArmAnswer | ArmFailure {
  if (request.method !== 'GET') return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on the resource group collection.`);
  const filter = resourceGroupsFilter(request.query.get('$filter'));
  if (filter instanceof ArmFailure) return filter;
  const groups = [...context.state.groups.values()].filter((group) => filter === undefined || filter.matches({ name: group.name, type: 'Microsoft.Resources/resourceGroups', location: group.location, resourceGroup: group.name, tags: group.tags }));
  return listPage(groups, request, context.pageSize, view);
}

/** The Location URL of a resource group delete: 202 while it runs, 200 once the group is gone. */
export function operationResultsRoute(request: ArmRequest, context: ResourceRoutesContext, operationId: string): ArmAnswer | ArmFailure {
  const operation = context.state.pollOperation(operationId);
  if (!operation) return armError(404, 'NotFound', `The operation '${operationId}' was not found.`);
  if (operation.status === 'InProgress') {
    return { status: 202, headers: { location: `${request.origin}${request.path}?${request.query.toString()}`, 'retry-after': String(context.pollRetryAfterSeconds) } };
  }
  if (operation.error) return armError(400, operation.error.code, operation.error.message);
  return { status: 200 };
}
