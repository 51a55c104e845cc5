/**
 * Picks the provider adapter for a target and resolves its credentials, inside the
 * activity: a target carries only a reference (a secret's namespace and name) or none,
 * which means the worker's environment profile. Adapters are cached per (platform,
 * region, credential reference, version of the secret's content) and, when the worker has a rate limiter, share its
 * Redis buckets with every other worker.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { awsAdapterOptionsFrom, createAwsAdapter } from '../../providers/aws/adapter';
import { azureAdapterOptionsFrom, createAzureAdapter } from '../../providers/azure/adapter';
import { baremetalAdapterOptionsFrom, createBaremetalAdapter } from '../../providers/baremetal/adapter';
import { createGcpAdapter, gcpAdapterOptionsFrom } from '../../providers/gcp/adapter';
import { createVsphereAdapter, vsphereAdapterOptionsFrom } from '../../providers/vsphere/adapter';
import { callMeter, rateLimitedAdapter, type CallMeter, type CloudRateLimiter } from '../../providers/rate-limit';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import { isProviderError, type ProviderAdapter } from '../../providers/types';
import type { PlatformName } from '../../crds/schemas/cluster-deployment';
import type { ProviderTarget } from '../../workflows/entity/activities-api';
import type { AdapterResolver } from './cluster-activities';
import type { SecretData, SecretStore } from './secrets';

export type WorkerEnv = Readonly<Record<string, string | undefined>>;

export interface AdapterResolverDeps {
  readonly secrets: SecretStore;
  readonly simCloudUrl: string;
  /** The worker's default simulated-cloud key, used when a cluster names no credentials secret. */
  readonly simulatedApiKey?: string;
  readonly requestTimeoutMs?: number;
  /** Where adapters read their environment profile and endpoints (SLIPWAY_<CLOUD>_ENDPOINT); process.env by default. */
  readonly env?: WorkerEnv;
  readonly rateLimiter?: CloudRateLimiter;
}

interface AdapterInput {
  readonly region: string;
  /** The secret's fields, or undefined for the environment profile. */
  readonly credentials: SecretData | undefined;
  readonly env: WorkerEnv;
  /** Where secrets the adapter names itself (a bare-metal host's BMC secret) are read: the target's namespace. */
  readonly namespace: string;
  readonly deps: AdapterResolverDeps;
  /** Takes a token from the shared buckets before each request the adapter sends; absent without a rate limiter. */
  readonly meter: CallMeter | undefined;
}

type AdapterFactory = (input: AdapterInput) => ProviderAdapter;

/** What every factory passes on: the request timeout and the per-request meter, when set. */
const commonOf = ({ deps, meter }: AdapterInput): { requestTimeoutMs?: number; meter?: CallMeter } => ({
  ...(deps.requestTimeoutMs ? { requestTimeoutMs: deps.requestTimeoutMs } : {}),
  ...(meter ? { meter } : {}),
});

const FACTORIES: Partial<Record<PlatformName, AdapterFactory>> = {
  simulated: (input) =>
    createSimulatedAdapter({
      baseUrl: input.deps.simCloudUrl,
      apiKey: input.credentials ? input.credentials.apiKey : input.deps.simulatedApiKey,
      requestTimeoutMs: input.deps.requestTimeoutMs ?? 10_000,
      ...(input.meter ? { meter: input.meter } : {}),
    }),
  aws: (input) => createAwsAdapter({ ...awsAdapterOptionsFrom(input), ...commonOf(input) }),
  azure: (input) => createAzureAdapter({ ...azureAdapterOptionsFrom(input), ...commonOf(input) }),
  gcp: (input) => createGcpAdapter({ ...gcpAdapterOptionsFrom(input), ...commonOf(input) }),
  vsphere: (input) => createVsphereAdapter({ ...vsphereAdapterOptionsFrom(input), ...commonOf(input) }),
  baremetal: (input) =>
    createBaremetalAdapter({
      ...baremetalAdapterOptionsFrom({ ...input, ...(input.credentials ? {} : { readSecret: (name: string) => input.deps.secrets.read(input.namespace, name) }) }),
      ...commonOf(input),
    }),
};

export function createAdapterResolver(deps: AdapterResolverDeps): AdapterResolver {
  const cache = new Map<string, { readonly version: string; readonly adapter: ProviderAdapter }>();
  const env = deps.env ?? process.env;

  const build = (target: ProviderTarget, credentials: SecretData | undefined): ProviderAdapter => {
    const factory = FACTORIES[target.platform];
    if (!factory) {
      throw ApplicationFailure.nonRetryable(
        `platform ${target.platform} has no adapter on this worker; use one of ${Object.keys(FACTORIES).join(', ')}, or run a worker that serves ${target.platform}.`,
        'InvalidRequest',
      );
    }
    const reference = target.credentialsRef;
    const account = reference ? `${reference.namespace}/${reference.name}` : 'default';
    const scope = { provider: target.platform, account, region: target.region };
    const meter = deps.rateLimiter ? callMeter(deps.rateLimiter, scope) : undefined;
    let adapter: ProviderAdapter;
    try {
      adapter = factory({ region: target.region, credentials, env, namespace: reference?.namespace ?? 'default', deps, meter });
    } catch (error) {
      if (!isProviderError(error)) throw error;
      throw ApplicationFailure.nonRetryable(`${error.message}. Fix the credentials secret or the worker's environment; Slipway waits and goes on by itself.`, 'CredentialsRefused');
    }
    return deps.rateLimiter ? rateLimitedAdapter(adapter, deps.rateLimiter, scope) : adapter;
  };

  // The secret is read on every call, and an adapter is kept per version of it, so a rotated key
  // or a renewed session token is used at once, without a worker restart.
  return async (target) => {
    const reference = target.credentialsRef;
    const credentials = reference ? await deps.secrets.read(reference.namespace, reference.name) : undefined;
    const version = credentials ? createHash('sha256').update(JSON.stringify(Object.entries(credentials).sort())).digest('hex') : 'environment';
    const key = JSON.stringify([target.platform, target.region, reference ?? null]);
    const cached = cache.get(key);
    if (cached?.version === version) return cached.adapter;
    const adapter = build(target, credentials);
    cache.set(key, { version, adapter });
    return adapter;
  };
}
