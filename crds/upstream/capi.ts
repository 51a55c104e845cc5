/**
 * cluster.x-k8s.io MachineDeployment (v1beta1 and v1beta2) -> slipway.dev/v1alpha1.
 *
 * Slipway's MachineDeployment keeps v1beta1's layout. v1beta2 moved fields: rollout
 * strategy and rolloutAfter went under spec.rollout (strategy, after), the delete policy
 * became spec.deletion.order, minReadySeconds moved into spec.template.spec, and
 * revisionHistoryLimit was dropped. Machines are described inline under
 * template.spec.infrastructure (a Slipway field accepted here) instead of through an
 * infrastructure provider template.
 */
import { GROUP_VERSION } from '../schemas/common';
import type { JsonObject } from '../json';
import { convertMetadata } from './metadata';
import type { Intake, ObjectReader } from './reader';

export type CapiVersion = 'v1beta1' | 'v1beta2';

const NODES = 'Slipway manages machines, not Kubernetes Nodes';

function describeRef(ref: unknown): string {
  if (typeof ref !== 'object' || ref === null) return 'a template';
  const { kind, name } = ref as { kind?: unknown; name?: unknown };
  return typeof kind === 'string' && typeof name === 'string' ? `${kind} ${name}` : 'a template';
}

interface TemplateResult {
  readonly template: JsonObject | undefined;
  /** v1beta2 keeps minReadySeconds in the machine spec; Slipway keeps it on the MachineDeployment. */
  readonly minReadySeconds: unknown;
}

function convertTemplate(intake: Intake, spec: ObjectReader, version: CapiVersion): TemplateResult {
  const template = spec.child('template', true);
  if (!template) return { template: undefined, minReadySeconds: undefined };
  const metadata = template.take('metadata');
  const machine = template.child('spec', true);
  template.finish();
  if (!machine) return { template: { metadata }, minReadySeconds: undefined };

  const bootstrap = machine.child('bootstrap');
  let bootstrapResult: JsonObject | undefined;
  if (bootstrap) {
    bootstrapResult = { dataSecretName: bootstrap.take('dataSecretName') };
    bootstrap.refuse(
      'configRef',
      `Slipway does not run bootstrap providers (this refers to ${describeRef(bootstrap.value.configRef)}); give a ready-made bootstrap data Secret as bootstrap.dataSecretName, or leave bootstrap out`,
    );
    bootstrap.finish();
  }
  if (machine.has('infrastructureRef') && !machine.has('infrastructure')) {
    machine.ignore('infrastructureRef');
    intake.error(
      machine.pathOf('infrastructureRef'),
      `Slipway does not read infrastructure provider templates (this refers to ${describeRef(machine.value.infrastructureRef)}); describe the machine inline instead: replace infrastructureRef with infrastructure: { instanceType: <machine size>, image: <optional image> }`,
    );
  } else {
    machine.refuse('infrastructureRef', 'cannot be combined with infrastructure; remove infrastructureRef, Slipway uses the inline infrastructure block');
  }
  const result: JsonObject = {
    clusterName: machine.take('clusterName'),
    version: machine.take('version'),
    bootstrap: bootstrapResult,
    infrastructure: machine.take('infrastructure'),
  };
  const minReadySeconds = version === 'v1beta2' ? machine.take('minReadySeconds') : undefined;
  machine.refuse('providerID', 'is set by Slipway on each Machine once it exists; remove it from the template');
  machine.refuse('failureDomain', 'failure-domain placement is not supported; remove failureDomain');
  machine.refuse('readinessGates', `${NODES}, so extra readiness gates cannot be evaluated; remove readinessGates`);
  machine.refuse('taints', `${NODES}, so it cannot taint them; remove taints`);
  if (version === 'v1beta1') {
    for (const key of ['nodeDrainTimeout', 'nodeVolumeDetachTimeout', 'nodeDeletionTimeout']) {
      machine.allowOnly(key, ['0s'], `${NODES}, so it does not drain or wait for Nodes; remove ${key}`);
    }
  } else {
    const deletion = machine.child('deletion');
    if (deletion) {
      for (const key of ['nodeDrainTimeoutSeconds', 'nodeVolumeDetachTimeoutSeconds', 'nodeDeletionTimeoutSeconds']) {
        deletion.allowOnly(key, [0], `${NODES}, so it does not drain or wait for Nodes; remove ${key}`);
      }
      deletion.finish();
    }
  }
  machine.finish();
  return { template: { metadata, spec: result }, minReadySeconds };
}

function convertStrategyV1beta1(spec: ObjectReader): JsonObject | undefined {
  const strategy = spec.child('strategy');
  if (!strategy) return undefined;
  const result: JsonObject = { type: strategy.take('type'), rollingUpdate: strategy.take('rollingUpdate') };
  strategy.refuse('remediation', 'remediation limits are not supported yet; remove remediation');
  strategy.finish();
  return result;
}

function convertStrategyV1beta2(spec: ObjectReader): { strategy: JsonObject | undefined; rolloutAfter: unknown } {
  const rollout = spec.child('rollout');
  const deletion = spec.child('deletion');
  const order = deletion?.take('order');
  deletion?.finish();
  let type: unknown;
  let rollingUpdate: JsonObject | undefined;
  let rolloutAfter: unknown;
  if (rollout) {
    rolloutAfter = rollout.take('after');
    const strategy = rollout.child('strategy');
    if (strategy) {
      type = strategy.take('type');
      const rolling = strategy.child('rollingUpdate');
      if (rolling) {
        rollingUpdate = { maxSurge: rolling.take('maxSurge'), maxUnavailable: rolling.take('maxUnavailable') };
        rolling.finish();
      }
      strategy.finish();
    }
    rollout.finish();
  }
  if (order !== undefined) rollingUpdate = { ...rollingUpdate, deletePolicy: order };
  const strategy = type === undefined && rollingUpdate === undefined ? undefined : { type, rollingUpdate };
  return { strategy, rolloutAfter };
}

export function convertMachineDeployment(intake: Intake, object: ObjectReader, version: CapiVersion): JsonObject {
  const metadata = convertMetadata(intake, object);
  object.ignore('status', 'apiVersion', 'kind');
  const spec = object.child('spec', true);
  object.finish();
  if (!spec) return { apiVersion: GROUP_VERSION, kind: 'MachineDeployment', metadata };
  const { template, minReadySeconds } = convertTemplate(intake, spec, version);
  const result: JsonObject = {
    clusterName: spec.take('clusterName'),
    replicas: spec.take('replicas'),
    selector: spec.take('selector'),
    template,
    paused: spec.take('paused'),
  };
  if (version === 'v1beta1') {
    result.strategy = convertStrategyV1beta1(spec);
    result.minReadySeconds = spec.take('minReadySeconds');
    result.revisionHistoryLimit = spec.take('revisionHistoryLimit');
    result.rolloutAfter = spec.take('rolloutAfter');
    spec.refuse('progressDeadlineSeconds', 'Slipway sets no rollout deadline (Cluster API ignores this field too); remove progressDeadlineSeconds');
    spec.refuse('machineNamingStrategy', 'Slipway names machines itself; remove machineNamingStrategy');
  } else {
    const { strategy, rolloutAfter } = convertStrategyV1beta2(spec);
    result.strategy = strategy;
    result.rolloutAfter = rolloutAfter;
    result.minReadySeconds = minReadySeconds;
    spec.refuse('machineNaming', 'Slipway names machines itself; remove machineNaming');
    spec.refuse('remediation', 'remediation limits are not supported yet; remove remediation');
  }
  spec.finish();
  return { apiVersion: GROUP_VERSION, kind: 'MachineDeployment', metadata, spec: result };
}
