/**
 * Tracked resources in resource groups (PUT, GET, DELETE, list per group and per
 * subscription) following ARM's asynchronous operation pattern ("Track asynchronous Azure
 * operations"): a PUT answers 201 (new) or 200 (existing) at once with the resource in its
 * in-progress provisioningState and an Azure-AsyncOperation header; a DELETE answers 202 with
 * Azure-AsyncOperation and Location; a DELETE of a resource that does not exist answers 204.
 * Also the generic "Resources - List" over every tracked resource, with its $filter.
 */
import { ArmFailure, armError, readTags, isRecord, stringField, type ArmAnswer, type ArmRequest } from './arm-http';
import type { EmulatorBehaviour, ResourceKind } from './kinds';
import { resourcesFilter } from './odata-filter';
import { listPage } from './paging';
import type { ArmState, AsyncOperation, TrackedResource } from './state';

export interface ResourceRoutesContext {
  readonly state: ArmState;
  readonly behaviour: EmulatorBehaviour;
  readonly pageSize: number;
  readonly pollRetryAfterSeconds: number;
}

export function groupNotFound(name: string): ArmFailure {
  return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
}

function operationUrl(request: ArmRequest, context: ResourceRoutesContext, operation: AsyncOperation, monitor: boolean): string {
  const apiVersion = request.query.get('api-version') ?? '';
  const path = `/subscriptions/${context.state.subscriptionId}/providers/${operation.namespace ?? 'Microsoft.Resources'}/locations/${operation.location}/operations/${operation.id}`;
  return `${request.origin}${path}?${monitor ? 'monitor=true&' : ''}api-version=${encodeURIComponent(apiVersion)}`;
}

function asyncHeaders(request: ArmRequest, context: ResourceRoutesContext, operation: AsyncOperation, withLocation: boolean): Record<string, string> {
  return {
    'azure-asyncoperation': operationUrl(request, context, operation, false),
    ...(withLocation ? { location: operationUrl(request, context, operation, true) } : {}),
    'retry-after': String(context.pollRetryAfterSeconds),
  };
}

/** A top-level resource's ID, or (parent given) a child's, e.g. .../privateDnsZones/{parent}/virtualNetworkLinks/{name}. */
function resourceId(context: ResourceRoutesContext, group: string, kind: ResourceKind, name: string, parent?: string): string {
  const [namespace = '', parentType = '', childType = ''] = kind.type.split('/');
  const path = parent === undefined ? kind.type : `${namespace}/${parentType}/${parent}/${childType}`;
  return `/subscriptions/${context.state.subscriptionId}/resourceGroups/${group}/providers/${path}/${name}`;
}

const parentOf = (id: string): string => id.slice(0, id.lastIndexOf('/', id.lastIndexOf('/') - 1));

function parentNotFound(parent: string): ArmFailure {
  return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${parent}' not found.`);
}

function put(request: ArmRequest, context: ResourceRoutesContext, kind: ResourceKind, groupName: string, name: string, parent: string | undefined): ArmAnswer | ArmFailure {
  const { state } = context;
  const group = state.group(groupName);
  if (!group) return groupNotFound(groupName);
  if (group.provisioningState === 'Deleting') return armError(409, 'ResourceGroupBeingDeleted', `The resource group '${group.name}' is in deprovisioning state and cannot perform this operation.`);
  if (!kind.nameRule.pattern.test(name)) return armError(400, 'InvalidResourceName', `Resource name ${name} is invalid: a ${kind.type} name is ${kind.nameRule.description}.`);
  if (!isRecord(request.body)) return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
  const location = stringField(request.body.location);
  if (location === undefined || location.trim() === '') return armError(400, 'LocationRequired', 'The location property is required for this definition.');
  const tags = readTags(request.body);
  if (tags instanceof ArmFailure) return tags;
  const id = resourceId(context, group.name, kind, name, parent);
  if (parent !== undefined) {
    const parentResource = state.resource(parentOf(id));
    if (!parentResource || parentResource.properties.provisioningState === 'Deleting') return parentNotFound(parent);
  }
  const existing = state.resource(id);
  if (existing?.properties.provisioningState === 'Deleting') {
    return armError(409, 'OperationNotAllowed', `${kind.type} '${existing.name}' is being deleted; it cannot be changed until the delete finishes.`);
  }
  if (existing && existing.location.toLowerCase() !== location.toLowerCase()) {
    return armError(400, 'InvalidResourceLocation', `The resource '${existing.name}' already exists in location '${existing.location}' in resource group '${group.name}'. A resource with the same name cannot be created in location '${location}'.`);
  }
  const properties = isRecord(request.body.properties) ? request.body.properties : {};
  const accepted = kind.accept(properties, { state, behaviour: context.behaviour, id, location, existing });
  if (accepted instanceof ArmFailure) return accepted;
  const now = new Date().toISOString();
  const resource: TrackedResource = existing ?? { id, name, type: kind.type, resourceGroup: group.name, location, tags, properties: {}, createdTime: now, changedTime: now };
  resource.tags = tags;
  resource.changedTime = now;
  resource.properties = { ...accepted, provisioningState: existing ? kind.updatingState : kind.creatingState };
  state.resources.set(id.toLowerCase(), resource);
  const operation = state.startOperation(
    kind.namespace,
    location,
    () => {
      if (resource.activeOperation !== operation.id) return {};
      const outcome = kind.complete?.(resource, context.behaviour) ?? {};
      resource.properties = { ...resource.properties, provisioningState: outcome.failure ? 'Failed' : 'Succeeded' };
      resource.changedTime = new Date().toISOString();
      return outcome;
    },
    () => kind.view(resource, null),
  );
  resource.activeOperation = operation.id;
  return { status: existing ? 200 : 201, headers: asyncHeaders(request, context, operation, false), body: kind.view(resource, null) };
}

function get(request: ArmRequest, context: ResourceRoutesContext, kind: ResourceKind, groupName: string, name: string, parent: string | undefined): ArmAnswer | ArmFailure {
  if (!context.state.group(groupName)) return groupNotFound(groupName);
  const resource = context.state.resource(resourceId(context, groupName, kind, name, parent));
  if (!resource) return armError(404, 'ResourceNotFound', `The Resource '${kind.type}/${name}' under resource group '${groupName}' was not found.`);
  return { status: 200, body: kind.view(resource, request.query.get('$expand')) };
}

function remove(request: ArmRequest, context: ResourceRoutesContext, kind: ResourceKind, groupName: string, name: string, parent: string | undefined): ArmAnswer | ArmFailure {
  const { state } = context;
  if (!state.group(groupName)) return groupNotFound(groupName);
  const resource = state.resource(resourceId(context, groupName, kind, name, parent));
  if (!resource) return { status: 204 };
  const running = resource.activeOperation ? state.operations.get(resource.activeOperation) : undefined;
  if (resource.properties.provisioningState === 'Deleting' && running) return { status: 202, headers: asyncHeaders(request, context, running, true) };
  const inUse = kind.inUse?.(resource, state);
  if (inUse) return inUse;
  resource.properties = { ...resource.properties, provisioningState: 'Deleting' };
  resource.changedTime = new Date().toISOString();
  const operation = state.startOperation(
    kind.namespace,
    resource.location,
    () => {
      state.resources.delete(resource.id.toLowerCase());
      return {};
    },
    () => undefined,
  );
  resource.activeOperation = operation.id;
  return { status: 202, headers: asyncHeaders(request, context, operation, true) };
}

/**
 * PUT/GET/DELETE of one resource: /subscriptions/{s}/resourceGroups/{g}/providers/{namespace}/{type}/{name},
 * or of a child resource (parent given): .../{namespace}/{parentType}/{parent}/{childType}/{name}.
 */
export function resourceRoute(request: ArmRequest, context: ResourceRoutesContext, kind: ResourceKind, groupName: string, name: string, parent?: string): ArmAnswer | ArmFailure {
  switch (request.method) {
    case 'PUT':
      return put(request, context, kind, groupName, name, parent);
    case 'GET':
      return get(request, context, kind, groupName, name, parent);
    case 'DELETE':
      return remove(request, context, kind, groupName, name, parent);
    default:
      return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on ${kind.type}.`);
  }
}

/** GET of a type's collection, in one group or (groupName undefined) the whole subscription. */
export function collectionRoute(request: ArmRequest, context: ResourceRoutesContext, kind: ResourceKind, groupName: string | undefined): ArmAnswer | ArmFailure {
  if (request.method !== 'GET') return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on a ${kind.type} collection.`);
  if (groupName !== undefined && !context.state.group(groupName)) return groupNotFound(groupName);
  const items = [...context.state.resources.values()].filter(
    (resource) => resource.type === kind.type && (groupName === undefined || resource.resourceGroup.toLowerCase() === groupName.toLowerCase()),
  );
  return listPage(items, request, context.pageSize, (resource) => kind.view(resource, null));
}

/** GET of a child type's collection under one parent, e.g. a private DNS zone's virtual network links. */
export function childCollectionRoute(request: ArmRequest, context: ResourceRoutesContext, kind: ResourceKind, groupName: string, parent: string): ArmAnswer | ArmFailure {
  if (request.method !== 'GET') return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on a ${kind.type} collection.`);
  const group = context.state.group(groupName);
  if (!group) return groupNotFound(groupName);
  const parentId = parentOf(resourceId(context, group.name, kind, 'x', parent));
  if (!context.state.resource(parentId)) return parentNotFound(parent);
  const items = [...context.state.resources.values()].filter((resource) => resource.type === kind.type && parentOf(resource.id).toLowerCase() === parentId.toLowerCase());
  return listPage(items, request, context.pageSize, (resource) => kind.view(resource, null));
}

/** Resources - List (per subscription, or per group with Resources - List By Resource Group). */
export function genericResourcesRoute(request: ArmRequest, context: ResourceRoutesContext, groupName: string | undefined): ArmAnswer | ArmFailure {
  if (request.method !== 'GET') return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on resources.`);
  if (groupName !== undefined && !context.state.group(groupName)) return groupNotFound(groupName);
  const filter = resourcesFilter(request.query.get('$filter'));
  if (filter instanceof ArmFailure) return filter;
  const expand = new Set((request.query.get('$expand') ?? '').split(',').map((item) => item.trim().toLowerCase()));
  const items = [...context.state.resources.values()].filter(
    (resource) => (groupName === undefined || resource.resourceGroup.toLowerCase() === groupName.toLowerCase()) && (filter === undefined || filter.matches(resource)),
  );
  return listPage(items, request, context.pageSize, (resource) => ({
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    ...(filter?.byTag ? {} : { tags: resource.tags }),
    ...(expand.has('createdtime') ? { createdTime: resource.createdTime } : {}),
    ...(expand.has('changedtime') ? { changedTime: resource.changedTime } : {}),
    ...(expand.has('provisioningstate') ? { provisioningState: resource.properties.provisioningState } : {}),
  }));
}

/** The operation status resource an Azure-AsyncOperation URL names, or (monitor=true) the Location view. */
export function operationRoute(request: ArmRequest, context: ResourceRoutesContext, operationId: string): ArmAnswer | ArmFailure {
  const operation = context.state.pollOperation(operationId);
  if (!operation) return armError(404, 'NotFound', `The operation '${operationId}' was not found.`);
  if (request.query.get('monitor') === 'true') {
    if (operation.status === 'InProgress') return { status: 202, headers: { location: `${request.origin}${request.path}?${request.query.toString()}`, 'retry-after': String(context.pollRetryAfterSeconds) } };
    if (operation.error) return armError(400, operation.error.code, operation.error.message);
    const result = operation.result();
    return result === undefined ? { status: 204 } : { status: 200, body: result };
  }
  return {
    status: 200,
    ...(operation.status === 'InProgress' ? { headers: { 'retry-after': String(context.pollRetryAfterSeconds) } } : {}),
    body: {
      name: operation.id,
      status: operation.status,
      startTime: operation.startTime,
      ...(operation.endTime ? { endTime: operation.endTime } : {}),
      ...(operation.error ? { error: operation.error } : {}),
    },
  };
}
