/**
 * Resolves credential references inside activities. A reference (namespace + secret name)
 * travels through workflows; the values never do. Dev mode keeps secrets as JSON files
 * under SLIPWAY_HOME/secrets/<namespace>/<name>.json (mode 0600).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';

export type SecretData = Readonly<Record<string, string>>;

export interface SecretStore {
  read(namespace: string, name: string): Promise<SecretData>;
}

const SAFE_SEGMENT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function fileSecretStore(directory: string): SecretStore {
  return {
    async read(namespace, name) {
      if (!SAFE_SEGMENT.test(namespace) || !SAFE_SEGMENT.test(name)) {
        throw ApplicationFailure.nonRetryable(`secret reference ${namespace}/${name} is not a valid name; use lowercase letters, digits and '-'.`, 'InvalidRequest');
      }
      const path = join(directory, namespace, `${name}.json`);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        throw ApplicationFailure.nonRetryable(
          `secret ${namespace}/${name} was not found. Create ${path} holding a JSON object of the credential's fields; Slipway waits and goes on by itself once it exists.`,
          'CredentialsNotFound',
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        // JSON.parse quotes the text around the fault, which may be the secret itself: keep only where it is.
        const at = error instanceof SyntaxError ? /position (\d+)/.exec(error.message)?.[1] : undefined;
        throw ApplicationFailure.nonRetryable(
          `secret ${namespace}/${name} is not valid JSON${at !== undefined ? ` (the fault is at character ${at})` : ''}; fix ${path} so it holds a JSON object of string fields, then Slipway goes on by itself.`,
          'CredentialsRefused',
        );
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw ApplicationFailure.nonRetryable(`secret ${namespace}/${name} is not a JSON object of string fields; fix ${path}, then the cluster goes on by itself.`, 'CredentialsRefused');
      }
      return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
    },
  };
}
