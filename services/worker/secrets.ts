/**
 * Resolves credential references inside activities. A reference (namespace + secret name)
 * travels through workflows; the values never do. Dev mode keeps secrets as JSON files
 * under SLIPWAY_HOME/secrets/<namespace>/<name>.json (mode 0600).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';

export type SecretData = Readonly<Record<string, string>>;

export interface SecretStore {
  read(namespace: string, name: string): Promise<SecretData>;
}

/** What Slipway itself keeps in the store (a hosted cluster's PKI and kubeconfig), beside what users put there. */
export interface WritableSecretStore extends SecretStore {
  /**
   * Replaces the secret as a whole; a reader sees the old or the new one, never half of either.
   * With ifAbsent, an existing secret is kept and false returned: what a key that must never be
   * silently replaced is written with.
   */
  write(namespace: string, name: string, data: SecretData, options?: { readonly ifAbsent?: boolean }): Promise<boolean>;
  /** Removing a secret that is not there succeeds. */
  remove(namespace: string, name: string): Promise<void>;
}

const SAFE_SEGMENT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function fileSecretStore(directory: string): WritableSecretStore {
  const pathOf = (namespace: string, name: string): string => {
    if (!SAFE_SEGMENT.test(namespace) || !SAFE_SEGMENT.test(name)) {
      throw ApplicationFailure.nonRetryable(`secret reference ${namespace}/${name} is not a valid name; use lowercase letters, digits and '-'.`, 'InvalidRequest');
    }
    return join(directory, namespace, `${name}.json`);
  };
  return {
    async write(namespace, name, data, options = {}) {
      const path = pathOf(namespace, name);
      await mkdir(join(directory, namespace), { recursive: true, mode: 0o700 });
      const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
      await writeFile(partial, JSON.stringify(data), { mode: 0o600 });
      if (!options.ifAbsent) {
        await rename(partial, path);
        return true;
      }
      // link() fails when the name exists, so of two writers at once exactly one wins.
      try {
        await link(partial, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await rm(partial, { force: true });
      }
    },
    async remove(namespace, name) {
      await rm(pathOf(namespace, name), { force: true });
    },
    async read(namespace, name) {
      const path = pathOf(namespace, name);
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
