/**
 * Picks the provider adapter for a target and resolves its credentials, inside the
 * activity. Adapters are cached per (platform, region, credential reference).
 */
import { ApplicationFailure } from '@temporalio/common';
import { createSimulatedAdapter } from '../../providers/simulated/adapter';
import type { ProviderAdapter } from '../../providers/types';
import type { ProviderTarget } from '../../workflows/cluster-deployment/activities-api';
import type { AdapterResolver } from './cluster-activities';
import type { SecretStore } from './secrets';

export interface AdapterResolverDeps {
  readonly secrets: SecretStore;
  readonly simCloudUrl: string;
  /** The worker's default simulated-cloud key, used when a cluster names no credentials secret. */
  readonly simulatedApiKey?: string;
  readonly requestTimeoutMs?: number;
}

export function createAdapterResolver(deps: AdapterResolverDeps): AdapterResolver {
  const cache = new Map<string, Promise<ProviderAdapter>>();

  const build = async (target: ProviderTarget): Promise<ProviderAdapter> => {
    switch (target.platform) {
      case 'simulated': {
        const apiKey = target.credentialsRef
          ? (await deps.secrets.read(target.credentialsRef.namespace, target.credentialsRef.name)).apiKey
          : deps.simulatedApiKey;
        return createSimulatedAdapter({ baseUrl: deps.simCloudUrl, apiKey, requestTimeoutMs: deps.requestTimeoutMs ?? 10_000 });
      }
      default:
        throw ApplicationFailure.nonRetryable(
          `platform ${target.platform} has no adapter on this worker yet; use platform "simulated", or run a worker that serves ${target.platform}.`,
          'InvalidRequest',
        );
    }
  };

  return (target) => {
    const key = JSON.stringify([target.platform, target.region, target.credentialsRef ?? null]);
    let adapter = cache.get(key);
    if (!adapter) {
      adapter = build(target);
      cache.set(key, adapter);
      adapter.catch(() => cache.delete(key));
    }
    return adapter;
  };
}
