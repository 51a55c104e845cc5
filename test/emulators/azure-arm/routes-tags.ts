/**
 * Tags - Update At Scope (`PATCH {scope}/providers/Microsoft.Resources/tags/default`): merges into,
 * replaces or deletes from the tags of a resource group or a resource, as ARM's Tags API does, and
 * answers the tags the scope carries afterwards. Tags - Get At Scope answers them too.
 */
import { ArmFailure, armError, isRecord, readTags, type ArmAnswer, type ArmRequest } from './arm-http';
import type { ResourceRoutesContext } from './routes-resources';

export function tagsAtScopeRoute(request: ArmRequest, context: ResourceRoutesContext, scope: readonly string[]): ArmAnswer | ArmFailure {
  const scopeId = `/${scope.join('/')}`;
  const isGroup = scope.length === 4 && scope[2]?.toLowerCase() === 'resourcegroups';
  const holder = isGroup ? context.state.group(scope[3] ?? '') : context.state.resource(scopeId);
  if (!holder) return armError(404, isGroup ? 'ResourceGroupNotFound' : 'ResourceNotFound', `The scope '${scopeId}' could not be found.`);
  const answer = (): ArmAnswer => ({ status: 200, body: { id: `${scopeId}/providers/Microsoft.Resources/tags/default`, name: 'default', type: 'Microsoft.Resources/tags', properties: { tags: holder.tags } } });
  if (request.method === 'GET') return answer();
  if (request.method !== 'PATCH') return armError(405, 'MethodNotAllowed', `The ${request.method} method is not supported on tags.`);
  const body = isRecord(request.body) ? request.body : {};
  const properties = isRecord(body.properties) ? body.properties : {};
  const tags = readTags(properties);
  if (tags instanceof ArmFailure) return tags;
  const without = (current: Record<string, string>, names: readonly string[]) => {
    const dropped = new Set(names.map((name) => name.toLowerCase()));
    return Object.fromEntries(Object.entries(current).filter(([name]) => !dropped.has(name.toLowerCase())));
  };
  let next: Record<string, string>;
  if (body.operation === 'Merge') next = { ...without(holder.tags, Object.keys(tags)), ...tags };
  else if (body.operation === 'Replace') next = { ...tags };
  else if (body.operation === 'Delete') next = without(holder.tags, Object.keys(tags));
  else return armError(400, 'InvalidTagsPatchOperation', `The operation must be Merge, Replace or Delete, not '${String(body.operation)}'.`);
  if (Object.keys(next).length > 50) return armError(400, 'InvalidTagCount', 'A resource may carry at most 50 tags.');
  holder.tags = next;
  return answer();
}
