/**
 * What the bare-metal adapter needs, and how a worker builds it.
 *
 * Hosts come from the inventory file named by SLIPWAY_BAREMETAL_INVENTORY (see
 * inventory-file.ts); their claims live in the SQLite file SLIPWAY_BAREMETAL_DB, by default
 * `<inventory file>.claims.sqlite`, which every worker on the machine shares.
 *
 * BMC credentials, per host: each host names a secret (bmc.credentials in the inventory) with
 * the fields
 *   username  required  the BMC account
 *   password  required  its password
 * A worker resolves them, in this order:
 *   1. through `readSecret` (the worker's secret store), reading the secret each host names;
 *   2. else from the cluster's credentials secret (`credentials`): its username and password
 *      serve every host;
 *   3. else from the environment: SLIPWAY_BMC_USERNAME and SLIPWAY_BMC_PASSWORD, for every host.
 *
 * The region is the inventory's site label: only hosts whose `site` equals it, or that have no
 * site, are claimed. An empty region claims from every site.
 *
 * SLIPWAY_BAREMETAL_ENDPOINT, when set, replaces every host's BMC URL (e.g. one sushy-tools
 * emulator serving all systems); otherwise each host's own bmc.url from the inventory is used.
 * BMC URLs must be https unless SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1 (emulators only).
 */
import { insecureEndpointsAllowed } from '../endpoints';
import type { CallMeter } from '../rate-limit';
import { ProviderError } from '../types';
import { CLOUD } from './errors';
import type { BmcCredentials } from './redfish';

export const BAREMETAL_ENV = {
  inventory: 'SLIPWAY_BAREMETAL_INVENTORY',
  database: 'SLIPWAY_BAREMETAL_DB',
  endpoint: 'SLIPWAY_BAREMETAL_ENDPOINT',
  username: 'SLIPWAY_BMC_USERNAME',
  password: 'SLIPWAY_BMC_PASSWORD',
} as const;

export const BMC_SECRET_FIELDS = { username: 'username', password: 'password' } as const;

/** Resolves a host's credentials reference (a secret name) to its BMC account. */
export type CredentialsResolver = (credentialsRef: string) => Promise<BmcCredentials>;

export interface BaremetalAdapterOptions {
  /** The YAML or JSON host list (inventory-file.ts); re-read when it changes. */
  readonly inventoryPath: string;
  /** The SQLite file holding the claims; shared by every worker on the machine. */
  readonly databasePath: string;
  /** Claim only hosts of this site (or with none); undefined claims from every site. */
  readonly site?: string;
  /** A function, not the credentials, so that logging the options never prints a secret. */
  readonly resolveCredentials: CredentialsResolver;
  /** Replaces every host's BMC URL, e.g. a Redfish emulator; undefined uses the inventory's. */
  readonly endpointOverride?: string;
  /** Bounds each BMC call, answer included. */
  readonly requestTimeoutMs?: number;
  /** How many claimed hosts a list reads from the inventory (and asks BMCs about) at a time. */
  readonly pageSize?: number;
  /** A host still not Off this long after ForceOff gets ForceOff again. */
  readonly powerOffRetryMs?: number;
  /** Lets BMC addresses be plain http: SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1, for emulators only. Otherwise https is required. */
  readonly allowInsecureEndpoints?: boolean;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

export interface BaremetalAdapterOptionsInput {
  readonly region: string;
  readonly credentials: Readonly<Record<string, string>> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The worker's secret store, by secret name; when given, each host's own secret is read. */
  readonly readSecret?: (name: string) => Promise<Readonly<Record<string, string>>>;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function accountFrom(fields: Readonly<Record<string, string | undefined>>, usernameField: string, passwordField: string, source: string): BmcCredentials {
  const username = fields[usernameField];
  const password = fields[passwordField];
  if (!present(username) || !present(password)) {
    const missing = [present(username) ? undefined : usernameField, present(password) ? undefined : passwordField].filter((name) => name !== undefined).join(' and ');
    throw new ProviderError('invalid', `${CLOUD}: ${source} has no ${missing}; it needs ${usernameField} and ${passwordField} for the BMCs`);
  }
  return { username, password };
}

function resolverFrom(input: BaremetalAdapterOptionsInput): CredentialsResolver {
  const readSecret = input.readSecret;
  if (readSecret) {
    return async (credentialsRef) => accountFrom(await readSecret(credentialsRef), BMC_SECRET_FIELDS.username, BMC_SECRET_FIELDS.password, `the BMC credentials secret "${credentialsRef}"`);
  }
  const shared = input.credentials
    ? accountFrom(input.credentials, BMC_SECRET_FIELDS.username, BMC_SECRET_FIELDS.password, 'the credentials secret')
    : accountFrom(input.env, BAREMETAL_ENV.username, BAREMETAL_ENV.password, "the worker's environment (no credentials secret was named)");
  return async () => shared;
}

export function baremetalAdapterOptionsFrom(input: BaremetalAdapterOptionsInput): BaremetalAdapterOptions {
  const inventoryPath = input.env[BAREMETAL_ENV.inventory];
  if (!present(inventoryPath)) {
    throw new ProviderError('invalid', `${CLOUD}: ${BAREMETAL_ENV.inventory} is not set; point it at the host inventory file (YAML or JSON) on the worker`);
  }
  const endpoint = input.env[BAREMETAL_ENV.endpoint];
  const site = input.region.trim();
  return {
    inventoryPath,
    databasePath: input.env[BAREMETAL_ENV.database] || `${inventoryPath}.claims.sqlite`,
    resolveCredentials: resolverFrom(input),
    ...(site !== '' ? { site } : {}),
    ...(present(endpoint) ? { endpointOverride: endpoint } : {}),
    allowInsecureEndpoints: insecureEndpointsAllowed(input.env),
  };
}
