/**
 * The google-auth-library client each SDK call authenticates with.
 *   accessToken        an OAuth2Client holding the token as it is (never refreshed).
 *   serviceAccountKey  a JWT client without OAuth scopes, which signs a short-lived self-signed JWT
 *                      for https://compute.googleapis.com/ with the key itself: no token endpoint call.
 *   keyFile / none     GoogleAuth's Application Default Credentials with the compute scope.
 */
import { GoogleAuth, JWT, OAuth2Client, type AuthClient } from 'google-auth-library';
import type { GcpCredentials } from './options';

export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';

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

export async function resolveAuth(credentials: GcpCredentials | undefined): Promise<ResolvedAuth> {
  if (credentials?.kind === 'accessToken') {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: credentials.accessToken });
    return { client, projectId: undefined };
  }
  if (credentials?.kind === 'serviceAccountKey') {
    const { key } = credentials;
    const client = new JWT({ email: key.clientEmail, key: key.privateKey, ...(key.privateKeyId ? { keyId: key.privateKeyId } : {}) });
    return { client, projectId: key.projectId };
  }
  const auth = new GoogleAuth({ scopes: [COMPUTE_SCOPE], ...(credentials?.kind === 'keyFile' ? { keyFilename: credentials.path } : {}) });
  const client = await auth.getClient();
  const projectId = await auth.getProjectId().catch(() => undefined);
  return { client, projectId };
}
