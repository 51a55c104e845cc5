/**
 * The cloud observer: one workflow per (provider, account, region) of a management plane,
 * ID CloudObserver/<managementId>/<platform>/<account>/<region>. MachineDeployments subscribe
 * to it; it lists the cloud's machines by tag page by page, and signals only the entities
 * whose machines changed. A quiet fleet then costs one list pass per interval per account and
 * region, and nothing per object.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProviderTarget } from '../entity/activities-api';
import type { CarriedState } from '../entity/definitions';
import { observationSettled, type MachineObservation } from '../machine-deployment/activities-api';

export const CLOUD_OBSERVER_KIND = 'CloudObserver';
export const CLOUD_OBSERVER_WORKFLOW_TYPE = 'cloudObserverWorkflow';

export function cloudObserverWorkflowId(managementId: string, target: ProviderTarget): string {
  const account = target.credentialsRef ? `${target.credentialsRef.namespace}.${target.credentialsRef.name}` : 'default';
  return `${CLOUD_OBSERVER_KIND}/${managementId}/${target.platform}/${account}/${target.region}`;
}

export interface CloudObserverInput {
  readonly target: ProviderTarget;
  readonly managementId: string;
  readonly continueAsNewAfterEvents?: number;
  readonly carried?: CarriedState;
}

/** What one entity wants watched. */
export interface Subscription {
  readonly workflowId: string;
  readonly infraId: string;
  /** A regular expression (source) matching exactly the machine names (not cloud names) the entity gives. */
  readonly namePattern: string;
  /**
   * The machines the entity wants to see, each running and settled, and no other: until the
   * cloud shows exactly these, the observer looks often. The entity subscribes again only when
   * this set changes, not when its machines settle.
   */
  readonly expectedMachines?: readonly string[];
  /** Subscriptions made before expectedMachines: the entity's own flag, sent again whenever it changed. */
  readonly expecting?: boolean;
  /** How often to look when nothing is expected (the entity's health-check interval). */
  readonly settledPollSeconds: number;
  /** How long the observer may wait between passes once they keep finding nothing; settledPollSeconds when absent. */
  readonly quietPollMaxSeconds?: number;
}

/** What the observer's activity reads of it, by Query: no history is written for it. */
export interface ObserverView {
  readonly subscriptions: readonly Subscription[];
  /** The digest of what each subscriber was last sent, by workflow ID. */
  readonly sent: Readonly<Record<string, string>>;
}

/** To a subscriber: every machine of its own the cloud holds (terminated ones left out), by machine name. */
export interface MachinesObserved {
  readonly machines: Readonly<Record<string, MachineObservation>>;
}

export const subscribeSignal = defineSignal<[Subscription]>('subscribe');
export const unsubscribeSignal = defineSignal<[{ readonly workflowId: string }]>('unsubscribe');
export const observerViewQuery = defineQuery<ObserverView>('observerView');
export const machinesObservedSignal = defineSignal<[MachinesObserved]>('machinesObserved');

/** Whether a subscriber still waits for its machines to appear, boot or go, judged from what the cloud shows it. */
export function subscriberExpecting(subscription: Subscription, seen: Readonly<Record<string, MachineObservation>>): boolean {
  if (subscription.expectedMachines === undefined) return subscription.expecting === true;
  const expected = new Set(subscription.expectedMachines);
  const names = Object.keys(seen);
  if (names.length !== expected.size || names.some((name) => !expected.has(name))) return true;
  return Object.values(seen).some((observation) => !observationSettled(observation));
}
