/**
 * A thin Redfish client over fetch: read a ComputerSystem, set its boot source override,
 * and reset it (power on, force off, force restart). Basic authentication on every call,
 * one attempt per call with a timeout, and every failure classified (errors.ts): retrying is
 * the caller's business (Temporal activity retries).
 */
import { CLOUD, classifyRedfishFailure, unreachableBmc } from './errors';
import { UNMETERED, apiClassOfMethod, type CallMeter } from '../rate-limit';
import { boundedText, requireSecureEndpoint, sameOriginUrl } from '../endpoints';
import { ProviderError } from '../types';

export interface BmcCredentials {
  readonly username: string;
  readonly password: string;
}

/** One host's BMC as the inventory knows it. */
export interface BmcTarget {
  /** The inventory's host name, for messages. */
  readonly host: string;
  /** The Redfish service's base URL, e.g. https://10.0.0.11 */
  readonly baseUrl: string;
  /** The ComputerSystem's path on that service, e.g. /redfish/v1/Systems/1 */
  readonly systemPath: string;
  readonly credentialsRef: string;
  readonly credentials: BmcCredentials;
}

/** Redfish PowerState values (Resource.PowerState). */
export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff' | 'Paused';

export interface SystemView {
  readonly powerState: PowerState;
  readonly bootSourceOverrideTarget: string | undefined;
  readonly bootSourceOverrideEnabled: string | undefined;
  /** Where ComputerSystem.Reset is posted, as the system advertises it (checked for the BMC's origin when called). */
  readonly resetTarget: string;
}

export type ResetType = 'On' | 'ForceOff' | 'ForceRestart';

export interface BootOverride {
  readonly target: 'Pxe' | 'Cd' | 'Hdd' | 'None';
  readonly enabled: 'Once' | 'Continuous' | 'Disabled';
}

export interface RedfishClient {
  getSystem(bmc: BmcTarget): Promise<SystemView>;
  setBootOverride(bmc: BmcTarget, boot: BootOverride): Promise<void>;
  reset(bmc: BmcTarget, resetTarget: string, resetType: ResetType): Promise<void>;
}

const POWER_STATES: readonly string[] = ['On', 'Off', 'PoweringOn', 'PoweringOff', 'Paused'];

function basicAuthorization(credentials: BmcCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

function field(object: unknown, key: string): unknown {
  return typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined;
}

function parseSystem(bmc: BmcTarget, text: string): SystemView {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProviderError('retryable', `${CLOUD} read system on host ${bmc.host}: the BMC answered something other than JSON (the call is retried)`, { operation: 'read system' });
  }
  const powerState = field(body, 'PowerState');
  if (typeof powerState !== 'string' || !POWER_STATES.includes(powerState)) {
    throw new ProviderError('retryable', `${CLOUD} read system on host ${bmc.host}: the BMC reported no known PowerState (got ${JSON.stringify(powerState) ?? 'nothing'}) (the call is retried)`, {
      operation: 'read system',
    });
  }
  const boot = field(body, 'Boot');
  const target = field(boot, 'BootSourceOverrideTarget');
  const enabled = field(boot, 'BootSourceOverrideEnabled');
  const advertised = field(field(field(body, 'Actions'), '#ComputerSystem.Reset'), 'target');
  return {
    powerState: powerState as PowerState,
    bootSourceOverrideTarget: typeof target === 'string' ? target : undefined,
    bootSourceOverrideEnabled: typeof enabled === 'string' ? enabled : undefined,
    // Taken as advertised (a path or a URL); call() refuses it unless it is on the BMC's own origin.
    resetTarget: typeof advertised === 'string' && advertised !== '' ? advertised : `${bmc.systemPath.replace(/\/$/, '')}/Actions/ComputerSystem.Reset`,
  };
}

export interface RedfishClientOptions {
  readonly requestTimeoutMs: number;
  /** Lets BMC addresses be plain http (SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1, for emulators only). */
  readonly allowInsecureEndpoints: boolean;
  readonly maxResponseBytes?: number;
  /** Takes a shared rate-limit token before every request (providers/rate-limit.ts callMeter). */
  readonly meter?: CallMeter;
}

export function createRedfishClient(options: RedfishClientOptions): RedfishClient {
  const timeoutMs = options.requestTimeoutMs;

  const call = async (bmc: BmcTarget, operation: string, method: 'GET' | 'PATCH' | 'POST', path: string, body?: unknown): Promise<string> => {
    // Before the credentials go anywhere: the BMC's own origin only (a path it advertised may say otherwise), over https.
    const url = sameOriginUrl(CLOUD, `${operation} on host ${bmc.host}`, path, bmc.baseUrl);
    requireSecureEndpoint(CLOUD, `the BMC address of host ${bmc.host}`, url, options.allowInsecureEndpoints);
    await (options.meter ?? UNMETERED)(apiClassOfMethod(method));
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: basicAuthorization(bmc.credentials),
          accept: 'application/json',
          'odata-version': '4.0',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // A redirect is another place the credentials would go.
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await boundedText(response, CLOUD, `${operation} on host ${bmc.host}`, options.maxResponseBytes);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw unreachableBmc(operation, bmc.host, error, timeoutMs);
    }
    if (!response.ok) {
      throw classifyRedfishFailure({ operation, host: bmc.host, credentialsRef: bmc.credentialsRef, status: response.status, body: text, retryAfter: response.headers.get('retry-after') });
    }
    return text;
  };

  return {
    async getSystem(bmc) {
      return parseSystem(bmc, await call(bmc, 'read system', 'GET', bmc.systemPath));
    },
    async setBootOverride(bmc, boot) {
      await call(bmc, 'set boot override', 'PATCH', bmc.systemPath, { Boot: { BootSourceOverrideTarget: boot.target, BootSourceOverrideEnabled: boot.enabled } });
    },
    async reset(bmc, resetTarget, resetType) {
      await call(bmc, `reset (${resetType})`, 'POST', resetTarget, { ResetType: resetType });
    },
  };
}
