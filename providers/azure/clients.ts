/**
 * The four ARM SDK clients the adapter uses, configured alike: one attempt per call (Temporal
 * retries, by the error's kind), a deadline on every request, and tokens for the endpoint's
 * own audience (https://management.azure.com/.default on public Azure), and nothing sent to any
 * origin but the endpoint's (the links ARM hands back included).
 */
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { PrivateDnsManagementClient } from '@azure/arm-privatedns';
import { ResourceManagementClient } from '@azure/arm-resources';
import { UNMETERED } from '../rate-limit';
import { DEFAULT_ARM_ENDPOINT, meterPolicy, requestTimeoutOf, requestTimeoutPolicy, sameOriginPolicy, type AzureAdapterOptions } from './options';

export interface AzureClients {
  readonly compute: ComputeManagementClient;
  readonly network: NetworkManagementClient;
  readonly privateDns: PrivateDnsManagementClient;
  readonly resources: ResourceManagementClient;
}

export function createAzureClients(options: AzureAdapterOptions): AzureClients {
  const endpoint = options.endpoint ?? DEFAULT_ARM_ENDPOINT;
  const common = {
    endpoint,
    credentials: { scopes: [`${new URL(endpoint).origin}/.default`] },
    retryOptions: { maxRetries: 0 },
    // A redirect would carry the bearer token wherever it points.
    redirectOptions: { maxRetries: 0 },
    additionalPolicies: [
      { policy: requestTimeoutPolicy(requestTimeoutOf(options)), position: 'perCall' as const },
      { policy: sameOriginPolicy(endpoint), position: 'perCall' as const },
      // perRetry: every request on the wire (pages, operation polls) takes a token.
      { policy: meterPolicy(options.meter ?? UNMETERED), position: 'perRetry' as const },
    ],
    userAgentOptions: { userAgentPrefix: 'slipway' },
  };
  return {
    compute: new ComputeManagementClient(options.credential, options.subscriptionId, common),
    network: new NetworkManagementClient(options.credential, options.subscriptionId, common),
    privateDns: new PrivateDnsManagementClient(options.credential, options.subscriptionId, common),
    resources: new ResourceManagementClient(options.credential, options.subscriptionId, common),
  };
}
