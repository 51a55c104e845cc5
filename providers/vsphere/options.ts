/**
 * What the vSphere adapter needs to reach a vCenter, and how a worker builds it.
 *
 * Credentials secret fields (all strings):
 *   username       required  the vCenter user, e.g. administrator@vsphere.local
 *   password       required  its password
 *   server         optional  the vCenter host name or https URL (VSPHERE_SERVER otherwise)
 *   caCertificate  optional  PEM of the CA that signed vCenter's certificate (VMCA); without it the
 *                            system roots and NODE_EXTRA_CA_CERTS are trusted
 *   datacenter, resourcePool, datastore, template
 *                  optional  placement for this target, over the worker's SLIPWAY_VSPHERE_* defaults
 * Without a secret, the environment profile is used: VSPHERE_USERNAME, VSPHERE_PASSWORD and
 * VSPHERE_SERVER (the variables govc and Terraform's vSphere provider read as well).
 *
 * SLIPWAY_VSPHERE_ENDPOINT, when set, is the base URL every call goes to (SOAP at <endpoint>/sdk,
 * REST tagging at <endpoint>/rest); that is how a worker is pointed at vcsim. Otherwise the base URL
 * is https://<server>; an http endpoint is refused unless SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1 (emulators only).
 *
 * Placement, from the secret's fields, else these variables, else vcsim's default inventory:
 *   SLIPWAY_VSPHERE_DATACENTER     datacenter name                              (vcsim: DC0)
 *   SLIPWAY_VSPHERE_RESOURCE_POOL  resource pool path under the datacenter's
 *                                  host folder, e.g. <cluster>/Resources         (vcsim: DC0_C0/Resources)
 *   SLIPWAY_VSPHERE_DATASTORE      datastore the clones' disks go to             (vcsim: LocalDS_0)
 *   SLIPWAY_VSPHERE_TEMPLATE       template cloned when a machine names no image (vcsim has no
 *                                  template; any VM such as DC0_H0_VM0 can be cloned)
 * vSphere has no regions: the target's region is not used for placement.
 */
import { insecureEndpointsAllowed } from '../endpoints';
import type { CallMeter } from '../rate-limit';
import { ProviderError } from '../types';

export interface VsphereCredentials {
  readonly username: string;
  readonly password: string;
}

export type VsphereCredentialsProvider = () => VsphereCredentials;

export interface VspherePlacement {
  readonly datacenter: string;
  /** Inventory path under the datacenter's host folder. */
  readonly resourcePool: string;
  /** Datastore name; undefined leaves the clone's disks on the template's datastore. */
  readonly datastore?: string;
  /** Inventory path under the datacenter's VM folder, cloned when a machine's image is empty. */
  readonly template?: string;
}

export interface VsphereAdapterOptions {
  /** Base URL of the vCenter (or vcsim), without /sdk: https://vcenter.example.com */
  readonly endpoint: string;
  /** A function, so printing or serialising the options never shows the password. */
  readonly credentials: VsphereCredentialsProvider;
  readonly placement: VspherePlacement;
  /** PEM; when set, it is the only CA trusted for the endpoint. */
  readonly caCertificate?: string;
  /** Bounds each HTTP call: connecting, sending and the whole answer. */
  readonly requestTimeoutMs?: number;
  /** How long createMachine and deleteMachine wait for a vCenter task (clone, power, destroy). */
  readonly taskTimeoutMs?: number;
  /** maxObjects for RetrievePropertiesEx. */
  readonly pageSize?: number;
  /** Lets the endpoint be plain http: SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1, for emulators only. Otherwise https is required. */
  readonly allowInsecureEndpoints?: boolean;
  /** The most one answer may hold (endpoints.ts MAX_RESPONSE_BYTES by default). */
  readonly maxResponseBytes?: number;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

export const VSPHERE_ENDPOINT_ENV = 'SLIPWAY_VSPHERE_ENDPOINT';
export const VSPHERE_SECRET_FIELDS = {
  username: 'username',
  password: 'password',
  server: 'server',
  caCertificate: 'caCertificate',
  datacenter: 'datacenter',
  resourcePool: 'resourcePool',
  datastore: 'datastore',
  template: 'template',
} as const;
export const VSPHERE_ENV = {
  username: 'VSPHERE_USERNAME',
  password: 'VSPHERE_PASSWORD',
  server: 'VSPHERE_SERVER',
  datacenter: 'SLIPWAY_VSPHERE_DATACENTER',
  resourcePool: 'SLIPWAY_VSPHERE_RESOURCE_POOL',
  datastore: 'SLIPWAY_VSPHERE_DATASTORE',
  template: 'SLIPWAY_VSPHERE_TEMPLATE',
} as const;
/** vcsim's default inventory, so a worker pointed at vcsim needs no placement settings. */
export const VCSIM_PLACEMENT: VspherePlacement = { datacenter: 'DC0', resourcePool: 'DC0_C0/Resources', datastore: 'LocalDS_0' };

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_TASK_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_PAGE_SIZE = 100;

export interface VsphereAdapterOptionsInput {
  readonly region: string;
  readonly credentials: Readonly<Record<string, string>> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function firstPresent(...values: (string | undefined)[]): string | undefined {
  return values.find(present)?.trim();
}

function credentialsFrom(input: VsphereAdapterOptionsInput): VsphereCredentials {
  const secret = input.credentials;
  const [username, password] = secret
    ? [secret[VSPHERE_SECRET_FIELDS.username], secret[VSPHERE_SECRET_FIELDS.password]]
    : [input.env[VSPHERE_ENV.username], input.env[VSPHERE_ENV.password]];
  const missing = [present(username) ? undefined : 'username', present(password) ? undefined : 'password'].filter((field) => field !== undefined);
  if (missing.length > 0) {
    const where = secret
      ? `the credentials secret has no ${missing.join(' or ')} field (it needs ${VSPHERE_SECRET_FIELDS.username} and ${VSPHERE_SECRET_FIELDS.password}); fix the secret`
      : `no credentials secret is named and the worker's environment lacks ${missing.map((field) => (field === 'username' ? VSPHERE_ENV.username : VSPHERE_ENV.password)).join(' and ')}; name a credentials secret or set them`;
    throw new ProviderError('invalid', `vsphere: ${where}`);
  }
  // A password may legitimately start or end with blanks; only the user name is trimmed.
  return { username: (username ?? '').trim(), password: password ?? '' };
}

function endpointFrom(input: VsphereAdapterOptionsInput): string {
  const override = input.env[VSPHERE_ENDPOINT_ENV];
  if (present(override)) return override.trim().replace(/\/+$/, '');
  const server = firstPresent(input.credentials?.[VSPHERE_SECRET_FIELDS.server], input.env[VSPHERE_ENV.server]);
  if (server === undefined) {
    throw new ProviderError('invalid', `vsphere: no vCenter to talk to: set the credentials secret's ${VSPHERE_SECRET_FIELDS.server} field, or ${VSPHERE_ENV.server} (or ${VSPHERE_ENDPOINT_ENV}) on the worker`);
  }
  const withScheme = /^https?:\/\//i.test(server) ? server : `https://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProviderError('invalid', `vsphere: the vCenter server "${server}" is not a host name or URL; fix the ${VSPHERE_SECRET_FIELDS.server} field or ${VSPHERE_ENV.server}`);
  }
  return url.origin;
}

function placementFrom(input: VsphereAdapterOptionsInput): VspherePlacement {
  const secret = input.credentials ?? {};
  const pick = (field: keyof typeof VSPHERE_ENV & keyof VspherePlacement): string | undefined => firstPresent(secret[field], input.env[VSPHERE_ENV[field]]);
  const datastore = pick('datastore') ?? VCSIM_PLACEMENT.datastore;
  const template = pick('template');
  return {
    datacenter: pick('datacenter') ?? VCSIM_PLACEMENT.datacenter,
    resourcePool: pick('resourcePool') ?? VCSIM_PLACEMENT.resourcePool,
    ...(datastore !== undefined ? { datastore } : {}),
    ...(template !== undefined ? { template } : {}),
  };
}

/** The options a worker uses for one target: credentials from the secret or the environment profile. */
export function vsphereAdapterOptionsFrom(input: VsphereAdapterOptionsInput): VsphereAdapterOptions {
  const credentials = credentialsFrom(input);
  const caCertificate = input.credentials?.[VSPHERE_SECRET_FIELDS.caCertificate];
  return {
    endpoint: endpointFrom(input),
    credentials: () => credentials,
    placement: placementFrom(input),
    ...(present(caCertificate) ? { caCertificate } : {}),
    allowInsecureEndpoints: insecureEndpointsAllowed(input.env),
  };
}

export function requestTimeoutOf(options: VsphereAdapterOptions): number {
  return options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

export function taskTimeoutOf(options: VsphereAdapterOptions): number {
  return options.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
}

export function pageSizeOf(options: VsphereAdapterOptions): number {
  return Math.max(1, Math.floor(options.pageSize ?? DEFAULT_PAGE_SIZE));
}
