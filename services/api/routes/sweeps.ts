/**
 * Orphan sweeps over REST, as one Fastify plugin declaring its TypeBox schemas:
 *   POST   .../namespaces/{ns}/sweeps                   start a sweep (dry-run unless spec.mode is delete)
 *   GET    .../namespaces/{ns}/sweeps[?watch=1]         list the Sweep objects (the projection), or watch them
 *   GET    .../namespaces/{ns}/sweeps/{name}            one sweep's report
 *   POST   .../namespaces/{ns}/sweepschedules           a Temporal Schedule (overlap SKIP) starting sweeps, one per target
 *   GET    .../namespaces/{ns}/sweepschedules[/{name}]
 *   DELETE .../namespaces/{ns}/sweepschedules/{name}
 *   POST   .../namespaces/{ns}/sweepschedules/{name}:pause and :unpause
 * A sweep's credentials secret is named, never sent: the worker resolves it in the namespace.
 */
import { randomUUID } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import { GROUP_VERSION } from '../../../crds/schemas/common';
import type { PlatformName } from '../../../crds/schemas/cluster-deployment';
import { SWEEP_KIND, SWEEP_SCHEDULE_KIND, SWEEP_WORKFLOW_TYPE, describeSweepTarget, getSweep, sweepNameOf, sweepTargetKey, type SweepInput, type SweepObject } from '../../../workflows/sweep/definitions';
import { SweepRunState } from '../../../workflows/sweep/run-state';
import type { SlipwayConfig } from '../../common/config';
import type { Projection } from '../../common/projection';
import { ProblemError } from '../problem';
import { createScheduleTargets, type ScheduleTargetMemo } from '../sweep-schedule-targets';
import { checkBody } from '../validation';
import { body, json, problems, WATCH_EVENT } from './schemas';
import { DEFAULT_WATCH_TIMINGS, streamWatch, type WatchTimings } from '../watch';
import {
  NamespaceParams,
  ScheduleCreateBody,
  ScheduleItemParams,
  ScheduleListSchema,
  ScheduleObjectSchema,
  SweepCreateBody,
  SweepItemParams,
  SweepListQuery,
  SweepListSchema,
  SweepObjectSchema,
  type ScheduleCreate,
  type ScheduleObject,
  type ScheduleSpec,
  type SweepCreate,
  type SweepSettingsBody,
} from './sweep-schemas';

export interface SweepRouteDeps {
  readonly temporal: Client;
  /** Where creates of a schedule for one target take turns (sweep-schedule-targets.ts). */
  readonly redis: Redis;
  readonly projection: Projection;
  readonly config: Pick<SlipwayConfig, 'taskQueue' | 'managementId' | 'redisPrefix'>;
  readonly watchTimings?: WatchTimings;
}

const BASE = `/apis/${GROUP_VERSION}/namespaces/:namespace`;
export const SWEEPS_PATH = `${BASE}/sweeps`;
export const SWEEP_SCHEDULES_PATH = `${BASE}/sweepschedules`;

const tags = ['Sweep'];
/** Every sweep route can answer these: a bad parameter, no token, a server fault; and for any body (DELETE's too) one that cannot be read. */
const BASE_PROBLEMS = [400, 401, 413, 415, 500] as const;

interface NamespaceOnly {
  namespace: string;
}
interface Item {
  namespace: string;
  name: string;
}

function sweepInput(namespace: string, spec: SweepSettingsBody, managementId: string, schedule?: string): SweepInput {
  return {
    target: {
      platform: spec.platform as PlatformName,
      region: spec.region ?? '',
      ...(spec.credentialsSecret ? { credentialsRef: { namespace, name: spec.credentialsSecret } } : {}),
    },
    mode: spec.mode ?? 'dry-run',
    ...(spec.minAgeSeconds !== undefined ? { minAgeMs: spec.minAgeSeconds * 1000 } : {}),
    ...(spec.maxDeletions !== undefined ? { maxDeletions: spec.maxDeletions } : {}),
    namespace,
    managementId,
    ...(schedule ? { schedule } : {}),
  };
}

const scheduleId = (namespace: string, name: string) => `${SWEEP_SCHEDULE_KIND}/${namespace}/${name}`;

function scheduleObject(namespace: string, name: string, description: ScheduleDescription): ScheduleObject {
  const spec = description.memo?.spec as ScheduleSpec;
  const next = description.info.nextActionTimes[0];
  return {
    apiVersion: GROUP_VERSION,
    kind: SWEEP_SCHEDULE_KIND,
    metadata: { name, namespace },
    spec: { ...spec, paused: description.state.paused },
    status: {
      paused: description.state.paused,
      runs: description.info.numActionsTaken,
      skipped: description.info.numActionsSkippedOverlap,
      recentSweeps: description.info.recentActions.map((action) => sweepNameOf(action.action.workflow.workflowId, namespace)),
      ...(next ? { nextRunAt: next.toISOString() } : {}),
    },
  };
}

export const sweepRoutes: FastifyPluginAsync<SweepRouteDeps> = async (app, deps) => {
  const { temporal, projection, config } = deps;
  const targets = createScheduleTargets(temporal, deps.redis, config.redisPrefix, config.taskQueue);

  app.post<{ Params: NamespaceOnly; Body: SweepCreate }>(SWEEPS_PATH, {
    schema: {
      operationId: 'createSweep',
      summary: 'Start an orphan sweep (a dry run unless spec.mode is delete)',
      tags,
      params: NamespaceParams,
      body: body(SweepCreateBody),
      response: { 201: json('Started: the Sweep, its report filled in as it runs', SweepObjectSchema), ...problems(...BASE_PROBLEMS, 409, 422) },
    },
  }, async (request, reply) => {
    const { namespace } = request.params;
    request.body = checkBody(SweepCreateBody, request.body);
    const name = request.body.metadata?.name ?? `sweep-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
    const input = sweepInput(namespace, request.body.spec, config.managementId);
    try {
      await temporal.workflow.start(SWEEP_WORKFLOW_TYPE, {
        taskQueue: config.taskQueue,
        workflowId: `${SWEEP_KIND}/${namespace}/${name}`,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [input],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new ProblemError(409, 'already-exists', `a sweep named ${name} already exists in ${namespace}; give another metadata.name, or none.`, [{ path: 'body.metadata.name', message: 'already taken' }]);
      throw error;
    }
    return reply.code(201).send(new SweepRunState(input, name, Date.now()).object());
  });

  app.get<{ Params: NamespaceOnly; Querystring: { watch?: string; resourceVersion?: string; timeoutSeconds?: string; allowWatchBookmarks?: string } }>(SWEEPS_PATH, {
    schema: {
      operationId: 'listSweeps',
      summary: 'List the sweeps (from the projection), or watch them as Server-Sent Events with watch=1',
      tags,
      params: NamespaceParams,
      querystring: SweepListQuery,
      response: {
        200: { description: 'A SweepList, or with watch=1 (or Accept: text/event-stream) a stream of events', content: { 'application/json': { schema: SweepListSchema }, 'text/event-stream': { schema: WATCH_EVENT } } },
        ...problems(...BASE_PROBLEMS, 410),
      },
    },
  }, async (request, reply) => {
    const { namespace } = request.params;
    const query = request.query;
    const isTrue = (value: string | undefined) => value === '1' || value === 'true';
    if (isTrue(query.watch) || (request.headers.accept ?? '').includes('text/event-stream')) {
      const stream = await projection.openWatch(SWEEP_KIND, { namespace, ...(query.resourceVersion ? { resourceVersion: query.resourceVersion } : {}) }).catch((error: unknown) => {
        throw new ProblemError(410, 'resource-version-gone', `${error instanceof Error ? error.message : String(error)}; list again, then watch from the list's resourceVersion.`);
      });
      await streamWatch(request, reply, stream, {
        ...(query.timeoutSeconds ? { timeoutSeconds: Number(query.timeoutSeconds) } : {}),
        bookmarks: isTrue(query.allowWatchBookmarks),
        timings: deps.watchTimings ?? DEFAULT_WATCH_TIMINGS,
        bookmarkOf: (version) => ({ apiVersion: GROUP_VERSION, kind: SWEEP_KIND, metadata: { resourceVersion: version } }),
      });
      return reply;
    }
    const page = await projection.list(SWEEP_KIND, { namespace });
    return { apiVersion: GROUP_VERSION, kind: 'SweepList', metadata: page.metadata, items: page.items };
  });

  app.get<{ Params: Item }>(`${SWEEPS_PATH}/:name`, {
    schema: {
      operationId: 'readSweep',
      summary: "A sweep's report: counts per decision, and each decision with its reason",
      tags,
      params: SweepItemParams,
      response: { 200: json('The Sweep', SweepObjectSchema), ...problems(...BASE_PROBLEMS, 404) },
    },
  }, async (request) => {
    const { namespace, name } = request.params;
    const projected = await projection.get(SWEEP_KIND, namespace, name);
    if (projected) return projected;
    try {
      // The projection may lag the start by a moment: ask the run itself.
      return await temporal.workflow.getHandle(`${SWEEP_KIND}/${namespace}/${name}`).query<SweepObject>(getSweep);
    } catch {
      throw new ProblemError(404, 'not-found', `no sweep ${name} in ${namespace}. List them with GET .../sweeps.`);
    }
  });

  app.post<{ Params: NamespaceOnly; Body: ScheduleCreate }>(SWEEP_SCHEDULES_PATH, {
    schema: {
      operationId: 'createSweepSchedule',
      summary: 'Create a Temporal Schedule that starts a sweep every spec.intervalSeconds (overlap SKIP); one per provider, account and region',
      tags,
      params: NamespaceParams,
      body: body(ScheduleCreateBody),
      response: { 201: json('Created', ScheduleObjectSchema), ...problems(...BASE_PROBLEMS, 409, 422) },
    },
  }, async (request, reply) => {
    const { namespace } = request.params;
    request.body = checkBody(ScheduleCreateBody, request.body);
    const { name } = request.body.metadata;
    const spec = request.body.spec;
    const input = { ...sweepInput(namespace, spec, config.managementId, name), ...(spec.keepReports !== undefined ? { keepReports: spec.keepReports } : {}) };
    const target = sweepTargetKey(input.target);
    const id = scheduleId(namespace, name);
    const targetPaths = [{ path: 'body.spec.platform', message: 'names a target that has a schedule' }, { path: 'body.spec.region', message: 'names a target that has a schedule' }, { path: 'body.spec.credentialsSecret', message: 'names a target that has a schedule' }];
    const created = await targets.exclusively(target, id, async () => {
      const existing = await targets.scheduleFor(target);
      if (existing) {
        throw new ProblemError(
          409,
          'target-has-schedule',
          `sweep schedule ${existing.namespace}/${existing.name} already sweeps ${describeSweepTarget(input.target)}, and one schedule per provider account and region is kept. ` +
            `Delete it first (slipway sweep schedule delete ${existing.name}${existing.namespace === 'default' ? '' : ` -n ${existing.namespace}`}, or DELETE .../namespaces/${existing.namespace}/sweepschedules/${existing.name}) and create this one, or keep that one (pause or unpause it as needed).`,
          targetPaths,
        );
      }
      try {
        return await temporal.schedule.create({
          scheduleId: id,
          spec: { intervals: [{ every: `${spec.intervalSeconds}s` }] },
          action: { type: 'startWorkflow', workflowType: SWEEP_WORKFLOW_TYPE, workflowId: `${SWEEP_KIND}/${namespace}/${name}`, taskQueue: config.taskQueue, args: [input] },
          // One run at a time; a start missed while the scheduler was down is made up only within a minute.
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
          state: { paused: spec.paused ?? false, note: 'created through the Slipway API' },
          memo: { spec, ...({ target, taskQueue: config.taskQueue } satisfies ScheduleTargetMemo) },
        });
      } catch (error) {
        if (error instanceof ScheduleAlreadyRunning) throw new ProblemError(409, 'already-exists', `a sweep schedule named ${name} already exists in ${namespace}; delete it first or pick another name.`, [{ path: 'body.metadata.name', message: 'already taken' }]);
        throw error;
      }
    });
    if (!created) {
      throw new ProblemError(409, 'target-busy', `another request is creating a sweep schedule for ${describeSweepTarget(input.target)} right now; list the schedules (slipway sweep schedule list) in a few seconds, and create this one only if none sweeps that target.`, targetPaths);
    }
    return reply.code(201).send(scheduleObject(namespace, name, await created.describe()));
  });

  const describeSchedule = async (namespace: string, name: string): Promise<ScheduleDescription> => {
    try {
      return await temporal.schedule.getHandle(scheduleId(namespace, name)).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) throw new ProblemError(404, 'not-found', `no sweep schedule ${name} in ${namespace}. List them with GET .../sweepschedules.`);
      throw error;
    }
  };

  app.get<{ Params: NamespaceOnly }>(SWEEP_SCHEDULES_PATH, {
    schema: {
      operationId: 'listSweepSchedules',
      summary: 'List the sweep schedules',
      tags,
      params: NamespaceParams,
      response: { 200: json('A SweepScheduleList', ScheduleListSchema), ...problems(...BASE_PROBLEMS) },
    },
  }, async (request) => {
    const { namespace } = request.params;
    const prefix = scheduleId(namespace, '');
    const items: ScheduleObject[] = [];
    for await (const summary of temporal.schedule.list()) {
      if (!summary.scheduleId.startsWith(prefix)) continue;
      const name = summary.scheduleId.slice(prefix.length);
      try {
        items.push(scheduleObject(namespace, name, await temporal.schedule.getHandle(summary.scheduleId).describe()));
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      }
    }
    return { apiVersion: GROUP_VERSION, kind: 'SweepScheduleList', items: items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)) };
  });

  app.get<{ Params: Item }>(`${SWEEP_SCHEDULES_PATH}/:name`, {
    schema: {
      operationId: 'readSweepSchedule',
      summary: 'One sweep schedule: its spec, runs and next start',
      tags,
      params: ScheduleItemParams,
      response: { 200: json('The schedule', ScheduleObjectSchema), ...problems(...BASE_PROBLEMS, 404) },
    },
  }, async (request) => {
    const { namespace, name } = request.params;
    return scheduleObject(namespace, name, await describeSchedule(namespace, name));
  });

  app.delete<{ Params: Item }>(`${SWEEP_SCHEDULES_PATH}/:name`, {
    schema: {
      operationId: 'deleteSweepSchedule',
      summary: 'Delete the schedule (sweeps it started stay listed)',
      tags,
      params: ScheduleItemParams,
      response: { 200: json('The schedule as it was', ScheduleObjectSchema), ...problems(...BASE_PROBLEMS, 404) },
    },
  }, async (request) => {
    const { namespace, name } = request.params;
    const last = scheduleObject(namespace, name, await describeSchedule(namespace, name));
    await temporal.schedule.getHandle(scheduleId(namespace, name)).delete().catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
    return last;
  });

  for (const verb of ['pause', 'unpause'] as const) {
    app.post<{ Params: Item }>(`${SWEEP_SCHEDULES_PATH}/:name([^:/]+)::${verb}`, {
      schema: {
        operationId: `${verb}SweepSchedule`,
        summary: `${verb === 'pause' ? 'Pause' : 'Unpause'} the schedule`,
        tags,
        params: ScheduleItemParams,
        response: { 200: json('The schedule', ScheduleObjectSchema), ...problems(...BASE_PROBLEMS, 404) },
      },
    }, async (request) => {
      const { namespace, name } = request.params;
      await describeSchedule(namespace, name);
      const handle = temporal.schedule.getHandle(scheduleId(namespace, name));
      await (verb === 'pause' ? handle.pause('paused through the Slipway API') : handle.unpause('unpaused through the Slipway API'));
      return scheduleObject(namespace, name, await describeSchedule(namespace, name));
    });
  }
};
