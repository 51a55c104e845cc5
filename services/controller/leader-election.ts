/**
 * Leader election on a coordination.k8s.io/v1 Lease. client-node 2.0.1 ships no elector, so
 * this is a small one: a replica takes the Lease when it is free or its holder has not
 * renewed it for a whole lease duration (as this replica observed, so clocks need not
 * agree), renews it with a resourceVersion precondition, and steps down as soon as a renew
 * fails. The Lease goes through the custom-objects API as plain JSON, so its MicroTime
 * fields carry the six fractional digits the server insists on.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isPlainObject, type JsonObject } from '../../crds/json';
import { isConflict, isNotFound } from './kube-objects';

const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' } as const;

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** This replica's name in holderIdentity; unique per process. */
  readonly identity: string;
  readonly leaseDurationMs: number;
  /** How often the leader renews, and a follower tries to take the Lease. */
  readonly retryPeriodMs: number;
  readonly onStartedLeading: () => void | Promise<void>;
  readonly onStoppedLeading: () => void | Promise<void>;
  readonly onError?: (error: unknown) => void;
}

interface LeaseRecord {
  readonly holder: string;
  readonly durationSeconds: number;
  readonly transitions: number;
  readonly acquireTime: string | undefined;
  readonly resourceVersion: string;
}

/** RFC 3339 with microseconds, as metav1.MicroTime is parsed. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly api: CustomObjectsApi;
  private leading = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** The holder's record as last seen, and when it was first seen unchanged. */
  private observed: { readonly key: string; readonly at: number } | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: LeaderElectionOptions,
  ) {
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader gives the Lease up so another replica need not wait it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.options.onStoppedLeading();
      await this.release().catch((error: unknown) => this.options.onError?.(error));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let held = false;
      try {
        held = await this.tryAcquireOrRenew();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (this.stopped) break;
      if (held && !this.leading) {
        this.leading = true;
        await this.options.onStartedLeading();
      } else if (!held && this.leading) {
        this.leading = false;
        await this.options.onStoppedLeading();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.retryPeriodMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private coordinates() {
    return { ...LEASES, namespace: this.options.namespace, name: this.options.name };
  }

  private async read(): Promise<LeaseRecord | undefined> {
    let lease: unknown;
    try {
      lease = await this.api.getNamespacedCustomObject(this.coordinates());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const spec = isPlainObject(lease) && isPlainObject(lease.spec) ? lease.spec : {};
    const metadata = isPlainObject(lease) && isPlainObject(lease.metadata) ? lease.metadata : {};
    return {
      holder: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '',
      durationSeconds: typeof spec.leaseDurationSeconds === 'number' ? spec.leaseDurationSeconds : 0,
      transitions: typeof spec.leaseTransitions === 'number' ? spec.leaseTransitions : 0,
      acquireTime: typeof spec.acquireTime === 'string' ? spec.acquireTime : undefined,
      resourceVersion: String(metadata.resourceVersion),
    };
  }

  private leaseBody(spec: JsonObject, resourceVersion?: string): JsonObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.options.name, namespace: this.options.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec,
    };
  }

  /** True when this replica holds the Lease after the call. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { identity } = this.options;
    const now = new Date();
    const durationSeconds = Math.max(1, Math.ceil(this.options.leaseDurationMs / 1000));
    const current = await this.read();
    if (!current) {
      const spec = { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      try {
        await this.api.createNamespacedCustomObject({ ...LEASES, namespace: this.options.namespace, body: this.leaseBody(spec) });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    }
    const ours = current.holder === identity;
    if (!ours && current.holder !== '' && !this.expired(current)) return false;
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: ours && current.acquireTime ? current.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: ours ? current.transitions : current.transitions + 1,
    };
    try {
      await this.api.replaceNamespacedCustomObject({ ...this.coordinates(), body: this.leaseBody(spec, current.resourceVersion) });
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** A holder's Lease has expired when its record has not changed for its whole duration, by our clock. */
  private expired(record: LeaseRecord): boolean {
    const key = `${record.holder}/${record.resourceVersion}`;
    const now = Date.now();
    if (this.observed?.key !== key) {
      this.observed = { key, at: now };
      return false;
    }
    return now - this.observed.at >= record.durationSeconds * 1000;
  }

  private async release(): Promise<void> {
    const current = await this.read();
    if (!current || current.holder !== this.options.identity) return;
    const spec = { holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()), leaseTransitions: current.transitions, ...(current.acquireTime ? { acquireTime: current.acquireTime } : {}) };
    await this.api.replaceNamespacedCustomObject({ ...this.coordinates(), body: this.leaseBody(spec, current.resourceVersion) });
  }
}
