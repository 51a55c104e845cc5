/**
 * Rules a JSON schema cannot express (cross-field checks, defaults that depend on other
 * fields). Each runs on an object that already passed its schema. Sandbox-safe.
 */
import type { FieldError } from './field-errors';
import { INFRA_SAFE_NAME_MAX_LENGTH, INFRA_SAFE_NAME_PATTERN, INFRA_SAFE_NAME_RULE, type LabelSelector } from './schemas/common';
import type { ClusterDeployment } from './schemas/cluster-deployment';
import { HOSTED_PLATFORM_KEYS, type HostedCluster, type HostedClusterPlatform } from './schemas/hosted-cluster';
import type { NodePool, NodePoolPlatform } from './schemas/node-pool';
import { MACHINE_DEPLOYMENT_LABEL, type MachineDeployment } from './schemas/machine-deployment';
import type { MachineSet } from './schemas/machine-set';
import type { MachineTemplateSpec } from './schemas/machine';
import type { KindName, KindObjects } from './schemas/index';
import type { ObjectMeta } from './schemas/common';
import { cloudNameProblems } from '../providers/cloud-names';
import { infraIdFor, longestMachineName, poolMachineDeploymentName } from '../workflows/planners/names';

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function keyPath(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}

/** Kubernetes' rules for label and annotation keys: optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
function checkKey(key: string, path: string, errors: FieldError[]): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    errors.push({ path, message: `key prefix ${JSON.stringify(prefix)} must be a lowercase DNS subdomain such as example.com` });
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errors.push({
      path,
      message: `key name ${JSON.stringify(name)} must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
    });
  }
}

function checkLabels(labels: Record<string, string> | undefined, path: string, errors: FieldError[]): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    checkKey(key, keyPath(path, key), errors);
    if (!LABEL_VALUE.test(value)) {
      errors.push({
        path: keyPath(path, key),
        message: `label value ${JSON.stringify(value)} must be at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
      });
    }
  }
}

function checkAnnotations(annotations: Record<string, string> | undefined, path: string, errors: FieldError[]): void {
  for (const key of Object.keys(annotations ?? {})) checkKey(key, keyPath(path, key), errors);
}

function checkMetadata(metadata: ObjectMeta, errors: FieldError[]): void {
  checkLabels(metadata.labels, 'metadata.labels', errors);
  checkAnnotations(metadata.annotations, 'metadata.annotations', errors);
}

export function isInfraSafeName(name: string): boolean {
  return name.length <= INFRA_SAFE_NAME_MAX_LENGTH && new RegExp(INFRA_SAFE_NAME_PATTERN).test(name);
}

/** The platform block named by `type` must be set, and no other. */
function checkPlatformBlocks(platform: HostedClusterPlatform | NodePoolPlatform, path: string, errors: FieldError[]): void {
  const expected = HOSTED_PLATFORM_KEYS[platform.type];
  const present = Object.values(HOSTED_PLATFORM_KEYS).filter((key) => platform[key] !== undefined);
  if (!present.includes(expected)) {
    errors.push({ path: `${path}.${expected}`, message: `is required because ${path}.type is ${platform.type}` });
  }
  for (const key of present) {
    if (key !== expected) {
      errors.push({ path: `${path}.${key}`, message: `must not be set when ${path}.type is ${platform.type}; set only ${path}.${expected}` });
    }
  }
}

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

function checkSelector(selector: LabelSelector, path: string, errors: FieldError[]): void {
  checkLabels(selector.matchLabels, `${path}.matchLabels`, errors);
  (selector.matchExpressions ?? []).forEach((requirement, index) => {
    const needsValues = requirement.operator === 'In' || requirement.operator === 'NotIn';
    const count = requirement.values?.length ?? 0;
    if (needsValues && count === 0) {
      errors.push({ path: `${path}.matchExpressions[${index}].values`, message: `must list at least one value for operator ${requirement.operator}` });
    }
    if (!needsValues && count > 0) {
      errors.push({ path: `${path}.matchExpressions[${index}].values`, message: `must be empty for operator ${requirement.operator}` });
    }
  });
  if (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0) {
    errors.push({ path, message: 'must not be empty: an empty selector would select every machine in the namespace' });
  }
}

/**
 * Shared by MachineDeployment and MachineSet: fills template.spec.clusterName and, when there
 * is no selector, selects on the owner label stamped onto the template; then checks that the
 * selector matches the template's labels.
 */
function defaultAndCheckTemplate(
  object: { metadata: ObjectMeta; spec: { clusterName: string; selector?: LabelSelector; template: MachineTemplateSpec } },
  ownerLabel: string,
  errors: FieldError[],
): void {
  const { spec } = object;
  const templateCluster = spec.template.spec.clusterName;
  if (templateCluster === undefined) {
    spec.template.spec.clusterName = spec.clusterName;
  } else if (templateCluster !== spec.clusterName) {
    errors.push({
      path: 'spec.template.spec.clusterName',
      message: `must equal spec.clusterName (${JSON.stringify(spec.clusterName)}), got ${JSON.stringify(templateCluster)}; leave it out to inherit spec.clusterName`,
    });
  }
  if (spec.selector === undefined) {
    spec.selector = { matchLabels: { [ownerLabel]: object.metadata.name } };
    const metadata = spec.template.metadata ?? {};
    metadata.labels = { ...metadata.labels, [ownerLabel]: object.metadata.name };
    spec.template.metadata = metadata;
  }
  checkLabels(spec.template.metadata?.labels, 'spec.template.metadata.labels', errors);
  checkAnnotations(spec.template.metadata?.annotations, 'spec.template.metadata.annotations', errors);
  checkSelector(spec.selector, 'spec.selector', errors);
  if (!selectorMatches(spec.selector, spec.template.metadata?.labels ?? {})) {
    errors.push({
      path: 'spec.selector',
      message: 'does not match spec.template.metadata.labels: machines made from the template would not be selected; add the selected labels to the template (or leave the selector out to let Slipway choose one)',
    });
  }
}

function isZero(value: number | string): boolean {
  return value === 0 || value === '0%';
}

const rules: { [K in KindName]: (object: KindObjects[K], errors: FieldError[]) => void } = {
  ClusterDeployment(object: ClusterDeployment, errors) {
    const names = new Set<string>();
    // The infra ID's length does not depend on the uid, so any uid gives the names' true length.
    const infraId = infraIdFor(object.spec.clusterName, object.metadata.uid ?? '');
    (object.spec.compute ?? []).forEach((pool, index) => {
      if (names.has(pool.name)) errors.push({ path: `spec.compute[${index}].name`, message: `duplicates another pool named ${JSON.stringify(pool.name)}` });
      names.add(pool.name);
      const machine = longestMachineName(poolMachineDeploymentName(object.metadata.name, pool.name));
      for (const problem of cloudNameProblems(infraId, machine)) {
        errors.push({ path: `spec.compute[${index}].name`, message: `with metadata.name ${JSON.stringify(object.metadata.name)}, gives worker machines names like ${machine}, and ${problem}` });
      }
    });
  },
  HostedCluster(object: HostedCluster, errors) {
    checkPlatformBlocks(object.spec.platform, 'spec.platform', errors);
    if (object.spec.infraID === undefined && !isInfraSafeName(object.metadata.name)) {
      errors.push({
        path: 'metadata.name',
        message: `becomes the cluster's infra ID, so it must be ${INFRA_SAFE_NAME_RULE}; rename the HostedCluster or set spec.infraID`,
      });
    }
    const services = new Set<string>();
    (object.spec.services ?? []).forEach((mapping, index) => {
      if (services.has(mapping.service)) errors.push({ path: `spec.services[${index}].service`, message: `lists ${mapping.service} twice; give each service one publishing strategy` });
      services.add(mapping.service);
    });
  },
  NodePool(object: NodePool, errors) {
    const { spec } = object;
    checkPlatformBlocks(spec.platform, 'spec.platform', errors);
    if (spec.replicas !== undefined && spec.autoScaling !== undefined) {
      errors.push({ path: 'spec.autoScaling', message: 'cannot be set together with spec.replicas; set one of them' });
    }
    if (spec.autoScaling !== undefined && spec.autoScaling.min > spec.autoScaling.max) {
      errors.push({ path: 'spec.autoScaling.min', message: `must not exceed spec.autoScaling.max (${spec.autoScaling.max})` });
    }
    if (spec.management.upgradeType === 'InPlace' && spec.platform.type !== 'Simulated') {
      errors.push({
        path: 'spec.management.upgradeType',
        message: `InPlace upgrades run only on the Simulated platform, whose machines can change version where they run; ${spec.platform.type} machines are upgraded by replacing them: use Replace`,
      });
    }
    const rolling = spec.management.replace.rollingUpdate;
    if (spec.management.replace.strategy === 'OnDelete' && rolling !== undefined) {
      delete spec.management.replace.rollingUpdate;
    } else if (rolling !== undefined && isZero(rolling.maxSurge) && isZero(rolling.maxUnavailable)) {
      errors.push({ path: 'spec.management.replace.rollingUpdate', message: 'maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress' });
    }
  },
  MachineDeployment(object: MachineDeployment, errors) {
    defaultAndCheckTemplate(object, MACHINE_DEPLOYMENT_LABEL, errors);
    const rolling = object.spec.strategy.rollingUpdate;
    if (object.spec.strategy.type === 'RollingUpdate' && rolling !== undefined && isZero(rolling.maxSurge) && isZero(rolling.maxUnavailable)) {
      errors.push({ path: 'spec.strategy.rollingUpdate', message: 'maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress' });
    }
  },
  MachineSet(object: MachineSet, errors) {
    defaultAndCheckTemplate(object, 'slipway.dev/machine-set', errors);
  },
  Machine() {},
};

/** Applies the kind's cross-field defaults in place and returns the rule violations. */
export function applySemantics<K extends KindName>(kind: K, object: KindObjects[K]): FieldError[] {
  const errors: FieldError[] = [];
  checkMetadata(object.metadata, errors);
  (rules[kind] as (object: KindObjects[K], errors: FieldError[]) => void)(object, errors);
  return errors;
}
