/**
 * What the orphan-sweep end-to-end tests share: leaking resources on a cloud beside a live cluster,
 * starting a sweep over REST, and the checks of each run.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ClusterDeploymentSpec } from '../../crds/schemas/cluster-deployment';
import { TAG, ownershipTags } from '../../providers/tags';
import type { CanonicalTags, CloudResource } from '../../providers/types';
import type { SweepDecisionKind } from '../../workflows/planners/sweep/decision';
import type { SweepObject } from '../../workflows/sweep/definitions';
import type { TestApi } from './api';
import { eventually, sleep } from './async-checks';
import { clusterObject, isReady, startCluster, waitForCluster } from './clusters';
import type { TestStack } from './stack';

const SWEEPS = '/apis/slipway.dev/v1alpha1/namespaces/default/sweeps';

export const infraIdOf = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Ownership tags as a cluster's resources carry them, made now, plus these. */
export function ownTags(managementId: string, infraId: string, extra: CanonicalTags = {}): CanonicalTags {
  return { ...ownershipTags({ managementId, infraId, createdAt: new Date().toISOString() }), ...extra };
}

/** How a test leaks resources on one cloud, behind the sweep's back. */
export interface LeakingCloud {
  readonly platform: string;
  /** The spec of a live cluster on this cloud (its platform). */
  readonly liveCluster: Partial<ClusterDeploymentSpec>;
  /** What a dead cluster of ours left behind (its infrastructure and machines): a sweep deletes exactly these. */
  leakDead(infraId: string): Promise<string[]>;
  /** Another management plane's cluster. */
  leakForeign(infraId: string, managementId: string): Promise<string[]>;
  /** A machine outside any cluster's infrastructure, carrying exactly these tags. */
  leakLoose(tags: CanonicalTags): Promise<string>;
  /** A resource the sweep lists that no cluster tag names: with no tag at all where the adapter lists untagged resources, else with our management tag alone. */
  leakUntagged(): Promise<string>;
}

export interface LeakScenario<Cloud extends LeakingCloud> {
  readonly cloud: Cloud;
  /** The live cluster's infra ID. */
  readonly live: string;
  readonly dead: string;
  readonly deadIds: readonly string[];
  readonly protectedId: string;
  readonly foreignIds: readonly string[];
  readonly untaggedId: string;
}

/** Leaks a dead cluster's resources, a protected machine, another plane's cluster and an untagged resource, then runs a live cluster to Ready beside them. */
export async function leakBesideLiveCluster<Cloud extends LeakingCloud>(stack: TestStack, cloud: Cloud): Promise<LeakScenario<Cloud>> {
  const dead = infraIdOf('dead');
  const deadIds = await cloud.leakDead(dead);
  // Kept resources of a cluster keep its containers too (a network or folder may hold them): this one is a second dead cluster's.
  const protectedId = await cloud.leakLoose(ownTags(stack.managementId, `${dead}-b`, { [TAG.sweepProtect]: 'true' }));
  const foreignIds = await cloud.leakForeign(infraIdOf('foreign'), 'another-plane');
  const untaggedId = await cloud.leakUntagged();
  const handle = await startCluster(stack, clusterObject(`live-${cloud.platform}`, { ...cloud.liveCluster, controlPlane: { replicas: 1 }, compute: [] }));
  const ready = await waitForCluster(handle, isReady, 180_000);
  return { cloud, live: ready.status?.infraID ?? '', dead, deadIds, protectedId, foreignIds, untaggedId };
}

/** Leaks on each cloud in turn, then waits out the grace period once: every leak and live cluster is then old enough to be swept. */
export async function leakOnEach<Cloud extends LeakingCloud>(stack: TestStack, clouds: readonly Cloud[], minAgeMs: number): Promise<LeakScenario<Cloud>[]> {
  const scenarios: LeakScenario<Cloud>[] = [];
  for (const cloud of clouds) scenarios.push(await leakBesideLiveCluster(stack, cloud));
  expect(scenarios.map((scenario) => scenario.live).every((infraId) => infraId !== '')).toBe(true);
  await sleep(minAgeMs + 1_000);
  return scenarios;
}

/** The scenario an earlier test made on this platform. */
export function scenarioOn<Cloud extends LeakingCloud>(scenarios: readonly LeakScenario<Cloud>[], platform: string): LeakScenario<Cloud> {
  const scenario = scenarios.find((candidate) => candidate.cloud.platform === platform);
  if (!scenario) throw new Error(`the leaks on ${platform} were not made; see the test before`);
  return scenario;
}

export function decisionsById(sweep: SweepObject): Map<string, SweepDecisionKind> {
  return new Map(sweep.status.decisions.map((record) => [record.id, record.decision]));
}

/** POST .../sweeps in the default namespace, then GET it until it has finished. */
export async function sweepViaRest(api: TestApi, spec: Record<string, unknown>): Promise<SweepObject> {
  const started = await api.request('POST', SWEEPS, { body: { spec } });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const name = (started.body as SweepObject).metadata.name;
  return eventually(
    async () => (await api.request('GET', `${SWEEPS}/${name}`)).body as SweepObject,
    (sweep) => sweep.status?.phase !== undefined && sweep.status.phase !== 'Running',
    120_000,
    200,
  );
}

export interface LeakedResources {
  readonly deadIds: readonly string[];
  readonly protectedId: string;
  readonly youngId: string;
  readonly untaggedId: string;
  readonly foreignIds: readonly string[];
  readonly liveIds: readonly string[];
}

const keptIds = (leaks: LeakedResources): string[] => [...leaks.liveIds, ...leaks.foreignIds, leaks.protectedId, leaks.youngId, leaks.untaggedId];

/** A dry run reports each leak with its decision, deletes nothing, and leaves the cloud exactly as it was. */
export function expectDryRunReport(dry: SweepObject, leaks: LeakedResources, before: ReadonlyMap<string, CloudResource>, after: ReadonlyMap<string, CloudResource>): void {
  expect(dry.status.phase).toBe('Completed');
  const decisions = decisionsById(dry);
  for (const id of leaks.deadIds) expect(decisions.get(id), id).toBe('marked');
  expect(decisions.get(leaks.protectedId)).toBe('kept-protected');
  expect(decisions.get(leaks.youngId)).toBe('kept-young');
  expect(decisions.get(leaks.untaggedId)).toBe('kept-untagged');
  for (const id of leaks.foreignIds) expect(decisions.get(id), id).toBe('kept-foreign');
  for (const id of leaks.liveIds) expect(decisions.get(id), id).toBe('kept-referenced');
  expect(dry.status.counts.deleted).toBe(0);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [id, resource] of before) expect(after.get(id)?.tags, id).toEqual(resource.tags);
}

/** The first deleting run marks exactly the dead cluster's resources (as the sweep reads marks), and removes nothing. */
export function expectMarkingRun(marking: SweepObject, leaks: LeakedResources, before: ReadonlyMap<string, CloudResource>, after: ReadonlyMap<string, CloudResource>): void {
  expect(marking.status.phase).toBe('Completed');
  expect(marking.status.counts.error).toBe(0);
  expect(marking.status.counts.deleted).toBe(0);
  expect(marking.status.counts.marked).toBe(leaks.deadIds.length);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const id of leaks.deadIds) expect(after.get(id)?.tags[TAG.sweepMarked], id).toBeDefined();
  for (const id of keptIds(leaks)) expect(after.get(id)?.tags[TAG.sweepMarked], id).toBeUndefined();
}

/** The next one deletes exactly the dead cluster's, with nothing refused (the cloud took each in the order given), and the rest stays. */
export function expectDeletingRun(deleting: SweepObject, leaks: LeakedResources, before: ReadonlyMap<string, CloudResource>, after: ReadonlyMap<string, CloudResource>): void {
  expect(deleting.status.phase).toBe('Completed');
  expect(deleting.status.counts.error).toBe(0);
  const deleted = deleting.status.decisions.filter((record) => record.decision === 'deleted').map((record) => record.id);
  expect(deleted.sort()).toEqual([...leaks.deadIds].sort());
  expect([...after.keys()].sort()).toEqual([...before.keys()].filter((id) => !leaks.deadIds.includes(id)).sort());
}
