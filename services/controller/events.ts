/**
 * Kubernetes Events (core/v1, in the object's namespace) for what the controller does and
 * the phases an object goes through. The same event twice in a row for one object is
 * recorded once, so a reconcile that repeats does not flood the namespace.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { CustomResource } from './kube-objects';

export type EventType = 'Normal' | 'Warning';

export interface RecordedEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export const CONTROLLER_COMPONENT = 'slipway-controller';

export class EventRecorder {
  private readonly api: CoreV1Api;
  private readonly last = new Map<string, string>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly instance: string,
  ) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
  }

  async record(object: CustomResource, event: RecordedEvent): Promise<void> {
    const { namespace, name, uid } = object.metadata;
    const key = `${namespace}/${name}/${uid}`;
    const fingerprint = `${event.type}/${event.reason}/${event.message}`;
    if (this.last.get(key) === fingerprint) return;
    const now = new Date();
    await this.api.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${name}.`, namespace },
        involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name, namespace, uid, resourceVersion: object.metadata.resourceVersion },
        type: event.type,
        reason: event.reason,
        message: event.message,
        source: { component: CONTROLLER_COMPONENT },
        reportingComponent: `slipway.dev/${CONTROLLER_COMPONENT}`,
        reportingInstance: this.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    this.last.set(key, fingerprint);
  }

  /** Forget an object that is gone, so the map does not grow forever. */
  forget(object: CustomResource): void {
    this.last.delete(`${object.metadata.namespace}/${object.metadata.name}/${object.metadata.uid}`);
  }
}
