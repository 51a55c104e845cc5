/**
 * The autoscaling/v1 Scale subresource ({name}/scale) of a kind that has replicas: GET reads
 * it, PATCH (a merge patch of a Scale) and PUT (a whole Scale) set spec.replicas through the
 * entity's patch Update. MachineDeployments and NodePools register it.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { isPlainObject } from '../../../crds/json';
import type { KindName, KindObjects } from '../../../crds/schemas/index';
import type { FieldError } from '../../../crds/validate';
import { ScaleSchema } from '../openapi';
import { invalid, requireObjectBody, type EntityAccess, type EntityPatch } from './entity-routes';
import { body, CHANGE_PROBLEMS, ItemParams, json, MERGE_PATCH, problems, READ_PROBLEMS } from './schemas';

export interface Scale {
  readonly apiVersion: 'autoscaling/v1';
  readonly kind: 'Scale';
  readonly metadata: { readonly name: string; readonly namespace: string; readonly uid?: string; readonly creationTimestamp?: string };
  readonly spec: { readonly replicas: number };
  readonly status: { readonly replicas: number; readonly selector: string };
}

/** A Scale of an object: its name and identity, the replicas it asks for and has, and its selector. */
export function scaleFor(object: { readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string; readonly creationTimestamp?: string } }, replicas: { spec: number; status: number; selector: string }): Scale {
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace ?? 'default',
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      ...(object.metadata.creationTimestamp ? { creationTimestamp: object.metadata.creationTimestamp } : {}),
    },
    spec: { replicas: replicas.spec },
    status: { replicas: replicas.status, selector: replicas.selector },
  };
}

/**
 * The replicas a Scale body asks for; undefined when a merge patch leaves them out. Other
 * Scale fields may be sent (as kubectl does) but must agree with the object.
 */
export function requestedReplicas(body: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const errors: FieldError[] = [];
  if (body.apiVersion !== undefined && body.apiVersion !== 'autoscaling/v1') errors.push({ path: 'apiVersion', message: 'must be "autoscaling/v1" or absent' });
  if (body.kind !== undefined && body.kind !== 'Scale') errors.push({ path: 'kind', message: 'must be "Scale" or absent' });
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) errors.push({ path: 'metadata', message: 'expected an object: { name? }' });
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name) errors.push({ path: 'metadata.name', message: `must be "${name}" (the name in the path) or absent` });
  for (const key of Object.keys(body)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key)) errors.push({ path: key, message: 'is not a field of Scale; send { spec: { replicas } }' });
  }
  const spec = body.spec;
  let replicas: number | undefined;
  if (spec === undefined && required) errors.push({ path: 'spec.replicas', message: 'is required: send { spec: { replicas: <count> } }' });
  else if (spec !== undefined && !isPlainObject(spec)) errors.push({ path: 'spec', message: 'expected an object: { replicas: <count> }' });
  else if (isPlainObject(spec)) {
    const value = spec.replicas;
    if (value === undefined && required) errors.push({ path: 'spec.replicas', message: 'is required' });
    else if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) errors.push({ path: 'spec.replicas', message: 'expected a whole number of machines, 0 or more' });
    else if (typeof value === 'number') replicas = value;
  }
  if (errors.length > 0) throw invalid(errors, 'the Scale');
  return replicas;
}

/**
 * What PATCH and PUT of the scale subresource read: kubectl sends a whole Scale; only
 * spec.replicas is taken, and the rest must agree with the object (requestedReplicas).
 */
const ScaleRequest = Type.Object(
  {
    apiVersion: Type.Optional(Type.Literal('autoscaling/v1')),
    kind: Type.Optional(Type.Literal('Scale')),
    metadata: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ description: 'The name in the path, if given' })) }, { additionalProperties: true })),
    spec: Type.Optional(Type.Object({ replicas: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: true })),
    status: Type.Optional(Type.Unknown({ description: 'Ignored' })),
  },
  { additionalProperties: false, description: 'A Scale, or a merge patch of one: { spec: { replicas } }' },
);

export interface ScaleOptions<K extends KindName> {
  readonly kind: K;
  readonly scaleOf: (object: KindObjects[K]) => Scale;
  /** The patch that sets the replicas; may refuse (a ProblemError) when the object cannot be scaled this way. */
  readonly replicasPatch: (replicas: number, current: KindObjects[K]) => EntityPatch;
}

/** Registers GET, PATCH and PUT of {name}/scale for a kind, with operation IDs read<Kind>Scale, patch<Kind>Scale and replace<Kind>Scale. */
export function registerScaleRoutes<K extends KindName>(app: FastifyInstance, routes: EntityAccess<K>, options: ScaleOptions<K>): void {
  const { kind } = options;
  const scalePath = `${routes.itemPath}/scale`;
  const tags = [kind];
  const scale = Type.Ref(ScaleSchema);
  app.get(
    scalePath,
    { schema: { operationId: `read${kind}Scale`, summary: 'Read the scale subresource', tags, params: ItemParams, response: { 200: json('The Scale', scale), ...problems(...READ_PROBLEMS) } } },
    async (request) => {
      const { namespace, name } = request.params as { namespace: string; name: string };
      // As GET of the object: the projection's copy when it holds every acknowledged write.
      const current = await routes.readCurrent(namespace, name);
      return options.scaleOf(Buffer.isBuffer(current) ? (JSON.parse(current.toString('utf8')) as KindObjects[K]) : current);
    },
  );
  const scaleRoute = (operationId: string, summary: string, required: boolean) => ({
    schema: { operationId, summary, tags, params: ItemParams, body: body(ScaleRequest, MERGE_PATCH), response: { 200: json('The new Scale', scale), ...problems(...CHANGE_PROBLEMS) } },
    handler: async (request: { params: unknown; body: unknown }) => {
      const { namespace, name } = request.params as { namespace: string; name: string };
      const replicas = requestedReplicas(requireObjectBody(request.body, 'a Scale: { spec: { replicas: <count> } }'), name, required);
      const current = await routes.read(namespace, name);
      const object = replicas === undefined ? current : await routes.patch(namespace, name, options.replicasPatch(replicas, current));
      return options.scaleOf(object);
    },
  });
  const patchScale = scaleRoute(`patch${kind}Scale`, 'Set spec.replicas through a merge patch of the Scale', false);
  app.patch(scalePath, { schema: patchScale.schema }, patchScale.handler);
  const putScale = scaleRoute(`replace${kind}Scale`, 'Set spec.replicas through a whole Scale', true);
  app.put(scalePath, { schema: putScale.schema }, putScale.handler);
}
