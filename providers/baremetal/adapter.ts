/**
 * The bare-metal provider adapter: machines are hosts from an inventory, driven over Redfish.
 * createMachine claims a free host of the requested class (instanceType) in the shared SQLite
 * inventory, arms a one-time PXE boot and powers it on; deleteMachine powers it off and, once
 * its BMC reports Off, clears the boot override and frees the host. Phases come from the
 * observed PowerState. There is no network or load balancer to make: the cluster's API
 * address is its DNS name, which the site provides.
 *
 * A machine's provider ID is `baremetal://<host>/<claim>`: the host, and which of its claims
 * the machine is, so a late delete can never power off the next machine on that host.
 */
import { stat } from 'node:fs/promises';
import { TAG_ENCODINGS } from '../tag-encoding';
import type { CanonicalTags, CloudMachine, CloudResource, ClusterInfra, ClusterInfraRequest, MachineCreateRequest, ProviderAdapter, TagQuery } from '../types';
import { ProviderError } from '../types';
import { invalidField } from '../http-errors';
import { CLOUD } from './errors';
import { createHostPower } from './host-power';
import { HostInventory, type ClaimResult, type HostRow } from './inventory';
import { readInventoryFile } from './inventory-file';
import type { BaremetalAdapterOptions } from './options';
import { createRedfishClient } from './redfish';

export { baremetalAdapterOptionsFrom, BAREMETAL_ENV, BMC_SECRET_FIELDS, type BaremetalAdapterOptions, type BaremetalAdapterOptionsInput } from './options';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Each listed host costs one read of its BMC. */
const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_POWER_OFF_RETRY_MS = 60_000;

export function providerIdOf(host: HostRow): string {
  return `baremetal://${host.name}/${host.generation}`;
}

function parseProviderId(providerId: string): { host: string; generation: number } {
  const match = /^baremetal:\/\/([^/]+)\/(\d+)$/.exec(providerId);
  if (!match?.[1] || !match[2]) throw new ProviderError('invalid', `${CLOUD}: "${providerId}" is not a bare-metal provider ID (baremetal://<host>/<claim>)`);
  return { host: match[1], generation: Number(match[2]) };
}

function machineOf(host: HostRow, phase: CloudMachine['phase']): CloudMachine {
  return {
    providerId: providerIdOf(host),
    name: host.machineName ?? '',
    phase,
    tags: TAG_ENCODINGS.baremetal.decode(host.tags),
    ...(host.claimedAt !== null ? { createdAt: host.claimedAt } : {}),
    ...(host.ip !== null ? { privateIp: host.ip } : {}),
  };
}

function encodedTags(tags: Readonly<Record<string, string>>, operation: string): Record<string, string> {
  try {
    return TAG_ENCODINGS.baremetal.encode(tags);
  } catch (error) {
    throw invalidField(CLOUD, operation, 'tags', `are not Slipway tags (${error instanceof Error ? error.message : 'unreadable'})`);
  }
}

function openClaims(path: string): HostInventory {
  try {
    return new HostInventory(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unknown error';
    throw new ProviderError('invalid', `${CLOUD}: cannot open the claims database ${path} (${reason}); point SLIPWAY_BAREMETAL_DB at a writable file`);
  }
}

export function createBaremetalAdapter(options: BaremetalAdapterOptions): ProviderAdapter {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const power = createHostPower({
    redfish: createRedfishClient({
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      allowInsecureEndpoints: options.allowInsecureEndpoints ?? false,
      ...(options.meter !== undefined ? { meter: options.meter } : {}),
    }),
    resolveCredentials: options.resolveCredentials,
    endpointOverride: options.endpointOverride,
    powerOffRetryMs: options.powerOffRetryMs ?? DEFAULT_POWER_OFF_RETRY_MS,
    now: () => Date.now(),
  });

  let database: HostInventory | undefined;
  let syncedMtimeMs: number | undefined;
  /** The claims database, in step with the inventory file: re-read whenever the file changes. */
  const inventoryForClaims = async (): Promise<HostInventory> => {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(options.inventoryPath)).mtimeMs;
    } catch {
      throw new ProviderError('invalid', `${CLOUD}: the host inventory ${options.inventoryPath} does not exist; create it or point SLIPWAY_BAREMETAL_INVENTORY at it`);
    }
    if (database && mtimeMs === syncedMtimeMs) return database;
    const hosts = await readInventoryFile(options.inventoryPath);
    database ??= openClaims(options.databasePath);
    database.sync(hosts);
    syncedMtimeMs = mtimeMs;
    return database;
  };
  /**
   * For hosts already claimed, the database alone is enough: a file being edited (or broken)
   * must not stop describes and deletes of running machines. New claims wait for a good file.
   */
  const inventoryForClaimed = async (): Promise<HostInventory> => {
    try {
      return await inventoryForClaims();
    } catch (error) {
      if (database) return database;
      throw error;
    }
  };

  /** A claimed host as a machine; a release under way is moved on, and undefined once it is done. */
  const currentMachine = async (db: HostInventory, host: HostRow): Promise<CloudMachine | undefined> => {
    if (host.state === 'deprovisioning') return (await power.advanceRelease(db, host)) === 'released' ? undefined : machineOf(host, 'stopping');
    return machineOf(host, await power.observe(host));
  };

  async function* claimedPages(query: TagQuery): AsyncGenerator<{ db: HostInventory; hosts: HostRow[] }> {
    const tags = encodedTags(query, 'list');
    const db = await inventoryForClaimed();
    let afterSeq = 0;
    for (;;) {
      // A worker for one site (region) sees the claims it could have made: its site's hosts and those with none.
      const hosts = db.claimedPage({ tags, afterSeq, limit: pageSize, site: options.site });
      if (hosts.length > 0) yield { db, hosts };
      const last = hosts.at(-1);
      if (hosts.length < pageSize || last === undefined) return;
      afterSeq = last.seq;
    }
  }

  const deleteMachine = async (providerId: string): Promise<void> => {
    const { host: hostName, generation } = parseProviderId(providerId);
    const db = await inventoryForClaimed();
    const host = db.byHostName(hostName);
    if (!host || host.state === 'free' || host.generation !== generation) return;
    const releasing = db.markDeprovisioning(host);
    if (releasing) await power.advanceRelease(db, releasing);
  };

  /**
   * Finishes releases nobody is watching (a sweeper deletes and moves on) once their BMC reports
   * Off, so those hosts count as free again. A BMC that cannot be reached just keeps its host.
   */
  const finishReleases = async (db: HostInventory, hostClass: string): Promise<boolean> => {
    const progress = await Promise.all(db.releasesUnderWay(hostClass, options.site, pageSize).map((host) => power.advanceRelease(db, host).catch(() => 'stopping' as const)));
    return progress.includes('released');
  };

  const createMachine = async (request: MachineCreateRequest): Promise<CloudMachine> => {
    const operation = 'create machine';
    if (request.name.trim() === '') throw invalidField(CLOUD, operation, 'name', 'must not be empty');
    if (request.instanceType.trim() === '') throw invalidField(CLOUD, operation, 'instanceType', 'must name a host class from the inventory, and is empty');
    if (request.image.trim() === '') throw invalidField(CLOUD, operation, 'image', 'must name the image the PXE server installs, and is empty');
    const tags = encodedTags(request.tags, operation);
    const db = await inventoryForClaims();
    const classes = db.classes();
    const hostsOfClass = classes.get(request.instanceType);
    if (hostsOfClass === undefined) {
      throw invalidField(CLOUD, operation, 'instanceType', `"${request.instanceType}" is no host class in the inventory (classes: ${[...classes.keys()].join(', ') || 'none'})`);
    }
    const claim = (): ClaimResult =>
      db.claim({ machineName: request.name, idempotencyToken: request.idempotencyToken, tags, image: request.image, hostClass: request.instanceType, site: options.site, now: new Date() });
    let result = claim();
    if ('noFreeHost' in result && (await finishReleases(db, request.instanceType))) result = claim();
    if ('noFreeHost' in result) {
      const where = options.site ? ` at site ${options.site} (or without a site)` : '';
      throw new ProviderError(
        'quota',
        `${CLOUD} ${operation} ${request.name}: no free host of class "${request.instanceType}"${where} among the inventory's ${hostsOfClass} of that class; add hosts to the inventory ${options.inventoryPath} or lower the replicas`,
        { operation },
      );
    }
    const host = 'claimed' in result ? result.claimed : result.alreadyClaimed;
    if (host.state === 'deprovisioning') {
      throw new ProviderError('retryable', `${CLOUD} ${operation} ${request.name}: its earlier machine is still being released from host ${host.name} (the call is retried)`, { operation });
    }
    if (host.state === 'provisioned') return machineOf(host, await power.observe(host));
    return machineOf(host, await power.provision(db, host));
  };

  return {
    platform: 'baremetal',

    createMachine,

    async describeMachine(name: string): Promise<CloudMachine | undefined> {
      const db = await inventoryForClaimed();
      const host = db.byMachineName(name);
      return host ? currentMachine(db, host) : undefined;
    },

    async *listMachines(query: TagQuery): AsyncIterable<CloudMachine> {
      for await (const { db, hosts } of claimedPages(query)) {
        const machines = await Promise.all(hosts.map((host) => currentMachine(db, host)));
        for (const machine of machines) if (machine) yield machine;
      }
    },

    deleteMachine,

    async ensureClusterInfra(request: ClusterInfraRequest): Promise<ClusterInfra> {
      return { apiURL: `https://api.${request.clusterName}.${request.baseDomain}:6443`, resources: [] };
    },

    async deleteClusterInfra(): Promise<void> {
      // Nothing but machines is ever made on bare metal, and machines are deleted one by one.
    },

    /**
     * Every claim, as a machine: a host is the only thing bare metal holds. A host whose release is
     * under way (its delete was asked for) is already going, so it is not listed; the list moves its
     * release on (as a describe does), so a sweep frees the hosts an earlier one powered off.
     */
    async *listResources(query: TagQuery): AsyncIterable<CloudResource> {
      for await (const { db, hosts } of claimedPages(query)) {
        const releasing = hosts.filter((host) => host.state === 'deprovisioning');
        // A BMC that cannot be reached just keeps its host claimed until a later call.
        await Promise.all(releasing.map((host) => power.advanceRelease(db, host).catch(() => 'stopping' as const)));
        for (const host of hosts) {
          if (host.state === 'deprovisioning') continue;
          yield { kind: 'machine', id: providerIdOf(host), name: host.machineName ?? '', tags: TAG_ENCODINGS.baremetal.decode(host.tags), ...(host.claimedAt !== null ? { createdAt: host.claimedAt } : {}) };
        }
      }
    },

    async tagResource(resource: CloudResource, tags: CanonicalTags): Promise<void> {
      const operation = `tag ${resource.kind}`;
      if (resource.kind !== 'machine') throw new ProviderError('invalid', `baremetal ${operation}: bare metal makes no ${resource.kind}`, { operation });
      const { host: hostName, generation } = parseProviderId(resource.id);
      const db = await inventoryForClaimed();
      const host = db.byHostName(hostName);
      if (!host || host.generation !== generation || !db.addTags(host, TAG_ENCODINGS.baremetal.encode(tags))) {
        throw new ProviderError('notFound', `baremetal ${operation}: machine ${resource.id} is no longer claimed`, { operation });
      }
    },

    async deleteResource(resource: CloudResource): Promise<void> {
      // Bare metal makes no other kind of resource, so any other kind is already gone.
      if (resource.kind === 'machine') await deleteMachine(resource.id);
    },
  };
}
