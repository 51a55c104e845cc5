/**
 * The part of Microsoft Entra ID (Azure AD) a service principal uses: the OpenID Connect
 * discovery document at /{tenant}/v2.0/.well-known/openid-configuration and the OAuth 2.0
 * client-credentials grant at /{tenant}/oauth2/v2.0/token (Microsoft identity platform,
 * "OAuth 2.0 client credentials flow"), so that @azure/identity's ClientSecretCredential runs
 * for real against it. Access tokens are opaque random strings the emulator remembers.
 *
 * ARM's side: a request without a valid bearer token gets 401 with ARM's error body and a
 * WWW-Authenticate challenge naming the authority.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ArmFailure, type ArmAnswer, type ArmRequest, isRecord, stringField } from './arm-http';

export interface ServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

function aadError(status: number, error: string, code: number, description: string): ArmAnswer {
  return {
    status,
    body: { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code], timestamp: new Date().toISOString() },
  };
}

export class AadEmulator {
  private readonly tokens = new Map<string, number>();
  /** How many tokens were issued, so a test can see the credential cache at work. */
  issued = 0;

  constructor(
    private readonly principal: ServicePrincipal,
    private readonly tokenLifetimeSeconds: number,
  ) {}

  /** Answers the identity endpoints; undefined for any other path. */
  handle(request: ArmRequest): ArmAnswer | undefined {
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(request.path);
    if (discovery && request.method === 'GET') return this.discovery(request.origin, discovery[1] ?? '');
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(request.path);
    if (token && request.method === 'POST') return this.token(token[1] ?? '', request.body);
    return undefined;
  }

  private discovery(origin: string, tenant: string): ArmAnswer {
    if (tenant !== this.principal.tenantId) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    const base = `${origin}/${tenant}`;
    return {
      status: 200,
      body: {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        tenant_region_scope: null,
        cloud_instance_name: 'emulator.local',
      },
    };
  }

  private token(tenant: string, body: unknown): ArmAnswer {
    if (tenant !== this.principal.tenantId) return aadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    const form = isRecord(body) ? body : {};
    if (stringField(form.grant_type) !== 'client_credentials') return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if (stringField(form.client_id) !== this.principal.clientId) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${stringField(form.client_id) ?? ''}' was not found in the directory '${tenant}'.`);
    }
    const secret = stringField(form.client_secret);
    if (secret === undefined || !sameSecret(secret, this.principal.clientSecret)) {
      return aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    }
    const scope = stringField(form.scope) ?? '';
    if (!scope.split(' ').some((item) => item.endsWith('/.default'))) return aadError(400, 'invalid_scope', 1002012, `The scope ${scope} is not valid: the client-credentials flow needs a scope ending in /.default.`);
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, Date.now() + this.tokenLifetimeSeconds * 1000);
    this.issued += 1;
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, ext_expires_in: this.tokenLifetimeSeconds, access_token: accessToken },
    };
  }

  /** Undefined when the Authorization header carries a live token this emulator issued. */
  checkBearer(origin: string, authorization: string | undefined): ArmFailure | undefined {
    const challenge = (description: string): Record<string, string> => ({
      'www-authenticate': `Bearer authorization_uri="${origin}/${this.principal.tenantId}", error="invalid_token", error_description="${description}"`,
    });
    const refuse = (code: string, message: string, description: string): ArmFailure => new ArmFailure(401, code, message, undefined, challenge(description));
    if (authorization === undefined) {
      return refuse('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header.");
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const expiresAt = match ? this.tokens.get(match[1] ?? '') : undefined;
    if (expiresAt === undefined) return refuse('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
    if (expiresAt <= Date.now()) return refuse('ExpiredAuthenticationToken', 'The access token expiry UTC time is earlier than current UTC time.', 'The access token has expired.');
    return undefined;
  }
}
