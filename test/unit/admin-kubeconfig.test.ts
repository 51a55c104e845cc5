import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminKubeconfigUnavailable, readAdminKubeconfig } from '../../services/common/admin-kubeconfig';
import { fileSecretStore } from '../../services/worker/secrets';

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'slipway-kubeconfig-'));
  await mkdir(join(directory, 'default'));
  await writeFile(join(directory, 'default', 'demo-admin-kubeconfig.json'), JSON.stringify({ kubeconfig: 'apiVersion: v1\nkind: Config\n' }));
  await writeFile(join(directory, 'default', 'empty-admin-kubeconfig.json'), JSON.stringify({ other: 'x' }));
  await writeFile(join(directory, 'default', 'broken-admin-kubeconfig.json'), '{"kubeconfig": "secret-text');
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function refusal(name: string): Promise<AdminKubeconfigUnavailable> {
  const error = await readAdminKubeconfig(fileSecretStore(directory), { namespace: 'default', name }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AdminKubeconfigUnavailable)) throw new Error(`expected AdminKubeconfigUnavailable, got ${String(error)}`);
  return error;
}

describe('readAdminKubeconfig', () => {
  it('reads the kubeconfig field of the secret', async () => {
    expect(await readAdminKubeconfig(fileSecretStore(directory), { namespace: 'default', name: 'demo-admin-kubeconfig' })).toBe('apiVersion: v1\nkind: Config\n');
  });

  it.each([
    ['absent-admin-kubeconfig', true, /was not found/],
    ['empty-admin-kubeconfig', false, /holds no "kubeconfig" field/],
    ['broken-admin-kubeconfig', false, /not valid JSON/],
  ])('%s: missing=%s, and the message never repeats the content', async (name, missing, message) => {
    const error = await refusal(name);
    expect(error.missing).toBe(missing);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('secret-text');
  });
});
