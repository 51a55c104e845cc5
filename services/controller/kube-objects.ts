/**
 * Custom objects as the controller reads and writes them: plain JSON through client-node's
 * custom-objects API, never its typed models, which drop `x-kubernetes-*` fields and would
 * lose a status on the round trip.
 */
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { isPlainObject, type JsonObject } from '../../crds/json';

export const SLIPWAY_GROUP = 'slipway.dev';
export const SLIPWAY_VERSION = 'v1alpha1';
export const DEPROVISION_FINALIZER = 'slipway.dev/deprovision';
export const PAUSED_ANNOTATION = 'slipway.dev/paused';
/** On the entity workflow's object: the CR generation whose spec it last took. */
export const CR_GENERATION_ANNOTATION = 'slipway.dev/cr-generation';

export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface CustomResourceMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly generation: number;
  readonly deletionTimestamp?: string;
  readonly finalizers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface CustomResource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: CustomResourceMetadata;
  readonly spec: JsonObject;
  readonly status: JsonObject | undefined;
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function toCustomResource(value: unknown): CustomResource {
  if (!isPlainObject(value) || !isPlainObject(value.metadata)) throw new Error('the API server answered something that is not an object with metadata');
  const metadata = value.metadata;
  return {
    apiVersion: String(value.apiVersion),
    kind: String(value.kind),
    metadata: {
      name: String(metadata.name),
      namespace: String(metadata.namespace),
      uid: String(metadata.uid),
      resourceVersion: String(metadata.resourceVersion),
      generation: Number(metadata.generation ?? 1),
      ...(typeof metadata.deletionTimestamp === 'string' ? { deletionTimestamp: metadata.deletionTimestamp } : {}),
      finalizers: Array.isArray(metadata.finalizers) ? metadata.finalizers.filter((item): item is string => typeof item === 'string') : [],
      labels: stringRecord(metadata.labels),
      annotations: stringRecord(metadata.annotations),
    },
    spec: isPlainObject(value.spec) ? value.spec : {},
    status: isPlainObject(value.status) ? value.status : undefined,
  };
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

export function isConflict(error: unknown): boolean {
  return error instanceof ApiException && error.code === 409;
}

/** One kind's namespaced custom objects. */
export class CustomResourceClient {
  private readonly api: CustomObjectsApi;
  readonly apiVersion: string;

  constructor(
    kubeConfig: KubeConfig,
    readonly plural: string,
  ) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.apiVersion = `${SLIPWAY_GROUP}/${SLIPWAY_VERSION}`;
  }

  private coordinates(namespace: string) {
    return { group: SLIPWAY_GROUP, version: SLIPWAY_VERSION, plural: this.plural, namespace };
  }

  /** The object, or undefined when it does not exist. */
  async get(namespace: string, name: string): Promise<CustomResource | undefined> {
    try {
      return toCustomResource(await this.api.getNamespacedCustomObject({ ...this.coordinates(namespace), name }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async listAll(): Promise<unknown> {
    return this.api.listClusterCustomObject({ group: SLIPWAY_GROUP, version: SLIPWAY_VERSION, plural: this.plural });
  }

  /** Sets the finalizers, failing with 409 if the object changed since `resourceVersion`. */
  async setFinalizers(object: CustomResource, finalizers: readonly string[]): Promise<CustomResource> {
    const body = { metadata: { finalizers, resourceVersion: object.metadata.resourceVersion } };
    return toCustomResource(await this.api.patchNamespacedCustomObject({ ...this.coordinates(object.metadata.namespace), name: object.metadata.name, body }, MERGE_PATCH));
  }

  /** A merge patch of the status subresource. */
  async patchStatus(object: CustomResource, status: JsonObject): Promise<CustomResource> {
    return toCustomResource(
      await this.api.patchNamespacedCustomObjectStatus({ ...this.coordinates(object.metadata.namespace), name: object.metadata.name, body: { status } }, MERGE_PATCH),
    );
  }
}
