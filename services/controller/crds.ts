/**
 * Installs or upgrades Slipway's CustomResourceDefinitions (crds/*.slipway.dev.yaml) on a
 * management cluster by server-side apply, then waits until the API server serves each one.
 *
 * The CRDs go through the custom-objects API as plain objects on purpose: client-node's typed
 * CRD model spells `x-kubernetes-*` schema fields in snake_case and would drop ours silently,
 * after which the server prunes every status to `{}`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { isPlainObject, type JsonObject } from '../../crds/json';

export const FIELD_MANAGER = 'slipway';
export const CRD_DIRECTORY = fileURLToPath(new URL('../../crds/', import.meta.url));

const APIEXTENSIONS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' } as const;
const ESTABLISHED_POLL_MS = 100;

export interface CrdManifest extends JsonObject {
  readonly apiVersion: string;
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string };
}

export interface InstalledCrd {
  readonly name: string;
  readonly resourceVersion: string;
  readonly generation: number;
}

/** Reads every generated CRD in the directory (by default the repository's crds/). */
export async function readCrdManifests(directory: string = CRD_DIRECTORY): Promise<CrdManifest[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.slipway.dev.yaml')).sort();
  return Promise.all(files.map(async (file) => toCrdManifest(parse(await readFile(join(directory, file), 'utf8')), file)));
}

function toCrdManifest(value: unknown, file: string): CrdManifest {
  if (!isPlainObject(value) || value.kind !== 'CustomResourceDefinition' || typeof value.apiVersion !== 'string' || !isPlainObject(value.metadata) || typeof value.metadata.name !== 'string') {
    throw new Error(`${file} is not a CustomResourceDefinition with a metadata.name`);
  }
  return value as CrdManifest;
}

/**
 * Applies each CRD with field manager `slipway`, forcing ownership of the fields it sets (an
 * older Slipway, or a hand edit, must not block an upgrade), and resolves once all are
 * Established. Applying the same manifests again changes nothing on the server.
 */
export async function installCrds(kubeConfig: KubeConfig, options: { readonly manifests?: readonly CrdManifest[]; readonly establishedTimeoutMs?: number } = {}): Promise<InstalledCrd[]> {
  const manifests = options.manifests ?? (await readCrdManifests());
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const serverSideApply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  for (const manifest of manifests) {
    await api.patchClusterCustomObject({ ...APIEXTENSIONS, name: manifest.metadata.name, body: manifest, fieldManager: FIELD_MANAGER, force: true }, serverSideApply);
  }
  const deadline = Date.now() + (options.establishedTimeoutMs ?? 30_000);
  return Promise.all(manifests.map((manifest) => waitUntilEstablished(api, manifest.metadata.name, deadline)));
}

async function waitUntilEstablished(api: CustomObjectsApi, name: string, deadline: number): Promise<InstalledCrd> {
  for (;;) {
    const crd: unknown = await api.getClusterCustomObject({ ...APIEXTENSIONS, name });
    const conditions = conditionsOf(crd);
    if (conditions.some((condition) => condition.type === 'Established' && condition.status === 'True')) {
      const metadata = isPlainObject(crd) && isPlainObject(crd.metadata) ? crd.metadata : {};
      return { name, resourceVersion: String(metadata.resourceVersion), generation: Number(metadata.generation) };
    }
    if (Date.now() > deadline) {
      const described = conditions.map((condition) => `${condition.type}=${condition.status} (${condition.reason ?? ''}: ${condition.message ?? ''})`).join('; ');
      throw new Error(`CustomResourceDefinition ${name} was not Established in time; its conditions: ${described || 'none yet'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, ESTABLISHED_POLL_MS));
  }
}

interface CrdCondition {
  readonly type: unknown;
  readonly status: unknown;
  readonly reason?: unknown;
  readonly message?: unknown;
}

function conditionsOf(crd: unknown): CrdCondition[] {
  if (!isPlainObject(crd) || !isPlainObject(crd.status) || !Array.isArray(crd.status.conditions)) return [];
  return crd.status.conditions.filter(isPlainObject).map((condition) => ({ type: condition.type, status: condition.status, reason: condition.reason, message: condition.message }));
}
