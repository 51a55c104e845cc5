/**
 * A HostedCluster's conditions in HyperShift's vocabulary, computed from what its workflow
 * knows. Pure: the workflow gathers the facts, this says what they mean. Reasons follow
 * HyperShift's where it has one (AsExpected, WaitingForAvailable, ...).
 */
import type { Condition } from '../../../crds/schemas/common';

export type ConditionDraft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export interface ComponentFact {
  readonly available: boolean;
  readonly message?: string;
}

export interface HostedClusterFacts {
  /** Why the release image cannot be used; absent when it can. */
  readonly invalidRelease?: string;
  /** 'not-needed' on the simulated platform, whose control plane needs no cloud network. */
  readonly infrastructure: 'not-needed' | 'pending' | 'ready';
  /** The API endpoint the infrastructure answers at, once ready. */
  readonly infrastructureEndpoint?: string;
  /** Absent until the control plane was first described. */
  readonly etcd?: ComponentFact;
  readonly kubeAPIServer?: ComponentFact;
  /** The release the spec asks for, and whether the control plane runs it yet. */
  readonly desiredVersion?: string;
  readonly rolledOut: boolean;
  /** The control plane was Available once and is not now. */
  readonly lostAvailability: boolean;
  /** The last step that failed, with what to do; absent once a step succeeds again. */
  readonly lastError?: string;
  readonly deleting: boolean;
}

function component(type: string, name: string, fact: ComponentFact | undefined): ConditionDraft {
  if (!fact) return { type, status: 'Unknown', reason: 'StatusUnknown', message: `${name} has not been started yet.` };
  return fact.available
    ? { type, status: 'True', reason: 'AsExpected', message: `${name} is available.` }
    : { type, status: 'False', reason: 'WaitingForAvailable', message: fact.message || `${name} is not available yet.` };
}

/**
 * HyperShift's conditions, then Ready: the summary every Slipway kind has (DESIGN.md), which for a
 * HostedCluster says what Available says, so `wait --for=condition=Ready` works on every kind.
 */
export function hostedClusterConditions(facts: HostedClusterFacts): ConditionDraft[] {
  const conditions = hyperShiftConditions(facts);
  const available = conditions.find((condition) => condition.type === 'Available');
  return available ? [...conditions, { ...available, type: 'Ready' }] : conditions;
}

function hyperShiftConditions(facts: HostedClusterFacts): ConditionDraft[] {
  const controlPlaneUp = facts.etcd?.available === true && facts.kubeAPIServer?.available === true;
  const available = controlPlaneUp && !facts.deleting;
  const progressing = !facts.deleting && facts.invalidRelease === undefined && !facts.rolledOut;
  const degradedReason = facts.lostAvailability ? 'ControlPlaneUnavailable' : facts.lastError ? 'ReconciliationError' : undefined;
  return [
    facts.invalidRelease
      ? { type: 'ValidReleaseImage', status: 'False', reason: 'InvalidImage', message: facts.invalidRelease }
      : { type: 'ValidReleaseImage', status: 'True', reason: 'AsExpected', message: `Release image is valid${facts.desiredVersion ? ` (version ${facts.desiredVersion})` : ''}.` },
    facts.infrastructure === 'not-needed'
      ? { type: 'InfrastructureReady', status: 'True', reason: 'AsExpected', message: 'The simulated platform needs no cloud infrastructure for the control plane.' }
      : facts.infrastructure === 'ready'
        ? { type: 'InfrastructureReady', status: 'True', reason: 'AsExpected', message: `Network, load balancer and API DNS record are ready${facts.infrastructureEndpoint ? ` at ${facts.infrastructureEndpoint}` : ''}.` }
        : { type: 'InfrastructureReady', status: 'False', reason: 'WaitingOnInfrastructureReady', message: 'Network, load balancer and API DNS record are being created.' },
    component('EtcdAvailable', 'etcd', facts.etcd),
    component('KubeAPIServerAvailable', 'kube-apiserver', facts.kubeAPIServer),
    {
      type: 'Available',
      status: available ? 'True' : 'False',
      reason: facts.deleting ? 'Deleting' : available ? 'AsExpected' : 'WaitingForAvailable',
      message: facts.deleting
        ? 'The HostedCluster is being deleted.'
        : available
          ? 'The hosted control plane is available.'
          : facts.invalidRelease
            ? `The control plane cannot start: ${facts.invalidRelease}`
            : 'Waiting for etcd and kube-apiserver to become available.',
    },
    progressing
      ? { type: 'Progressing', status: 'True', reason: 'Progressing', message: `The control plane is rolling out${facts.desiredVersion ? ` version ${facts.desiredVersion}` : ''}.` }
      : { type: 'Progressing', status: 'False', reason: 'AsExpected', message: facts.deleting ? 'The HostedCluster is being deleted.' : 'The control plane runs the release it is asked to.' },
    degradedReason
      ? {
          type: 'Degraded',
          status: 'True',
          reason: degradedReason,
          message: degradedReason === 'ControlPlaneUnavailable' ? `The control plane was available and is not now: ${[facts.etcd?.message, facts.kubeAPIServer?.message].filter(Boolean).join(' ') || 'a component stopped answering.'} Slipway restarts it by itself.` : (facts.lastError ?? ''),
        }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'The control plane runs as expected.' },
  ];
}
