/**
 * What the GCP adapter needs to reach Compute Engine, and how a worker builds it.
 *
 * Credentials secret fields (all strings):
 *   serviceAccountKey  one of these two  a service account's JSON key, as Google issues it
 *                                        (type "service_account", client_email, private_key, private_key_id, project_id)
 *   accessToken        one of these two  a static OAuth 2.0 access token (it expires within the hour; for short jobs and tests)
 *   projectId          optional          the project to work in; default: the key's project_id, then GOOGLE_CLOUD_PROJECT
 *   zone               optional          the zone machines go to; default: SLIPWAY_GCP_ZONE, then <region>-a
 * Without a secret, Application Default Credentials are used: the key file GOOGLE_APPLICATION_CREDENTIALS
 * names, else gcloud's ADC file or the metadata server; the project comes from GOOGLE_CLOUD_PROJECT
 * (or GCLOUD_PROJECT), else from the credentials themselves.
 *
 * SLIPWAY_GCP_ENDPOINT, when set, sends every call there: host:port of a Compute Engine emulator (plain
 * http), or a URL such as https://compute.example.internal:8443. Otherwise https://compute.googleapis.com.
 */
import { ProviderError } from '../types';
import type { CallMeter } from '../rate-limit';

export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly privateKeyId?: string;
  readonly projectId?: string;
}

export type GcpCredentials =
  | { readonly kind: 'accessToken'; readonly accessToken: string }
  | { readonly kind: 'serviceAccountKey'; readonly key: ServiceAccountKey }
  /** A key file path (GOOGLE_APPLICATION_CREDENTIALS), read by google-auth-library; the path is no secret. */
  | { readonly kind: 'keyFile'; readonly path: string };

export interface GcpEndpoint {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
}

export interface GcpAdapterOptions {
  readonly region: string;
  /** Where machines go; `<region>-a` when absent. */
  readonly zone?: string;
  /** Absent: asked of the credentials (a key file's or the metadata server's project) at the first call. */
  readonly project?: string;
  /**
   * Static credentials, or undefined for Application Default Credentials. A function rather than the
   * credentials themselves, so logging or serialising the options never prints a secret.
   */
  readonly credentials?: () => GcpCredentials;
  /** A Compute Engine-compatible endpoint such as the test emulator; undefined means compute.googleapis.com. */
  readonly endpoint?: GcpEndpoint;
  /** Bounds every call: connecting, and the whole request and answer. */
  readonly requestTimeoutMs?: number;
  /** maxResults for list calls; GCE takes 1 to 500. */
  readonly pageSize?: number;
  /** How long cluster infrastructure calls wait for a network or firewall operation to finish. */
  readonly operationTimeoutMs?: number;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
  /** The most one answer may hold (MAX_RESPONSE_BYTES when absent); a larger one is cut off, not read. */
  readonly maxResponseBytes?: number;
}

export const GCP_ENDPOINT_ENV = 'SLIPWAY_GCP_ENDPOINT';
export const GCP_ZONE_ENV = 'SLIPWAY_GCP_ZONE';
export const GCP_SECRET_FIELDS = { serviceAccountKey: 'serviceAccountKey', accessToken: 'accessToken', projectId: 'projectId', zone: 'zone' } as const;

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_PAGE_SIZE = 100;
const DEFAULT_OPERATION_TIMEOUT_MS = 60_000;

export interface GcpAdapterOptionsInput {
  readonly region: string;
  readonly credentials: Readonly<Record<string, string>> | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

function invalidSecret(problem: string): ProviderError {
  return new ProviderError('invalid', `gcp: the credentials secret ${problem}; fix the secret`);
}

function stringOf(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The key's fields; its text is never quoted in an error, since it holds the private key. */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidSecret(`field ${GCP_SECRET_FIELDS.serviceAccountKey} is not JSON (it must hold a service account's JSON key as Google issues it)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidSecret(`field ${GCP_SECRET_FIELDS.serviceAccountKey} is not a JSON object`);
  const key = parsed as Record<string, unknown>;
  const type = stringOf(key, 'type');
  if (type !== undefined && type !== 'service_account') throw invalidSecret(`field ${GCP_SECRET_FIELDS.serviceAccountKey} holds a key of type "${type}", not "service_account"`);
  const clientEmail = stringOf(key, 'client_email');
  const privateKey = stringOf(key, 'private_key');
  if (clientEmail === undefined || privateKey === undefined) throw invalidSecret(`field ${GCP_SECRET_FIELDS.serviceAccountKey} lacks client_email or private_key`);
  const privateKeyId = stringOf(key, 'private_key_id');
  const projectId = stringOf(key, 'project_id');
  return { clientEmail, privateKey, ...(privateKeyId ? { privateKeyId } : {}), ...(projectId ? { projectId } : {}) };
}

function credentialsFromSecret(secret: Readonly<Record<string, string>>): GcpCredentials {
  const keyText = secret[GCP_SECRET_FIELDS.serviceAccountKey];
  const accessToken = secret[GCP_SECRET_FIELDS.accessToken];
  if (present(keyText) && present(accessToken)) throw invalidSecret(`has both ${GCP_SECRET_FIELDS.serviceAccountKey} and ${GCP_SECRET_FIELDS.accessToken}; keep one`);
  if (present(keyText)) return { kind: 'serviceAccountKey', key: parseServiceAccountKey(keyText) };
  if (present(accessToken)) return { kind: 'accessToken', accessToken: accessToken.trim() };
  throw invalidSecret(`has neither ${GCP_SECRET_FIELDS.serviceAccountKey} (a service account's JSON key) nor ${GCP_SECRET_FIELDS.accessToken}`);
}

/** host:port (plain http, for an emulator) or an http(s) URL. */
export function parseEndpoint(text: string): GcpEndpoint {
  const trimmed = text.trim();
  const withScheme = /^[a-z]+:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ProviderError('invalid', `gcp: ${GCP_ENDPOINT_ENV}="${trimmed}" is neither host:port nor an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProviderError('invalid', `gcp: ${GCP_ENDPOINT_ENV} must use http or https, not ${url.protocol}`);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port !== '' ? Number(url.port) : protocol === 'https' ? 443 : 80;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, protocol };
}

/** The options a worker uses for one target: credentials from the secret or the environment profile. */
export function gcpAdapterOptionsFrom(input: GcpAdapterOptionsInput): GcpAdapterOptions {
  const secret = input.credentials;
  const env = input.env;
  const credentials = secret !== undefined ? credentialsFromSecret(secret) : undefined;
  const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
  const provider: (() => GcpCredentials) | undefined = credentials
    ? () => credentials
    : present(keyFile)
      ? () => ({ kind: 'keyFile', path: keyFile.trim() })
      : undefined;

  const zone = [secret?.[GCP_SECRET_FIELDS.zone], env[GCP_ZONE_ENV]].find(present)?.trim();
  const region = present(input.region) ? input.region.trim() : zone?.replace(/-[a-z]$/, '');
  if (region === undefined || region === '') throw new ProviderError('invalid', `gcp: no region: set the target region (or ${GCP_ZONE_ENV} on the worker)`);

  const keyProject = credentials?.kind === 'serviceAccountKey' ? credentials.key.projectId : undefined;
  const project = [secret?.[GCP_SECRET_FIELDS.projectId], keyProject, env.GOOGLE_CLOUD_PROJECT, env.GCLOUD_PROJECT].find(present)?.trim();
  if (project === undefined && credentials?.kind === 'accessToken') {
    throw invalidSecret(`has an ${GCP_SECRET_FIELDS.accessToken} but no ${GCP_SECRET_FIELDS.projectId} (and the worker has no GOOGLE_CLOUD_PROJECT)`);
  }
  const endpoint = env[GCP_ENDPOINT_ENV];
  return {
    region,
    ...(zone ? { zone } : {}),
    ...(project ? { project } : {}),
    ...(provider ? { credentials: provider } : {}),
    ...(present(endpoint) ? { endpoint: parseEndpoint(endpoint) } : {}),
  };
}

export function requestTimeoutOf(options: GcpAdapterOptions): number {
  return options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
}

export function pageSizeOf(options: GcpAdapterOptions): number {
  return Math.min(500, Math.max(1, Math.floor(options.pageSize ?? DEFAULT_PAGE_SIZE)));
}

export function operationTimeoutOf(options: GcpAdapterOptions): number {
  return options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
}

export function zoneOf(options: GcpAdapterOptions): string {
  return options.zone ?? `${options.region}-a`;
}
