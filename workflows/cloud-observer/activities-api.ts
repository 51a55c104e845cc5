/** What the cloud observer and its subscribers ask of activities. */
import type { ProviderTarget } from '../entity/activities-api';
import type { CloudObserverInput, Subscription } from './definitions';
import type { MachineObservation } from '../machine-deployment/activities-api';

export interface ObservedChange {
  readonly workflowId: string;
  readonly digest: string;
  readonly machines: Readonly<Record<string, MachineObservation>>;
}

export interface ObservePass {
  readonly changes: readonly ObservedChange[];
  /** Some subscriber still waits for its machines to appear, boot or go (absent from passes of older workers). */
  readonly expecting?: boolean;
}

export interface CloudObserverActivities {
  /**
   * One pass over the cloud: reads the observer's subscriptions and what it last sent (a
   * Query), lists every machine of this management plane page by page, and returns only the
   * subscribers whose machines differ from what they were last sent.
   */
  observeCloud(input: { readonly observerWorkflowId: string; readonly target: ProviderTarget; readonly managementId: string }): Promise<ObservePass>;
  /** Subscribes an entity to the observer of its target, starting the observer if it is not running. */
  subscribeToObserver(input: { readonly observer: CloudObserverInput; readonly observerWorkflowId: string; readonly subscription: Subscription }): Promise<void>;
}
