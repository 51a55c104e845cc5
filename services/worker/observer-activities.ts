/**
 * The cloud observer's activities. observeCloud lists every machine of this management plane
 * in one account and region page by page, sorts them to their subscribers by infra ID and
 * name, and reports only the subscribers whose machines differ from what they were last sent.
 * While a subscriber expects a change it looks again every poll interval (heartbeating); when
 * none does, it makes one pass and returns, and the observer workflow waits on a timer.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TAG } from '../../providers/tags';
import type { CloudObserverActivities, ObservedChange } from '../../workflows/cloud-observer/activities-api';
import { CLOUD_OBSERVER_WORKFLOW_TYPE, observerViewQuery, subscribeSignal, subscriberExpecting, type ObserverView, type Subscription } from '../../workflows/cloud-observer/definitions';
import { OBSERVE_MAX_SECONDS } from '../../workflows/cloud-observer/constants';
import type { MachineObservation } from '../../workflows/machine-deployment/activities-api';
import { observationFingerprint } from '../../workflows/machine-deployment/activities-api';
import type { AdapterResolver } from './cluster-activities';
import { withRetryClassification } from './errors';

export interface CloudObserverActivityDeps {
  readonly adapters: AdapterResolver;
  readonly temporal: Client;
  /** The task queue observers run on: the one of the worker that starts them. */
  readonly taskQueue: string;
  readonly pollIntervalMs?: number;
}

/** A stable summary of a subscriber's machines: equal digests mean nothing it acts on changed. */
export function observationDigest(machines: Readonly<Record<string, MachineObservation>>): string {
  const lines = Object.entries(machines)
    .map(([name, observation]) => `${name}=${observationFingerprint(observation)}`)
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

/** Sorts machines to subscribers: the cloud name is <infraId>-<machine name>, and the name must match the subscriber's pattern. */
function subscribersByInfraId(subscriptions: readonly Subscription[]): Map<string, { subscription: Subscription; pattern: RegExp }[]> {
  const byInfraId = new Map<string, { subscription: Subscription; pattern: RegExp }[]>();
  for (const subscription of subscriptions) {
    const list = byInfraId.get(subscription.infraId) ?? [];
    list.push({ subscription, pattern: new RegExp(subscription.namePattern) });
    byInfraId.set(subscription.infraId, list);
  }
  return byInfraId;
}

/** How long a pass waits for its observer to answer the subscription Query. */
const VIEW_QUERY_DEADLINE_MS = 5_000;

export function createCloudObserverActivities(deps: CloudObserverActivityDeps): CloudObserverActivities {
  const pollIntervalMs = deps.pollIntervalMs ?? 500;
  // The last subscription list each observer answered with. Under load a Query can wait behind
  // workflow tasks; a pass then works from the list it last saw (a subscriber that joined since
  // is served on the next pass) instead of stalling the observer.
  const lastViews = new Map<string, ObserverView>();
  const currentView = async (handle: WorkflowHandle, observerWorkflowId: string): Promise<ObserverView> => {
    try {
      const view = await deps.temporal.withDeadline(Date.now() + VIEW_QUERY_DEADLINE_MS, () => handle.query(observerViewQuery));
      lastViews.set(observerWorkflowId, view);
      return view;
    } catch (error) {
      const last = lastViews.get(observerWorkflowId);
      if (last) return last;
      throw error;
    }
  };
  return {
    async observeCloud(input) {
      const adapter = await deps.adapters(input.target);
      const handle = deps.temporal.workflow.getHandle(input.observerWorkflowId);
      const deadline = Date.now() + OBSERVE_MAX_SECONDS * 1000;
      for (;;) {
        const view = await currentView(handle, input.observerWorkflowId);
        const byInfraId = subscribersByInfraId(view.subscriptions);
        const seen = new Map<string, Record<string, MachineObservation>>(view.subscriptions.map((subscription) => [subscription.workflowId, {}]));
        await withRetryClassification('list machines', async () => {
          for await (const machine of adapter.listMachines({ [TAG.management]: input.managementId })) {
            Context.current().heartbeat();
            if (machine.phase === 'terminated') continue;
            const infraId = machine.tags[TAG.cluster];
            if (infraId === undefined || !machine.name.startsWith(`${infraId}-`)) continue;
            const name = machine.name.slice(infraId.length + 1);
            const owner = byInfraId.get(infraId)?.find((candidate) => candidate.pattern.test(name));
            if (!owner) continue;
            const observations = seen.get(owner.subscription.workflowId);
            if (observations) observations[name] = { providerId: machine.providerId, phase: machine.phase, ...(machine.node !== undefined ? { node: machine.node } : {}) };
          }
        });
        const changes: ObservedChange[] = [];
        for (const [workflowId, machines] of seen) {
          const digest = observationDigest(machines);
          if (view.sent[workflowId] !== digest) changes.push({ workflowId, digest, machines });
        }
        const expecting = view.subscriptions.some((subscription) => subscriberExpecting(subscription, seen.get(subscription.workflowId) ?? {}));
        if (changes.length > 0 || !expecting || Date.now() >= deadline) return { changes, expecting };
        Context.current().heartbeat();
        await Context.current().sleep(pollIntervalMs);
      }
    },

    async subscribeToObserver(input) {
      await deps.temporal.workflow.signalWithStart(CLOUD_OBSERVER_WORKFLOW_TYPE, {
        workflowId: input.observerWorkflowId,
        taskQueue: deps.taskQueue,
        args: [input.observer],
        signal: subscribeSignal,
        signalArgs: [input.subscription],
      });
    },
  };
}
