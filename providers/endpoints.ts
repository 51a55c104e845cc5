/**
 * Where an adapter may send a credential: only to the origin it was configured for, and only over
 * https, unless the worker's operator set SLIPWAY_ALLOW_INSECURE_ENDPOINTS=1 (emulators that speak
 * plain http; never for real devices). Every URL a device or API hands back (a BMC's reset target,
 * an ARM async-operation or nextLink URL) goes through sameOriginUrl before it is called.
 */
import { ProviderError } from './types';

export const INSECURE_ENDPOINTS_ENV = 'SLIPWAY_ALLOW_INSECURE_ENDPOINTS';

/** Whether the environment explicitly allows plain-http endpoints (exactly "1"). */
export function insecureEndpointsAllowed(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[INSECURE_ENDPOINTS_ENV] === '1';
}

/** Refuses a plain-http address that would carry credentials in the clear, unless explicitly allowed. */
export function requireSecureEndpoint(cloud: string, what: string, address: string | URL, allowInsecure: boolean): void {
  const url = new URL(address);
  if (url.protocol === 'https:' || (allowInsecure && url.protocol === 'http:')) return;
  throw new ProviderError(
    'invalid',
    `${cloud}: ${what} ${url.origin} is not https, and credentials are never sent over plain http; use an https address, or (for an emulator only) set ${INSECURE_ENDPOINTS_ENV}=1 on the worker`,
  );
}

/**
 * Resolves a URL a device or API handed back against the configured base, and refuses it when it
 * points at any other origin: `new URL('//elsewhere/x', base)` leaves the base's host behind.
 */
export function sameOriginUrl(cloud: string, operation: string, advertised: string, base: string | URL): URL {
  const origin = new URL(base).origin;
  let url: URL;
  try {
    url = new URL(advertised, base);
  } catch {
    throw new ProviderError('invalid', `${cloud} ${operation}: the service handed back an address that is not a URL; it is not followed`, { operation });
  }
  if (url.origin !== origin) {
    throw new ProviderError(
      'invalid',
      `${cloud} ${operation}: the service handed back an address on ${url.origin}, not on ${origin} where it was configured; credentials go only to the configured origin, so it is not followed. Check the device or service`,
      { operation },
    );
  }
  return url;
}

/** The most any single answer from a device or API may hold; far above a Redfish or vSphere page. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** A ProviderError for an answer larger than MAX_RESPONSE_BYTES: reading on would only exhaust the worker's memory. */
export function responseTooLarge(cloud: string, operation: string, limitBytes: number): ProviderError {
  return new ProviderError(
    'invalid',
    `${cloud} ${operation}: the answer is larger than ${limitBytes} bytes, Slipway's limit for one answer, so it was cut off and not read; check the service, or ask for smaller pages`,
    { operation },
  );
}

/** Reads a fetch answer's body as text, stopping (and cancelling the stream) past limitBytes. */
export async function boundedText(response: Response, cloud: string, operation: string, limitBytes: number = MAX_RESPONSE_BYTES): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel();
      throw responseTooLarge(cloud, operation, limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
