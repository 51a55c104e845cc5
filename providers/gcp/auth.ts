/**
 * The google-auth-library client each SDK call authenticates with.
 *   accessToken        an OAuth2Client holding the token as it is (never refreshed).
 *   serviceAccountKey  a JWT client without OAuth scopes, which signs a short-lived self-signed JWT
 *                      for https://compute.googleapis.com/ (https://dns.googleapis.com/ for Cloud DNS calls) with the key itself: no token endpoint call.
 *   keyFile / none     GoogleAuth's Application Default Credentials with the compute and Cloud DNS scopes.
 */
import { GoogleAuth, JWT, OAuth2Client, type AuthClient } from 'google-auth-library';
import type { GcpCredentials } from './options';

export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
/** The cluster's API record lives in Cloud DNS. */
export const DNS_SCOPE = 'https://www.googleapis.com/auth/ndev.clouddns.readwrite';

export interface ResolvedAuth {
  readonly client: AuthClient;
  /** The project the credentials belong to, when they say. */
  readonly projectId: string | undefined;
}

/** The secrets in the credentials, so error text can be scrubbed of them. */
export function secretsOf(credentials: GcpCredentials | undefined): string[] {
  if (credentials?.kind === 'accessToken') return [credentials.accessToken];
  if (credentials?.kind === 'serviceAccountKey') return [credentials.key.privateKey, ...credentials.key.privateKey.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'))];
  return [];
}

/**
 * The self-signed JWT's audience comes from the client's defaultServicePath, which each Compute
 * Engine client sets to compute.googleapis.com on the client it is given; Cloud DNS calls get a
 * client of their own with Cloud DNS's service path, so their JWT is for https://dns.googleapis.com/.
 */
export const DNS_SERVICE_PATH = 'dns.googleapis.com';

export async function resolveAuth(credentials: GcpCredentials | undefined, servicePath?: string): Promise<ResolvedAuth> {
  if (credentials?.kind === 'accessToken') {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: credentials.accessToken });
    return { client, projectId: undefined };
  }
  if (credentials?.kind === 'serviceAccountKey') {
    const { key } = credentials;
    const client = new JWT({ email: key.clientEmail, key: key.privateKey, ...(key.privateKeyId ? { keyId: key.privateKeyId } : {}) });
    if (servicePath !== undefined) client.defaultServicePath = servicePath;
    return { client, projectId: key.projectId };
  }
  const auth = new GoogleAuth({ scopes: [COMPUTE_SCOPE, DNS_SCOPE], ...(credentials?.kind === 'keyFile' ? { keyFilename: credentials.path } : {}) });
  const client = await auth.getClient();
  const projectId = await auth.getProjectId().catch(() => undefined);
  return { client, projectId };
}
