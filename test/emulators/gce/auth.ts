/**
 * The bearer check in front of the API. Two kinds of credential pass, as on Google's front end:
 * an OAuth 2.0 access token the emulator was given, and a service account's self-signed JWT
 * (RS256, `iss` = `sub` = the account's email, `aud` = https://compute.googleapis.com/, or
 * https://dns.googleapis.com/ for the Cloud DNS paths, `kid` =
 * the key's private_key_id, not expired), which google-auth-library sends for a service-account
 * key when no OAuth scopes are asked for. Anything else is 401 with GCE's error body and a
 * WWW-Authenticate challenge.
 */
import { createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { GceFailure, isRecord } from './http';

export interface ServiceAccountPublicKey {
  readonly clientEmail: string;
  readonly privateKeyId: string;
  readonly publicKeyPem: string;
}

export const COMPUTE_AUDIENCE = 'https://compute.googleapis.com/';
/** A self-signed JWT is for one API: Cloud DNS calls need this audience. */
export const DNS_AUDIENCE = 'https://dns.googleapis.com/';
const CLOCK_SKEW_SECONDS = 300;

const CHALLENGE = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' };

function unauthenticated(reason: 'required' | 'authError', message: string): GceFailure {
  return new GceFailure(401, reason, message, 'global', CHALLENGE);
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function jsonPart(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export class BearerCheck {
  private readonly keys: Map<string, { readonly email: string; readonly key: KeyObject }>;

  constructor(
    private readonly accessTokens: readonly string[],
    serviceAccounts: readonly ServiceAccountPublicKey[],
    private readonly now: () => number,
  ) {
    this.keys = new Map(serviceAccounts.map((account) => [account.privateKeyId, { email: account.clientEmail, key: createPublicKey(account.publicKeyPem) }]));
  }

  private validJwt(token: string, audience: string): boolean {
    const [header, payload, signature, ...extra] = token.split('.');
    if (extra.length > 0 || signature === undefined || header === undefined || payload === undefined) return false;
    const head = jsonPart(header);
    const claims = jsonPart(payload);
    if (!head || !claims || head.alg !== 'RS256' || typeof head.kid !== 'string') return false;
    const account = this.keys.get(head.kid);
    if (!account) return false;
    if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), account.key, Buffer.from(signature, 'base64url'))) return false;
    const nowSeconds = this.now() / 1000;
    const audienceOk = claims.aud === audience || typeof claims.scope === 'string';
    const timesOk = typeof claims.exp === 'number' && claims.exp > nowSeconds && typeof claims.iat === 'number' && claims.iat <= nowSeconds + CLOCK_SKEW_SECONDS;
    return claims.iss === account.email && claims.sub === account.email && audienceOk && timesOk;
  }

  /** Throws a 401 GceFailure unless the Authorization header carries a credential the emulator accepts. */
  check(authorization: string | undefined, audience: string = COMPUTE_AUDIENCE): void {
    if (authorization === undefined || authorization.trim() === '') {
      throw unauthenticated('required', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const token = match?.[1];
    const accepted = token !== undefined && (this.accessTokens.some((expected) => sameText(token, expected)) || this.validJwt(token, audience));
    if (!accepted) throw unauthenticated('authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
  }
}
