/**
 * Reading Slipway's custom resources on a test kube-apiserver as kubectl would: objects as
 * plain JSON, their conditions, Ready for the current generation, the Table kubectl prints
 * (printer columns) and the Events recorded for them.
 */
import { request } from 'node:https';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { isPlainObject, type JsonObject } from '../../crds/json';
import type { KubeApiServer } from './kube-apiserver';

export function jsonObject(value: unknown): JsonObject {
  if (!isPlainObject(value)) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return value;
}

export function isNotFoundError(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 404;
}

export function conditionOf(resource: JsonObject, type: string): JsonObject | undefined {
  const status = isPlainObject(resource.status) ? resource.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
  return conditions.find((item) => item.type === type);
}

/** Polls `probe` until it answers something; on timeout the error carries `context()` (e.g. controller output). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, context: () => string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One kind's custom resources in one namespace of the test cluster. */
export function kubeResources(server: KubeApiServer, plural: string, namespace = 'default') {
  const api = server.kubeConfig.makeApiClient(CustomObjectsApi);
  const core = server.kubeConfig.makeApiClient(CoreV1Api);
  const coordinates = { group: 'slipway.dev', version: 'v1alpha1', plural, namespace } as const;

  const read = async (name: string): Promise<JsonObject | undefined> => {
    try {
      return jsonObject(await api.getNamespacedCustomObject({ ...coordinates, name }));
    } catch (error) {
      if (isNotFoundError(error)) return undefined;
      throw error;
    }
  };

  /** The object once Ready=True for its current generation. */
  const readyAtGeneration = async (name: string): Promise<JsonObject | undefined> => {
    const resource = await read(name);
    if (!resource) return undefined;
    const status = isPlainObject(resource.status) ? resource.status : {};
    const ready = conditionOf(resource, 'Ready')?.status === 'True' && status.observedGeneration === jsonObject(resource.metadata).generation;
    return ready ? resource : undefined;
  };

  /** The object as `kubectl get` prints it: column name to cell. */
  const tableRow = async (name: string): Promise<Record<string, unknown>> => {
    const table = await new Promise<JsonObject>((resolve, reject) => {
      const path = `/apis/slipway.dev/v1alpha1/namespaces/${namespace}/${plural}/${name}`;
      const call = request(new URL(path, server.url), { method: 'GET', ca: server.caCertificate, headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io', authorization: `Bearer ${server.token}` } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve(jsonObject(JSON.parse(Buffer.concat(chunks).toString('utf8')))));
        response.on('error', reject);
      });
      call.once('error', reject);
      call.end();
    });
    if (table.kind !== 'Table') throw new Error(`expected a Table, got ${JSON.stringify(table)}`);
    const columns = (table.columnDefinitions as JsonObject[]).map((column) => String(column.name));
    const rows = table.rows as JsonObject[];
    if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
    const cells = jsonObject(rows[0]).cells as unknown[];
    return Object.fromEntries(columns.map((column, index) => [column, cells[index]]));
  };

  const eventReasons = async (name: string): Promise<string[]> => {
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    return events.items.map((event) => event.reason ?? '');
  };

  return { api, coordinates, read, readyAtGeneration, tableRow, eventReasons };
}
