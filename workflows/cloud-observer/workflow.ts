/**
 * The cloud observer workflow (see definitions.ts). Its loop: one observing activity, which
 * polls often while a subscriber expects a change and otherwise makes a single pass; the
 * changes it found are signalled to their subscribers; when nothing is expected it waits on a
 * timer, cut short by a new subscription, for longer after each quiet pass (planners/observer-pace).
 * It keeps no per-object timers or activities, so a quiet fleet costs a pass per ceiling per account.
 */
import { ActivityCancellationType, allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { CLOUD_ACTIVITY_RETRY } from '../entity/defaults';
import { continueAsNewDue } from '../entity/continue-as-new';
import type { CloudObserverActivities, ObservedChange, ObservePass } from './activities-api';
import { OBSERVE_MAX_SECONDS } from './constants';
import { nextPassDelaySeconds } from '../planners/observer-pace';
import { machinesObservedSignal, observerViewQuery, subscribeSignal, unsubscribeSignal, type CloudObserverInput, type Subscription } from './definitions';


const observer = proxyActivities<Pick<CloudObserverActivities, 'observeCloud'>>({
  startToCloseTimeout: `${OBSERVE_MAX_SECONDS + 60}s`,
  // Short, so a pass lost with a dead worker is taken up by another within seconds.
  heartbeatTimeout: '10s',
  retry: { ...CLOUD_ACTIVITY_RETRY, maximumInterval: '30s' },
  cancellationType: ActivityCancellationType.TRY_CANCEL,
});

interface ObserverState {
  subscriptions: Record<string, Subscription>;
  sent: Record<string, string>;
}

export async function cloudObserverWorkflow(input: CloudObserverInput): Promise<void> {
  const state: ObserverState = (input.carried as ObserverState | undefined) ?? { subscriptions: {}, sent: {} };
  let subscriptionsChanged = false;
  let quietPasses = 0;

  setHandler(subscribeSignal, (subscription) => {
    const before = JSON.stringify(state.subscriptions[subscription.workflowId]);
    state.subscriptions[subscription.workflowId] = subscription;
    if (before !== JSON.stringify(subscription)) subscriptionsChanged = true;
  });
  setHandler(unsubscribeSignal, ({ workflowId }) => {
    delete state.subscriptions[workflowId];
    delete state.sent[workflowId];
  });
  setHandler(observerViewQuery, () => ({ subscriptions: Object.values(state.subscriptions), sent: state.sent }));

  const deliver = async (change: ObservedChange) => {
    if (!state.subscriptions[change.workflowId]) return;
    try {
      await getExternalWorkflowHandle(change.workflowId).signal(machinesObservedSignal, { machines: change.machines });
      state.sent[change.workflowId] = change.digest;
    } catch {
      // The subscriber has finished: it needs no more news.
      delete state.subscriptions[change.workflowId];
      delete state.sent[change.workflowId];
    }
  };

  for (;;) {
    const subscriptions = () => Object.values(state.subscriptions);
    if (subscriptions().length === 0) {
      await condition(() => subscriptions().length > 0 || workflowInfo().continueAsNewSuggested);
    } else {
      subscriptionsChanged = false;
      const pass: ObservePass = await observer.observeCloud({ observerWorkflowId: workflowInfo().workflowId, target: input.target, managementId: input.managementId }).catch(() => ({ changes: [] }));
      const { changes } = pass;
      // All at once: one workflow task sends every signal, rather than one task per subscriber.
      await Promise.all(changes.map(deliver));
      const current = subscriptions();
      const expecting = pass.expecting ?? current.some((subscription) => subscription.expecting === true);
      if (changes.length > 0 || subscriptionsChanged || expecting) quietPasses = 0;
      if (changes.length === 0 && !subscriptionsChanged) {
        // While a change is expected the activity itself looks often, for up to a minute; when it
        // comes back with nothing, pause briefly before the next pass rather than spin.
        const delaySeconds = nextPassDelaySeconds({ subscribers: current, quietPasses, expecting, random: Math.random() });
        if (delaySeconds !== undefined) await condition(() => subscriptionsChanged, `${delaySeconds}s`);
        if (!expecting && !subscriptionsChanged) quietPasses += 1;
      }
    }
    if (continueAsNewDue(input.continueAsNewAfterEvents, state)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof cloudObserverWorkflow>({ ...input, carried: { ...state } });
    }
  }
}
