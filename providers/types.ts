/**
 * The provider adapter interface from DESIGN.md. One implementation per cloud, each
 * tested by the shared contract suite in test/contract against a real emulator.
 *
 * Tags are always canonical here (`slipway.dev/...` keys); each adapter encodes them
 * into its cloud's syntax and decodes them back on read.
 */

import type { MachineBootstrap } from './hosted-node';
import type { OwnershipScope } from './tags';

export type CanonicalTags = Record<string, string>;

export type MachineRole = 'control-plane' | 'worker';

export type MachinePhase = 'pending' | 'running' | 'stopping' | 'terminated' | 'failed';

export interface MachineCreateRequest {
  /** Cloud-visible name; derived from the workflow ID and machine name, never random. */
  readonly name: string;
  /** Derived like the name; lets the cloud itself dedupe a repeated create where it can. */
  readonly idempotencyToken: string;
  readonly role: MachineRole;
  readonly instanceType: string;
  readonly image: string;
  readonly infraId: string;
  /**
   * Canonical ownership tags, applied at creation (never in a second call). A standalone
   * MachineDeployment's machines also carry its owner marker (TAG.owner), so that a sweep of the
   * cluster leaves them to their MachineDeployment.
   */
  readonly tags: CanonicalTags;
  /**
   * For a hosted cluster's NodePool machine: how it joins its hosted API server. It holds a
   * credential, so it is built inside the activity and goes to the cloud only, like user data;
   * adapters that cannot act on it ignore it.
   */
  readonly bootstrap?: MachineBootstrap;
}

/** A node condition as the workload cluster reports it (Kubernetes NodeCondition, trimmed). */
export interface NodeCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  /** ISO 8601. */
  readonly lastTransitionTime: string;
}

/**
 * What the machine's node reports. `null` means the provider reports nodes but this machine's
 * node has not joined (yet); an absent `node` means the provider has no view of nodes, and a
 * running machine then counts as healthy.
 */
export interface NodeReport {
  readonly name: string;
  readonly conditions: readonly NodeCondition[];
}

export interface CloudMachine {
  readonly providerId: string;
  readonly name: string;
  readonly phase: MachinePhase;
  readonly tags: CanonicalTags;
  readonly createdAt?: string;
  readonly privateIp?: string;
  readonly node?: NodeReport | null;
}

export interface ClusterInfraRequest {
  readonly infraId: string;
  readonly clusterName: string;
  readonly baseDomain: string;
  readonly region: string;
  readonly tags: CanonicalTags;
}

export type CloudResourceKind = 'machine' | 'network' | 'securityGroup' | 'loadBalancer' | 'dnsRecord';

export interface CloudResource {
  readonly kind: CloudResourceKind;
  readonly id: string;
  readonly name: string;
  readonly tags: CanonicalTags;
  /** ISO 8601: the cloud's own creation time where it keeps one, else the created-at tag; what a sweep measures age by. */
  readonly createdAt?: string;
}

export interface ClusterInfra {
  readonly apiURL: string;
  readonly resources: readonly CloudResource[];
}

/** Equality filter on canonical tags: every key must be present with exactly that value. */
export type TagQuery = Readonly<Record<string, string>>;

export interface ProviderAdapter {
  readonly platform: string;
  /** Idempotent: the same name and token give back the same machine, even after a crash. */
  createMachine(request: MachineCreateRequest): Promise<CloudMachine>;
  /** Looks a machine up by its cloud name; undefined when there is none (or it is terminated). */
  describeMachine(name: string): Promise<CloudMachine | undefined>;
  /** Streams machines carrying all the given tags, page by page; never loads them all at once. */
  listMachines(query: TagQuery): AsyncIterable<CloudMachine>;
  /** Deleting a machine that is already gone succeeds. */
  deleteMachine(providerId: string): Promise<void>;
  /** Idempotent: creates what is missing of the cluster's network, load balancer and API DNS record. */
  ensureClusterInfra(request: ClusterInfraRequest): Promise<ClusterInfra>;
  /**
   * Deletes every infrastructure resource of the cluster (not machines) that carries our management
   * tag (the scope's, when given) and the cluster's tag, and no other owner's marker; anything
   * else is left alone. Missing ones are fine.
   */
  deleteClusterInfra(infraId: string, scope?: OwnershipScope): Promise<void>;
  /**
   * Streams every resource of the kinds the adapter makes that carries all the given tags (and a
   * management tag). An empty query is what an orphan sweep reads: every such resource of the
   * target's account and region, ours, another plane's, or nobody's (so a sweep reports untagged
   * ones as kept-untagged), as far as the cloud lets the adapter list them (README: What a sweep sees).
   */
  listResources(query: TagQuery): AsyncIterable<CloudResource>;
  deleteResource(resource: CloudResource): Promise<void>;
  /**
   * Adds (or overwrites) canonical tags on a resource listResources returned, leaving its other tags
   * as they are; what an orphan sweep marks its candidates with. Repeating it is harmless.
   */
  tagResource(resource: CloudResource, tags: CanonicalTags): Promise<void>;
  /**
   * Whether tagResource can tag this resource in the cloud; absent, every resource can be. Where it
   * cannot (Compute Engine keeps a network's tags in a description that cannot change), tagResource
   * refuses as 'invalid', and a sweep keeps its mark in its own store (services/worker/sweep-marks.ts).
   */
  canTag?(resource: CloudResource): boolean;
}

/** credentials: the credential is missing, malformed, expired or refused; a person must fix the Secret. */
export type ProviderErrorKind = 'retryable' | 'throttled' | 'notFound' | 'quota' | 'invalid' | 'credentials';

/**
 * Every adapter error is classified, so activities can map it onto Temporal retry
 * behaviour: throttled backs off by the cloud's hint, invalid and quota fail fast.
 * The message must never contain a credential.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: { readonly retryAfterMs?: number; readonly operation?: string; readonly status?: number } = {},
  ) {
    super(message);
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
