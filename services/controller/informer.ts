/**
 * Watches one kind of custom object in all namespaces with a client-node informer (list,
 * then watch) and hands each object's key to `enqueue`: on every add, update and delete,
 * and for every cached object each resync period, so nothing missed is missed for long. A
 * watch that errors is started again after a pause.
 */
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { isPlainObject } from '../../crds/json';
import { SLIPWAY_GROUP, SLIPWAY_VERSION, type CustomResourceClient } from './kube-objects';

export interface ResourceInformerOptions {
  readonly resyncMs: number;
  readonly restartAfterErrorMs: number;
  readonly enqueue: (namespace: string, name: string) => void;
  readonly onError: (error: unknown) => void;
}

function asList(value: unknown): KubernetesListObject<KubernetesObject> {
  if (!isPlainObject(value) || !Array.isArray(value.items)) throw new Error('the API server answered a list without items');
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  return {
    apiVersion: String(value.apiVersion),
    kind: String(value.kind),
    metadata: { ...(typeof metadata.resourceVersion === 'string' ? { resourceVersion: metadata.resourceVersion } : {}) },
    items: value.items.filter(isPlainObject),
  };
}

export class ResourceInformer {
  private readonly informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  private resync: NodeJS.Timeout | undefined;
  private restart: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    kubeConfig: KubeConfig,
    resources: CustomResourceClient,
    private readonly options: ResourceInformerOptions,
  ) {
    this.informer = makeInformer(kubeConfig, `/apis/${SLIPWAY_GROUP}/${SLIPWAY_VERSION}/${resources.plural}`, async () => asList(await resources.listAll()));
    const enqueueObject = (object: KubernetesObject) => {
      const { namespace, name } = object.metadata ?? {};
      if (namespace && name) options.enqueue(namespace, name);
    };
    this.informer.on('add', enqueueObject);
    this.informer.on('update', enqueueObject);
    this.informer.on('delete', enqueueObject);
    this.informer.on('error', (error) => {
      options.onError(error);
      this.scheduleRestart();
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.startWatch();
    this.resync = setInterval(() => {
      for (const object of this.informer.list()) {
        const { namespace, name } = object.metadata ?? {};
        if (namespace && name) this.options.enqueue(namespace, name);
      }
    }, this.options.resyncMs);
  }

  private async startWatch(): Promise<void> {
    if (!this.running) return;
    try {
      await this.informer.start();
    } catch (error) {
      this.options.onError(error);
      this.scheduleRestart();
    }
  }

  /** One pending restart at most: a failed start can both reject and report an error. */
  private scheduleRestart(): void {
    if (!this.running || this.restart !== undefined) return;
    this.restart = setTimeout(() => {
      this.restart = undefined;
      void this.startWatch();
    }, this.options.restartAfterErrorMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.resync);
    clearTimeout(this.restart);
    await this.informer.stop();
  }
}
