/**
 * Machine health checking with Cluster API's MachineHealthCheck semantics, as a pure judgement:
 * which machines are unhealthy, which of them to replace now, and when to look again.
 *
 * - A machine is unhealthy when its node has gone, when no node joined within
 *   nodeStartupTimeoutSeconds of its creation (0 turns that off), or when a node condition has
 *   had an unhealthy status for at least its timeout.
 * - Remediation stops entirely (short-circuits) while more machines are unhealthy than
 *   maxUnhealthy allows (a percentage of the machines, rounded down; default 100%), or while
 *   their number is outside unhealthyRange ("[1-3]"), which takes precedence: many failures at
 *   once usually mean a wider problem that replacing machines would make worse.
 * - Only machines of the current revision are replaced (the rollout replaces old ones anyway),
 *   newest first, at most maxInFlight at a time counting those already being replaced
 *   (a percentage of replicas, rounded up; default no limit), never one annotated
 *   slipway.dev/skip-remediation.
 */
import type { IntOrPercent } from './types';

export const SKIP_REMEDIATION_ANNOTATION = 'slipway.dev/skip-remediation';
const DEFAULT_NODE_STARTUP_TIMEOUT_SECONDS = 600;

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface UnhealthyCondition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly timeoutSeconds: number;
}

export interface HealthCheckSpec {
  readonly unhealthyConditions: readonly UnhealthyCondition[];
  /** Default 600, as Cluster API; 0 turns the check off. */
  readonly nodeStartupTimeoutSeconds?: number;
  readonly maxUnhealthy?: IntOrPercent;
  /** "[min-max]": remediate only while the number of unhealthy machines is within it. Overrides maxUnhealthy. */
  readonly unhealthyRange?: string;
  readonly maxInFlight?: IntOrPercent;
}

export interface NodeCondition {
  readonly type: string;
  readonly status: string;
  /** Milliseconds since the epoch. */
  readonly lastTransitionTime: number;
}

export interface HealthInputMachine {
  readonly name: string;
  readonly machineSet: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** A node has joined for this machine (Cluster API's nodeRef is set). */
  readonly hasNode: boolean;
  /** The machine had a node and it has disappeared. */
  readonly nodeMissing?: boolean;
  /** The node's conditions; empty until it joins. */
  readonly conditions: readonly NodeCondition[];
  readonly annotations?: Readonly<Record<string, string>>;
  /** Already being replaced: counts against maxInFlight and is not chosen again. */
  readonly remediating?: boolean;
}

export interface HealthInput {
  readonly spec: HealthCheckSpec;
  readonly machines: readonly HealthInputMachine[];
  /** The MachineSet of the current template revision; only its machines are remediated. */
  readonly currentMachineSet: string;
  /** The MachineDeployment's spec.replicas, which a maxInFlight percentage is of; default the number of machines. */
  readonly replicas?: number;
  /** Milliseconds since the epoch. */
  readonly now: number;
}

export interface MachineVerdict {
  readonly name: string;
  readonly reason: string;
}

export interface HealthJudgement {
  readonly unhealthy: MachineVerdict[];
  readonly remediate: MachineVerdict[];
  /** Set when remediation is not allowed at all; reason and message fit a RemediationAllowed=False condition. */
  readonly shortCircuited?: { readonly reason: 'TooManyUnhealthy'; readonly message: string };
  /** The next moment a machine's health could change by time alone (a timeout expiring). */
  readonly recheckAt?: number;
}

function scaled(value: IntOrPercent, base: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const hundredths = base * Number.parseInt(value, 10);
  return roundUp ? Math.ceil(hundredths / 100) : Math.floor(hundredths / 100);
}

interface Assessment {
  readonly reason?: string;
  readonly changesAt?: number;
}

function assess(machine: HealthInputMachine, spec: HealthCheckSpec, now: number): Assessment {
  if (machine.nodeMissing) return { reason: 'its node has disappeared' };
  if (!machine.hasNode) {
    const timeout = spec.nodeStartupTimeoutSeconds ?? DEFAULT_NODE_STARTUP_TIMEOUT_SECONDS;
    if (timeout === 0) return {};
    const deadline = machine.createdAt + timeout * 1000;
    return now >= deadline ? { reason: `no node joined within nodeStartupTimeout ${timeout}s of its creation` } : { changesAt: deadline };
  }
  let changesAt: number | undefined;
  for (const rule of spec.unhealthyConditions) {
    const condition = machine.conditions.find((candidate) => candidate.type === rule.type);
    if (!condition || condition.status !== rule.status) continue;
    const deadline = condition.lastTransitionTime + rule.timeoutSeconds * 1000;
    if (now >= deadline) return { reason: `node condition ${rule.type} has been ${rule.status} for ${rule.timeoutSeconds}s or more` };
    changesAt = changesAt === undefined ? deadline : Math.min(changesAt, deadline);
  }
  return changesAt === undefined ? {} : { changesAt };
}

function parseRange(range: string): { min: number; max: number } | undefined {
  const match = /^\[(\d+)-(\d+)\]$/.exec(range);
  if (!match) return undefined;
  const min = Number(match[1]);
  const max = Number(match[2]);
  return min <= max ? { min, max } : undefined;
}

function shortCircuit(spec: HealthCheckSpec, unhealthy: number, total: number): HealthJudgement['shortCircuited'] {
  const counted = `${unhealthy} of ${total} machines ${unhealthy === 1 ? 'is' : 'are'} unhealthy`;
  if (spec.unhealthyRange !== undefined) {
    const range = parseRange(spec.unhealthyRange);
    if (!range) return { reason: 'TooManyUnhealthy', message: `unhealthyRange ${JSON.stringify(spec.unhealthyRange)} is not a range like "[1-3]" with min <= max; no machine is remediated until it is fixed` };
    if (unhealthy >= range.min && unhealthy <= range.max) return undefined;
    return {
      reason: 'TooManyUnhealthy',
      message: `${counted}, outside unhealthyRange ${spec.unhealthyRange}; remediation waits, since replacing machines rarely helps when many fail at once: fix the cause or widen unhealthyRange`,
    };
  }
  const maxUnhealthy = scaled(spec.maxUnhealthy ?? '100%', total, false);
  if (unhealthy <= maxUnhealthy) return undefined;
  const given = spec.maxUnhealthy ?? '100%';
  return {
    reason: 'TooManyUnhealthy',
    message: `${counted}, more than maxUnhealthy ${typeof given === 'string' ? `${given} (${maxUnhealthy})` : given}; remediation waits, since replacing machines rarely helps when many fail at once: fix the cause or raise maxUnhealthy`,
  };
}

export function planRemediation(input: HealthInput): HealthJudgement {
  const { spec, now } = input;
  const unhealthy: (MachineVerdict & { readonly machine: HealthInputMachine })[] = [];
  let recheckAt: number | undefined;
  for (const machine of input.machines) {
    const assessment = assess(machine, spec, now);
    if (assessment.reason !== undefined) unhealthy.push({ name: machine.name, reason: assessment.reason, machine });
    else if (assessment.changesAt !== undefined) recheckAt = recheckAt === undefined ? assessment.changesAt : Math.min(recheckAt, assessment.changesAt);
  }
  const verdicts = unhealthy.map(({ name, reason }) => ({ name, reason }));
  const timing = recheckAt === undefined ? {} : { recheckAt };
  const blocked = shortCircuit(spec, unhealthy.length, input.machines.length);
  if (blocked) return { unhealthy: verdicts, remediate: [], shortCircuited: blocked, ...timing };

  const inFlight = input.machines.filter((machine) => machine.remediating).length;
  const maxInFlight = spec.maxInFlight === undefined ? Number.POSITIVE_INFINITY : scaled(spec.maxInFlight, input.replicas ?? input.machines.length, true);
  const remediate = unhealthy
    .filter(({ machine }) => machine.machineSet === input.currentMachineSet && !machine.remediating && machine.annotations?.[SKIP_REMEDIATION_ANNOTATION] === undefined)
    .sort((a, b) => b.machine.createdAt - a.machine.createdAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, Math.max(0, maxInFlight - inFlight))
    .map(({ name, reason }) => ({ name, reason }));
  return { unhealthy: verdicts, remediate, ...timing };
}
