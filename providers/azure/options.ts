/**
 * What the Azure adapter needs to reach Azure Resource Manager, and how a worker builds it.
 *
 * Credentials secret fields (all strings), a service principal with a client secret:
 *   tenantId        required  the Microsoft Entra tenant (directory) ID
 *   clientId        required  the application (client) ID of the service principal
 *   clientSecret    required  its client secret value
 *   subscriptionId  optional  the subscription the cluster lives in; AZURE_SUBSCRIPTION_ID otherwise
 * Without a secret, the environment profile is used: AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET when all three are set, else @azure/identity's DefaultAzureCredential
 * (workload identity, managed identity, Azure CLI). AZURE_SUBSCRIPTION_ID names the subscription.
 *
 * SLIPWAY_AZURE_ENDPOINT, when set, sends every ARM call there (e.g. https://127.0.0.1:PORT for the
 * test emulator); otherwise https://management.azure.com. SLIPWAY_AZURE_AUTHORITY_HOST, when set,
 * is where tokens come from (instance discovery is then off, as a private authority has none);
 * otherwise AZURE_AUTHORITY_HOST, else https://login.microsoftonline.com. The region is the Azure
 * location (e.g. eastus) of the cluster's resource group, network and VMs.
 */
import type { TokenCredential } from '@azure/core-auth';
import { apiClassOfMethod, type CallMeter } from '../rate-limit';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { sameOriginUrl } from '../endpoints';
import { ProviderError } from '../types';

export interface AzureAdapterOptions {
  readonly subscriptionId: string;
  /** The Azure location of everything the adapter creates. */
  readonly location: string;
  /** Gets ARM tokens; holds the secret inside, so printing the options never shows it. */
  readonly credential: TokenCredential;
  /** An ARM-compatible endpoint such as the test emulator; undefined means https://management.azure.com. */
  readonly endpoint?: string;
  /** Bounds every call: connecting, and the whole request and answer. */
  readonly requestTimeoutMs?: number;
  /** OpenSSH public key for the VMs' admin user; a throwaway key is made when absent (see ssh-key.ts). */
  readonly sshPublicKey?: string;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

export const AZURE_ENDPOINT_ENV = 'SLIPWAY_AZURE_ENDPOINT';
export const AZURE_AUTHORITY_HOST_ENV = 'SLIPWAY_AZURE_AUTHORITY_HOST';
export const AZURE_SECRET_FIELDS = { tenantId: 'tenantId', clientId: 'clientId', clientSecret: 'clientSecret', subscriptionId: 'subscriptionId' } as const;

export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface AzureAdapterOptionsInput {
  readonly region: string;
  readonly credentials: Readonly<Record<string, string>> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface ServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function fromSecret(secret: Readonly<Record<string, string>>): ServicePrincipal {
  const required = [AZURE_SECRET_FIELDS.tenantId, AZURE_SECRET_FIELDS.clientId, AZURE_SECRET_FIELDS.clientSecret] as const;
  for (const field of required) {
    if (!present(secret[field])) {
      throw new ProviderError('invalid', `azure: the credentials secret has no ${field} field (it needs ${required.join(', ')}, and may give ${AZURE_SECRET_FIELDS.subscriptionId}); fix the secret`);
    }
  }
  return {
    tenantId: (secret[AZURE_SECRET_FIELDS.tenantId] ?? '').trim(),
    clientId: (secret[AZURE_SECRET_FIELDS.clientId] ?? '').trim(),
    clientSecret: (secret[AZURE_SECRET_FIELDS.clientSecret] ?? '').trim(),
  };
}

function fromEnvironment(env: AzureAdapterOptionsInput['env']): ServicePrincipal | undefined {
  const { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: clientSecret } = env;
  if (!present(tenantId) || !present(clientId) || !present(clientSecret)) return undefined;
  return { tenantId: tenantId.trim(), clientId: clientId.trim(), clientSecret: clientSecret.trim() };
}

/** Hides the SDK credential (which keeps the secret in its fields) behind a closure. */
function sealed(inner: TokenCredential): TokenCredential {
  return { getToken: (scopes, options) => inner.getToken(scopes, options) };
}

function credentialFor(principal: ServicePrincipal | undefined, env: AzureAdapterOptionsInput['env'], requestTimeoutMs: number): TokenCredential {
  const privateAuthority = env[AZURE_AUTHORITY_HOST_ENV];
  const authorityHost = present(privateAuthority) ? privateAuthority.trim() : present(env.AZURE_AUTHORITY_HOST) ? env.AZURE_AUTHORITY_HOST.trim() : undefined;
  const common = {
    ...(authorityHost ? { authorityHost } : {}),
    ...(present(privateAuthority) ? { disableInstanceDiscovery: true } : {}),
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [{ policy: requestTimeoutPolicy(requestTimeoutMs), position: 'perCall' as const }],
  };
  if (principal) return sealed(new ClientSecretCredential(principal.tenantId, principal.clientId, principal.clientSecret, common));
  return sealed(new DefaultAzureCredential(common));
}

/**
 * A pipeline policy that puts a deadline on every request, LRO polls and next pages included
 * (the SDK clients have no client-wide timeout). Typed structurally so that it fits each SDK's
 * PipelinePolicy without importing the pipeline package.
 */
export function requestTimeoutPolicy(timeoutMs: number) {
  return {
    name: 'slipwayRequestTimeout',
    sendRequest<Request extends { timeout: number }, Response>(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
      request.timeout = timeoutMs;
      return next(request);
    },
  };
}

/** The options a worker uses for one target: credentials from the secret or the environment profile. */
export function azureAdapterOptionsFrom(input: AzureAdapterOptionsInput): AzureAdapterOptions {
  if (!present(input.region)) throw new ProviderError('invalid', 'azure: no region: set the target region to an Azure location such as eastus');
  const subscriptionId = [input.credentials?.[AZURE_SECRET_FIELDS.subscriptionId], input.env.AZURE_SUBSCRIPTION_ID].find(present);
  if (subscriptionId === undefined) {
    throw new ProviderError('invalid', `azure: no subscription: give ${AZURE_SECRET_FIELDS.subscriptionId} in the credentials secret or set AZURE_SUBSCRIPTION_ID on the worker`);
  }
  const principal = input.credentials !== undefined ? fromSecret(input.credentials) : fromEnvironment(input.env);
  const endpoint = input.env[AZURE_ENDPOINT_ENV];
  return {
    subscriptionId: subscriptionId.trim(),
    location: input.region.trim(),
    credential: credentialFor(principal, input.env, DEFAULT_REQUEST_TIMEOUT_MS),
    ...(present(endpoint) ? { endpoint: endpoint.trim().replace(/\/+$/, '') } : {}),
  };
}

export function requestTimeoutOf(options: AzureAdapterOptions): number {
  return options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

/**
 * A pipeline policy that sends nothing (token included) to an origin other than the configured
 * ARM endpoint: nextLink, Azure-AsyncOperation and Location URLs come from the service and are
 * followed by the SDK itself. Typed structurally, as requestTimeoutPolicy is.
 */
export function meterPolicy(meter: CallMeter) {
  return {
    name: 'slipwayCallMeter',
    async sendRequest<Request extends { method: string }, Response>(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
      await meter(apiClassOfMethod(request.method));
      return next(request);
    },
  };
}

export function sameOriginPolicy(endpoint: string) {
  return {
    name: 'slipwaySameOrigin',
    sendRequest<Request extends { url: string }, Response>(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
      sameOriginUrl('azure', 'follow an address ARM handed back', request.url, endpoint);
      return next(request);
    },
  };
}
