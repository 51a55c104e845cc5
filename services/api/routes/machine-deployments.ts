/**
 * /apis/slipway.dev/v1alpha1/namespaces/{namespace}/machinedeployments[/{name}]: the shared
 * entity routes over the MachineDeployment workflow, plus Cluster API's scale subresource
 * ({name}/scale) and two custom verbs: {name}:plan previews a rollout, {name}:undo rolls
 * back to an earlier revision. A new MachineDeployment is placed on the ClusterDeployment
 * that spec.clusterName names, in the same namespace.
 */
import { QueryNotRegisteredError } from '@temporalio/client';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { isPlainObject } from '../../../crds/json';
import type { MachineDeployment } from '../../../crds/schemas/machine-deployment';
import { validatePatch, type FieldError } from '../../../crds/validate';
import { CLUSTER_DEPLOYMENT_KIND, getClusterDeployment } from '../../../workflows/cluster-deployment/definitions';
import { entityWorkflowId } from '../../../workflows/entity/ids';
import { DEFAULT_IMAGE, platformOf } from '../../../workflows/cluster-deployment/state';
import { longestMachineName } from '../../../workflows/planners/names';
import { cloudNameProblems } from '../../../providers/cloud-names';
import {
  MACHINE_DEPLOYMENT_KIND,
  deleteMachineDeployment,
  getMachineDeployment,
  patchMachineDeployment,
  planMachineDeploymentRollout,
  undoMachineDeployment,
  machinesUpdate,
  type MachineDeploymentInput,
  type MachineDeploymentPlacement,
  type PlanRequest,
} from '../../../workflows/machine-deployment/definitions';
import { OWNER_ANNOTATION, ownedElsewhereMessage, ownerSide } from '../../../workflows/entity/ownership';
import { entityProblem, readProblem } from '../entity-errors';
import { OPTIONAL_BODY, RolloutPreviewSchema } from '../openapi';
import { ProblemError } from '../problem';
import { registerScaleRoutes, requestedReplicas, scaleFor, type Scale } from './scale';
import { checkPatchShape, entityAccess, entityRoutes, invalid, optionalObjectBody, requireObjectBody, type EntityDefinition, queryEntityWorkflow, type EntityRouteDeps, type StartInputDeps } from './entity-routes';
import { body, CHANGE_PROBLEMS, ItemParams, json, kindRef, MERGE_PATCH, problems } from './schemas';

/** A Kubernetes autoscaling/v1 Scale of the MachineDeployment. */
export function scaleOf(object: MachineDeployment): Scale {
  return scaleFor(object, { spec: object.spec.replicas, status: object.status?.replicas ?? 0, selector: object.status?.selector ?? '' });
}

export { requestedReplicas };

export const MACHINE_DEPLOYMENT_WORKFLOW = { kind: MACHINE_DEPLOYMENT_KIND, workflowType: 'machineDeploymentWorkflow' } as const;

/** Cluster API's name-without-colon, so `{name}:verb` splits unambiguously. */
const NAME_BEFORE_VERB = '([^:/]+)';
const MAX_PREVIEW_SECONDS = 86_400;

/** Where a new MachineDeployment's machines go: the platform, region, credentials and infra ID of its cluster. */
export async function placementFor(object: MachineDeployment, deps: StartInputDeps): Promise<MachineDeploymentPlacement> {
  const namespace = object.metadata.namespace ?? 'default';
  const clusterName = object.spec.clusterName;
  const missing = () =>
    new ProblemError(422, 'unknown-cluster', `spec.clusterName names ClusterDeployment ${namespace}/${clusterName}, which does not exist. Create the ClusterDeployment first, then the MachineDeployment.`, [
      { path: 'spec.clusterName', message: `no ClusterDeployment "${clusterName}" in namespace "${namespace}"` },
    ]);
  const holder = await poolNameHolder(namespace, object.metadata.name, deps);
  if (holder !== undefined) {
    throw new ProblemError(409, 'name-reserved', `MachineDeployment ${namespace}/${object.metadata.name} is the name of a worker pool of ClusterDeployment ${namespace}/${holder}, which reserves it. Choose another name for this MachineDeployment.`, [
      { path: 'metadata.name', message: `reserved by ClusterDeployment "${holder}" for its worker pool` },
    ]);
  }
  const snapshot = await queryEntityWorkflow(deps, CLUSTER_DEPLOYMENT_KIND, namespace, clusterName, getClusterDeployment);
  if (!snapshot || snapshot.deleted) throw missing();
  const cluster = snapshot.object;
  if (cluster.metadata.deletionTimestamp) {
    throw new ProblemError(409, 'cluster-being-deleted', `ClusterDeployment ${namespace}/${clusterName} is being deleted; no new MachineDeployment can join it. Wait for the deletion to finish and create the cluster again, or name another cluster.`, [
      { path: 'spec.clusterName', message: `ClusterDeployment "${clusterName}" is being deleted` },
    ]);
  }
  const infraId = cluster.status?.infraID;
  if (!infraId) {
    throw new ProblemError(409, 'cluster-not-ready', `ClusterDeployment ${namespace}/${clusterName} has no infrastructure ID yet. Retry in a moment.`, [
      { path: 'spec.clusterName', message: `ClusterDeployment "${clusterName}" has not reported status.infraID yet` },
    ]);
  }
  // Every cloud must accept the names this MachineDeployment's machines will get.
  const nameProblems = cloudNameProblems(infraId, longestMachineName(object.metadata.name));
  if (nameProblems.length > 0) {
    throw new ProblemError(422, 'invalid-object', `MachineDeployment ${namespace}/${object.metadata.name} would give its machines names some cloud refuses: ${nameProblems.join(' ')}`, nameProblems.map((message) => ({ path: 'metadata.name', message })));
  }
  const platform = platformOf(cluster.spec);
  return {
    target: {
      platform: platform.platform,
      region: platform.region,
      ...(platform.credentialsSecretName ? { credentialsRef: { namespace, name: platform.credentialsSecretName } } : {}),
    },
    infraId,
    defaultImage: cluster.spec.provisioning?.releaseImage ?? DEFAULT_IMAGE,
    attempt: 0,
    cluster: { kind: CLUSTER_DEPLOYMENT_KIND, name: clusterName, uid: cluster.metadata.uid ?? '', workflowId: entityWorkflowId(CLUSTER_DEPLOYMENT_KIND, namespace, clusterName) },
  };
}

/**
 * The ClusterDeployment whose worker pool `<cluster>-<pool>` has this name, if any: a cluster
 * reserves its pools' names from its creation, so no standalone MachineDeployment may take
 * one. Each candidate split of the name is read from the cluster's own workflow, not a cache.
 */
export async function poolNameHolder(namespace: string, name: string, deps: StartInputDeps): Promise<string | undefined> {
  const splits = [...name.matchAll(/-/g)].map((match) => match.index).filter((index): index is number => index !== undefined);
  for (const index of splits) {
    const clusterName = name.slice(0, index);
    const pool = name.slice(index + 1);
    const snapshot = await queryEntityWorkflow(deps, CLUSTER_DEPLOYMENT_KIND, namespace, clusterName, getClusterDeployment);
    if (snapshot && !snapshot.deleted && (snapshot.object.spec.compute ?? []).some((entry) => entry.name === pool)) return clusterName;
  }
  return undefined;
}

function optionalSeconds(body: Record<string, unknown>, key: string, errors: FieldError[]): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PREVIEW_SECONDS) {
    errors.push({ path: key, message: `expected a number of seconds from 0 to ${MAX_PREVIEW_SECONDS}` });
    return undefined;
  }
  return value;
}

/** Reads a :plan body, `{ patch?, bootSeconds?, drainSeconds? }`, checking its shape. */
export function planRequestOf(body: Record<string, unknown>): PlanRequest {
  const errors: FieldError[] = Object.keys(body)
    .filter((key) => !['patch', 'bootSeconds', 'drainSeconds'].includes(key))
    .map((key) => ({ path: key, message: 'is not a field of a plan request; send { patch?, bootSeconds?, drainSeconds? }' }));
  const bootSeconds = optionalSeconds(body, 'bootSeconds', errors);
  const drainSeconds = optionalSeconds(body, 'drainSeconds', errors);
  if (body.patch !== undefined && !isPlainObject(body.patch)) errors.push({ path: 'patch', message: 'expected a merge patch object: { spec?, metadata? }' });
  if (errors.length > 0) throw invalid(errors, 'the plan request');
  const patch = isPlainObject(body.patch) ? checkPatchShape(body.patch, 'patch.') : undefined;
  return { ...(patch ? { patch } : {}), ...(bootSeconds !== undefined ? { bootSeconds } : {}), ...(drainSeconds !== undefined ? { drainSeconds } : {}) };
}

/** Reads an :undo body, `{ toRevision? }`. */
export function undoRequestOf(body: Record<string, unknown>): { toRevision?: number } {
  const errors: FieldError[] = Object.keys(body)
    .filter((key) => key !== 'toRevision')
    .map((key) => ({ path: key, message: 'is not a field of an undo request; send { toRevision? }' }));
  const toRevision = body.toRevision;
  if (toRevision !== undefined && (typeof toRevision !== 'number' || !Number.isInteger(toRevision) || toRevision < 1)) {
    errors.push({ path: 'toRevision', message: 'expected a revision number (1 or more), as status.machineSets[].revisionNumber shows' });
  }
  if (errors.length > 0) throw invalid(errors, 'the undo request');
  return typeof toRevision === 'number' ? { toRevision } : {};
}

/** The entity's workflow names and start input (REST and the controller share it). */
export const machineDeploymentEntity: EntityDefinition<typeof MACHINE_DEPLOYMENT_KIND> = {
  ...MACHINE_DEPLOYMENT_WORKFLOW,
  getObject: getMachineDeployment,
  patchObject: patchMachineDeployment,
  deleteObject: deleteMachineDeployment,
  startInput: async (object, routeDeps): Promise<MachineDeploymentInput> => ({
    object,
    managementId: routeDeps.config.managementId,
    placement: await placementFor(object, routeDeps),
  }),
};

const MachineParams = Type.Object({ ...ItemParams.properties, machine: Type.String({ minLength: 1, description: 'A machine name from status.machines' }) });

const PlanBody = Type.Object(
  {
    patch: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'A merge patch as for PATCH; the current spec when absent' })),
    bootSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_PREVIEW_SECONDS, description: 'How long a machine takes to boot, for expectedSeconds' })),
    drainSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_PREVIEW_SECONDS, description: 'How long a machine takes to drain, for expectedSeconds' })),
  },
  { additionalProperties: false },
);

const UndoBody = Type.Object(
  { toRevision: Type.Optional(Type.Integer({ minimum: 1, description: 'A status.machineSets[].revisionNumber; the previous revision when absent' })) },
  { additionalProperties: false },
);

const MachinePatchBody = Type.Object(
  {
    metadata: Type.Object({
      annotations: Type.Object({}, { additionalProperties: Type.Union([Type.String(), Type.Null()]), description: 'Annotation values to set; null removes one' }),
    }),
  },
  { additionalProperties: false },
);

/**
 * The plugin: the shared entity routes for MachineDeployments, plus the scale subresource,
 * :plan and :undo, and one machine's DELETE and PATCH. Its options are the routes' dependencies.
 */
export const machineDeploymentRoutes: FastifyPluginAsyncTypebox<EntityRouteDeps> = async (app, deps) => {
  await app.register(entityRoutes(machineDeploymentEntity), deps);
  const routes = entityAccess(deps, machineDeploymentEntity);
  const verbPath = (verb: string) => `${routes.collectionPath}/:name${NAME_BEFORE_VERB}::${verb}`;
  const tags = [MACHINE_DEPLOYMENT_KIND];
  registerScaleRoutes(app, routes, { kind: MACHINE_DEPLOYMENT_KIND, scaleOf, replicasPatch: (replicas) => ({ spec: { replicas } }) });

  app.post(
    verbPath('plan'),
    {
      schema: {
        operationId: 'planMachineDeploymentRollout',
        summary: 'Preview the rollout a change would make: waves of machines deleted and created, under maxSurge/maxUnavailable',
        tags,
        params: ItemParams,
        body: body(PlanBody),
        [OPTIONAL_BODY]: true,
        response: { 200: json('A RolloutPreview', Type.Ref(RolloutPreviewSchema)), ...problems(...CHANGE_PROBLEMS) },
      },
    },
    async (request) => {
      const { namespace, name } = request.params;
      const planRequest = planRequestOf(optionalObjectBody(request.body, 'a plan request: { patch?, bootSeconds?, drainSeconds? }'));
      // Read first: a missing or deleted object is a 404, and a bad patch is refused with its field paths.
      const current = await routes.read(namespace, name);
      if (planRequest.patch) {
        const checked = validatePatch(MACHINE_DEPLOYMENT_KIND, current, planRequest.patch);
        if (!checked.ok) throw invalid(checked.errors.map((error) => ({ ...error, path: `patch.${error.path}` })), 'the patch to preview');
      }
      try {
        return await routes.handleFor(namespace, name).query(planMachineDeploymentRollout, planRequest);
      } catch (error) {
        // A Query that fails reaches the client as QueryNotRegisteredError carrying the failure's message.
        if (error instanceof QueryNotRegisteredError) {
          throw new ProblemError(422, 'plan-refused', `the rollout of ${MACHINE_DEPLOYMENT_KIND} ${namespace}/${name} could not be previewed: ${error.message}`, [{ path: 'patch', message: error.message }]);
        }
        throw readProblem(error, MACHINE_DEPLOYMENT_KIND, namespace, name);
      }
    },
  );

  // One machine of the MachineDeployment: DELETE replaces it (under OnDelete, from the new
  // template); PATCH sets or removes (null) its annotations, such as slipway.dev/delete-machine
  // (delete it first when scaling down) and slipway.dev/skip-remediation.
  const machinePath = `${routes.itemPath}/machines/:machine`;
  const actOnMachine = async (params: { namespace: string; name: string; machine: string }, request: { annotations?: Record<string, string | null>; delete?: boolean }) => {
    const { namespace, name, machine } = params;
    try {
      return await routes.write(namespace, name, machinesUpdate, [{ names: [machine], ...request }]);
    } catch (error) {
      throw entityProblem(error, MACHINE_DEPLOYMENT_KIND, namespace, name);
    }
  };
  const machineDeployment = kindRef(MACHINE_DEPLOYMENT_KIND);
  app.delete(
    machinePath,
    {
      schema: {
        operationId: 'deleteMachineDeploymentMachine',
        summary: 'Delete one machine; the MachineDeployment replaces it (under OnDelete, from the new template)',
        tags,
        params: MachineParams,
        response: { 202: json('The MachineDeployment', machineDeployment), ...problems(...CHANGE_PROBLEMS) },
      },
    },
    async (request, reply) => reply.code(202).send(await actOnMachine(request.params, { delete: true })),
  );
  app.patch(
    machinePath,
    {
      schema: {
        operationId: 'patchMachineDeploymentMachine',
        summary: 'Set or remove (null) annotations of one machine, e.g. slipway.dev/delete-machine or slipway.dev/skip-remediation',
        tags,
        params: MachineParams,
        body: body(MachinePatchBody, MERGE_PATCH),
        response: { 200: json('The MachineDeployment', machineDeployment), ...problems(...CHANGE_PROBLEMS) },
      },
    },
    async (request) => {
      const patch = requireObjectBody(request.body, 'a merge patch of the machine: { metadata: { annotations: { key: value | null } } }');
      const errors: FieldError[] = Object.keys(patch)
        .filter((key) => key !== 'metadata')
        .map((key) => ({ path: key, message: 'cannot be changed; a machine patch may set only metadata.annotations' }));
      const metadata = patch.metadata;
      const annotations = isPlainObject(metadata) ? metadata.annotations : undefined;
      if (!isPlainObject(annotations)) errors.push({ path: 'metadata.annotations', message: 'is required: an object of annotation values (null removes one)' });
      else {
        for (const [key, value] of Object.entries(annotations)) {
          if (value !== null && typeof value !== 'string') errors.push({ path: `metadata.annotations[${JSON.stringify(key)}]`, message: 'expected a string, or null to remove the annotation' });
        }
      }
      if (errors.length > 0 || !isPlainObject(annotations)) throw invalid(errors, 'the machine patch');
      return actOnMachine(request.params, { annotations: annotations as Record<string, string | null> });
    },
  );

  app.post(
    verbPath('undo'),
    {
      schema: {
        operationId: 'undoMachineDeploymentRollout',
        summary: 'Roll back to an earlier template revision (the previous one when toRevision is absent)',
        tags,
        params: ItemParams,
        body: body(UndoBody),
        [OPTIONAL_BODY]: true,
        response: { 200: json('The changed object', machineDeployment), ...problems(...CHANGE_PROBLEMS) },
      },
    },
    async (request) => {
      const { namespace, name } = request.params;
      const undo = undoRequestOf(optionalObjectBody(request.body, 'an undo request: { toRevision? }'));
      // An undo changes the template, which a MachineDeployment's custom resource owns when it drives it.
      const owner = ownerSide(await routes.read(namespace, name));
      if (owner !== 'rest') {
        throw new ProblemError(409, 'owned-by-kubernetes', ownedElsewhereMessage(MACHINE_DEPLOYMENT_KIND, namespace, name, owner), [
          { path: `metadata.annotations["${OWNER_ANNOTATION}"]`, message: 'is kubernetes: roll back through the custom resource, or hand it over to rest' },
        ]);
      }
      try {
        const object = await routes.write(namespace, name, undoMachineDeployment, [undo]);
        request.log.info({ workflowId: entityWorkflowId(MACHINE_DEPLOYMENT_KIND, namespace, name), ...undo }, 'MachineDeployment rollback requested');
        return object;
      } catch (error) {
        throw entityProblem(error, MACHINE_DEPLOYMENT_KIND, namespace, name);
      }
    },
  );
};
