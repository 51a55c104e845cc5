/**
 * The GCP adapter against the local Compute Engine emulator (test/emulators/gce): the shared
 * provider contract through the fault proxy (speaking GCE's error dialect), then what only GCE
 * has: labels in GCE's alphabet, requestId idempotency, the instance and operation lifecycle,
 * pageToken paging, GCE's error reasons, a service-account key end to end, and the cluster
 * network, firewall, internal API load balancer and private Cloud DNS record.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { InstancesClient, ZoneOperationsClient } from '@google-cloud/compute';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpAdapter, gcpAdapterOptionsFrom, GCP_ENDPOINT_ENV, type GcpAdapterOptions } from '../../providers/gcp/adapter';
import { operationIn } from '../../providers/gcp/instances';
import { describeWithTags } from '../../providers/gcp/labels';
import { cloudTagKey } from '../../providers/tag-encoding';
import { TAG, ownershipTags } from '../../providers/tags';
import { ProviderError, type CloudMachine, type CloudResource, type MachineCreateRequest, type ProviderAdapter } from '../../providers/types';
import { startGceEmulator, type GceEmulator } from '../emulators/gce/emulator';
import { gceFaultDialect } from '../emulators/gce/fault-dialect';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { describeProviderContract } from './provider-contract';
import { collect, errorOf, eventually } from '../support/async-checks';

function endpointOf(url: string): GcpAdapterOptions['endpoint'] {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port), protocol: 'http' };
}

function accessTokenAdapter(emulator: GceEmulator, url: string, overrides: Partial<GcpAdapterOptions> = {}): ProviderAdapter {
  const token = emulator.accessToken;
  return createGcpAdapter({
    region: emulator.region,
    zone: emulator.zone,
    project: emulator.project,
    credentials: () => ({ kind: 'accessToken', accessToken: token }),
    endpoint: endpointOf(url),
    requestTimeoutMs: 4_000,
    pageSize: 10,
    ...overrides,
  });
}

describeProviderContract('gcp', async () => {
  const emulator = await startGceEmulator({ timings: { provisionMs: 300, stopMs: 300, terminatedMs: 200, globalOperationMs: 100 } });
  const proxy = await startFaultProxy({ upstream: emulator.url, dialect: gceFaultDialect(), seed: 17 });
  const requestTimeoutMs = 4_000;
  const pageSize = 10;
  return {
    adapter: accessTokenAdapter(emulator, proxy.url, { requestTimeoutMs, pageSize }),
    credential: emulator.accessToken,
    proxy,
    requestTimeoutMs,
    pageSize,
    async teardown() {
      await proxy.stop();
      await emulator.stop();
    },
  };
}, { needsClusterNetwork: true, tagsResources: 'some' });

describe('gcp adapter on the Compute Engine emulator: what GCE alone has', () => {
  let emulator: GceEmulator;
  let proxy: FaultProxy;
  let adapter: ProviderAdapter;
  /** Straight to the emulator through the SDK, to see what the adapter wrote and to act behind its back. */
  let instancesClient: InstancesClient;
  let operationsClient: ZoneOperationsClient;
  const managementId = 'mgmt-gcp';
  const sdkCall = { timeout: 5_000, retry: null };

  const request = (infraId: string, machineName: string, overrides: Partial<MachineCreateRequest> = {}): MachineCreateRequest => ({
    name: `${infraId}-${machineName}`,
    idempotencyToken: `${infraId}/${machineName}/token`,
    role: 'worker',
    instanceType: 'e2-standard-4',
    image: 'projects/rhcos-cloud/global/images/rhcos-416',
    infraId,
    tags: ownershipTags({ managementId, infraId, machineName, role: 'worker', createdAt: '2026-11-25T07:40:12.345Z' }),
    ...overrides,
  });

  const infraRequest = (infraId: string) => ({
    infraId,
    clusterName: infraId,
    baseDomain: 'example.test',
    region: 'us-central1',
    tags: ownershipTags({ managementId, infraId, createdAt: '2026-11-25T07:40:12.345Z' }),
  });

  beforeAll(async () => {
    emulator = await startGceEmulator({
      // Wide enough that each state is seen even on a busy machine.
      timings: { provisionMs: 900, stopMs: 1_000, terminatedMs: 600, globalOperationMs: 150 },
      machineTypes: ['e2-standard-4', 'e2-small', 'n2-highcpu-96'],
      images: ['rhcos-416'],
      exhaustedMachineTypes: ['n2-highcpu-96'],
    });
    proxy = await startFaultProxy({ upstream: emulator.url, dialect: gceFaultDialect(), seed: 3 });
    adapter = accessTokenAdapter(emulator, proxy.url, { pageSize: 5 });
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: emulator.accessToken });
    const sdk = { apiEndpoint: emulator.host, port: emulator.port, protocol: 'http', fallback: true, authClient };
    instancesClient = new InstancesClient(sdk);
    operationsClient = new ZoneOperationsClient(sdk);
    for (const infraId of ['labels-1', 'life-1', 'capacity-1', 'pages-1', 'foreign-1', 'errors-1']) await adapter.ensureClusterInfra(infraRequest(infraId));
  }, 120_000);
  afterAll(async () => {
    await instancesClient?.close();
    await operationsClient?.close();
    await proxy?.stop();
    await emulator?.stop();
  });

  it('writes the canonical tags as GCE labels, with the machine type, image and network tag GCE wants', async () => {
    const wanted = request('labels-1', 'm0');
    const machine = await adapter.createMachine(wanted);
    expect(machine.providerId).toBe(`gce://${emulator.project}/${emulator.zone}/labels-1-m0`);
    const instance = emulator.instance(wanted.name);
    expect(instance?.labels).toEqual({
      [cloudTagKey('gcp', TAG.management)]: 'mgmt-gcp',
      [cloudTagKey('gcp', TAG.cluster)]: 'labels-1',
      [cloudTagKey('gcp', TAG.machine)]: 'm0',
      [cloudTagKey('gcp', TAG.role)]: 'worker',
      [cloudTagKey('gcp', TAG.createdAt)]: '2026-11-25_5407_3a40_3a12_2e345_5a',
    });
    expect(String(instance?.machineType)).toMatch(new RegExp(`/zones/${emulator.zone}/machineTypes/e2-standard-4$`));
    expect(instance?.tags).toMatchObject({ items: ['labels-1'] });
    // Read back through the adapter, the tags are canonical again, and GCE's Pacific timestamp is UTC.
    const described = await adapter.describeMachine(wanted.name);
    expect(described?.tags).toEqual(wanted.tags);
    expect(described?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(described?.createdAt ?? '') - Date.now())).toBeLessThan(60_000);
    expect(described?.privateIp).toMatch(/^10\.128\./);
  });

  it('marks by labels where GCE lets them change, keeping labels Slipway did not write; setLabels wants the current label fingerprint (412 conditionNotMet when stale, 400 without)', async () => {
    const project = emulator.project;
    const zone = emulator.zone;
    const machine = await adapter.createMachine(request('labels-1', 'm1'));
    const instance = 'labels-1-m1';
    const [read] = await instancesClient.get({ project, zone, instance }, sdkCall);
    // Someone else labels the instance after Slipway made it.
    const [answer] = await instancesClient.setLabels({ project, zone, instance, instancesSetLabelsRequestResource: { labels: { ...read.labels, team: 'blue' }, labelFingerprint: read.labelFingerprint ?? '' } }, sdkCall);
    expect(operationIn(answer).name).toBeTruthy();
    expect(emulator.instance(instance)?.labelFingerprint).not.toBe(read.labelFingerprint);
    const stale = await instancesClient.setLabels({ project, zone, instance, instancesSetLabelsRequestResource: { labels: {}, labelFingerprint: read.labelFingerprint ?? '' } }, sdkCall).then(() => undefined, (error: unknown) => error);
    expect(String(stale)).toMatch(/fingerprint/i);
    const missing = await instancesClient.setLabels({ project, zone, instance, instancesSetLabelsRequestResource: { labels: {} } }, sdkCall).then(() => undefined, (error: unknown) => error);
    expect(String(missing)).toMatch(/labelFingerprint/);
    expect((emulator.instance(instance)?.labels as Record<string, string> | undefined)?.team).toBe('blue');

    const markedAt = '2026-12-06T08:00:00.000Z';
    const markLabel = cloudTagKey('gcp', TAG.sweepMarked);
    await adapter.tagResource({ kind: 'machine', id: machine.providerId, name: instance, tags: machine.tags }, { [TAG.sweepMarked]: markedAt });
    const labels = emulator.instance(instance)?.labels as Record<string, string> | undefined;
    expect(labels?.team).toBe('blue');
    expect(labels?.[markLabel]).toBeDefined();
    expect((await adapter.describeMachine(instance))?.tags).toEqual({ ...machine.tags, [TAG.sweepMarked]: markedAt });

    const infra = await collect(adapter.listResources({ [TAG.cluster]: 'labels-1' }));
    const rule = infra.find((resource) => resource.id.includes('/forwardingRules/'));
    const record = infra.find((resource) => resource.id.includes('/rrsets/'));
    const network = infra.find((resource) => resource.kind === 'network');
    if (!rule || !record || !network) throw new Error(`labels-1 lacks a forwarding rule, API record or network: ${infra.map((resource) => resource.id).join(', ')}`);
    await adapter.tagResource(rule, { [TAG.sweepMarked]: markedAt });
    expect((emulator.forwardingRule('labels-1-api')?.labels as Record<string, string> | undefined)?.[markLabel]).toBeDefined();
    // A record has no labels of its own: it is listed with its zone's, so the mark lands on the zone.
    await adapter.tagResource(record, { [TAG.sweepMarked]: markedAt });
    const marked = await collect(adapter.listResources({ [TAG.cluster]: 'labels-1', [TAG.sweepMarked]: markedAt }));
    expect(marked.map((resource) => resource.id).sort()).toEqual([machine.providerId, rule.id, record.id, record.id.replace(/\/rrsets\/.*$/, '')].sort());

    // What keeps its tags in a description refuses before any call reaches GCE.
    const requests = proxy.stats.requests;
    expect(adapter.canTag?.(network)).toBe(false);
    expect((await errorOf(adapter.tagResource(network, { [TAG.sweepMarked]: markedAt }))).kind).toBe('invalid');
    expect(proxy.stats.requests).toBe(requests);
    await adapter.deleteMachine(machine.providerId);
  });

  it('goes PROVISIONING, STAGING, RUNNING; its insert operation ends DONE; a delete goes STOPPING, TERMINATED, then gone', async () => {
    const wanted = request('life-1', 'm0');
    await adapter.createMachine(wanted);
    const seen = new Set<string>();
    const running = await eventually(
      async () => {
        const status = String(emulator.instance(wanted.name)?.status);
        seen.add(status);
        return status;
      },
      (status) => status === 'RUNNING',
    );
    expect(running).toBe('RUNNING');
    expect(seen).toContain('STAGING');
    expect((await adapter.describeMachine(wanted.name))?.phase).toBe('running');

    const machine = await adapter.describeMachine(wanted.name);
    await adapter.deleteMachine(machine?.providerId ?? '');
    expect((await adapter.describeMachine(wanted.name))?.phase).toBe('stopping');
    const terminated = await eventually(async () => String(emulator.instance(wanted.name)?.status), (status) => status === 'TERMINATED');
    expect(terminated).toBe('TERMINATED');
    expect(await adapter.describeMachine(wanted.name)).toBeUndefined();
    await eventually(async () => emulator.instance(wanted.name), (instance) => instance === undefined);
    expect(emulator.instance(wanted.name)).toBeUndefined();
  });

  it('keeps one instance per requestId; another requestId for the same name is 409 alreadyExists; zoneOperations.wait answers DONE', async () => {
    const project = emulator.project;
    const zone = emulator.zone;
    const requestId = '0b3c1a52-7d1e-8f00-9a4b-5c6d7e8f9a0b';
    const instanceResource = {
      name: 'rid-1-m0',
      machineType: `zones/${zone}/machineTypes/e2-small`,
      disks: [{ boot: true, initializeParams: { sourceImage: 'global/images/rhcos-416' } }],
      networkInterfaces: [{ network: 'global/networks/default' }],
    };
    const first = operationIn((await instancesClient.insert({ project, zone, requestId, instanceResource }, sdkCall))[0]);
    const again = operationIn((await instancesClient.insert({ project, zone, requestId, instanceResource }, sdkCall))[0]);
    expect(first.name).toBeTruthy();
    expect(again.name).toBe(first.name);
    expect(first.clientOperationId).toBe(requestId);
    const conflict = await instancesClient.insert({ project, zone, requestId: '1b3c1a52-7d1e-8f00-9a4b-5c6d7e8f9a0b', instanceResource }, sdkCall).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(conflict).toMatchObject({ httpStatusCode: 409 });
    const [instances] = await instancesClient.list({ project, zone, filter: 'name = "rid-1-m0"' }, { ...sdkCall, autoPaginate: false });
    expect(instances).toHaveLength(1);
    const [waited] = await operationsClient.wait({ project, zone, operation: first.name ?? '' }, sdkCall);
    expect(waited.status).toBe('DONE');
    expect(waited.error).toBeFalsy();
    const zero = await instancesClient.insert({ project, zone, requestId: '00000000-0000-0000-0000-000000000000', instanceResource: { ...instanceResource, name: 'rid-1-m1' } }, sdkCall).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(zero).toMatchObject({ httpStatusCode: 400 });
  });

  it('reports a capacity failure from the insert operation: the instance vanishes, and a retry by the same token gets the failure as quota', async () => {
    const wanted = request('capacity-1', 'm0', { instanceType: 'n2-highcpu-96' });
    const first = await adapter.createMachine(wanted);
    expect(first.phase).toBe('pending');
    await eventually(async () => emulator.instance(wanted.name), (instance) => instance === undefined);
    // The retry finds no instance, inserts with the same requestId, and GCE answers the failed operation.
    const error = await errorOf(adapter.createMachine(wanted));
    expect(error.kind).toBe('quota');
    expect(error.message).toMatch(/ZONE_RESOURCE_POOL_EXHAUSTED/);
  });

  it('streams listMachines with pageToken, one list call per page, fetching a page only when it is reached', async () => {
    const infraId = 'pages-1';
    const count = 5 * 2 + 2;
    for (let index = 0; index < count; index += 1) await adapter.createMachine(request(infraId, `w${index}`));
    const query = { [TAG.cluster]: infraId };
    let before = proxy.stats.requests;
    expect(await collect(adapter.listMachines(query))).toHaveLength(count);
    expect(proxy.stats.requests - before).toBe(3);
    before = proxy.stats.requests;
    for await (const machine of adapter.listMachines(query)) {
      expect(machine.tags[TAG.cluster]).toBe(infraId);
      break;
    }
    expect(proxy.stats.requests - before).toBe(1);
  });

  it('cuts off an answer larger than the limit instead of reading it all', async () => {
    const limited = accessTokenAdapter(emulator, proxy.url, { maxResponseBytes: 512, pageSize: 5 });
    await adapter.createMachine(request('labels-1', 'big-0'));
    const error = await errorOf(collect(limited.listMachines({ [TAG.cluster]: 'labels-1' })));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/gcp list machines: the answer is larger than 512 bytes/);
    // Within the limit, the same list is read.
    expect((await collect(adapter.listMachines({ [TAG.cluster]: 'labels-1' }))).length).toBeGreaterThan(0);
  });

  it('stops paging with an error when GCE hands back a page token it already gave', async () => {
    const looping = await startGceEmulator({ echoPageTokens: true, timings: { globalOperationMs: 50 } });
    try {
      const paged = accessTokenAdapter(looping, looping.url, { pageSize: 1 });
      await paged.ensureClusterInfra(infraRequest('loop-1'));
      for (const name of ['m0', 'm1', 'm2']) await paged.createMachine(request('loop-1', name));
      const error = await errorOf(collect(paged.listMachines({ [TAG.cluster]: 'loop-1' })));
      expect(error.kind).toBe('retryable');
      expect(error.message).toMatch(/gcp list machines: the service handed back a page token it had already given, so paging stopped/);
    } finally {
      await looping.stop();
    }
  });

  it('never lists, describes or adopts an instance without the management label', async () => {
    const project = emulator.project;
    const zone = emulator.zone;
    const name = 'foreign-1-m0';
    await instancesClient.insert(
      {
        project,
        zone,
        instanceResource: {
          name,
          machineType: `zones/${zone}/machineTypes/e2-small`,
          labels: { [cloudTagKey('gcp', TAG.cluster)]: 'foreign-1', [cloudTagKey('gcp', TAG.machine)]: 'm0' },
          disks: [{ boot: true, initializeParams: { sourceImage: 'global/images/rhcos-416' } }],
          networkInterfaces: [{ network: 'global/networks/default' }],
        },
      },
      sdkCall,
    );
    expect(await collect(adapter.listMachines({ [TAG.cluster]: 'foreign-1' }))).toEqual([]);
    expect(await adapter.describeMachine(name)).toBeUndefined();
    const error = await errorOf(adapter.createMachine(request('foreign-1', 'm0')));
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/does not manage/);
  });

  it("classifies GCE's reasons: both throttling forms with Retry-After, quotaExceeded, an unknown machine type and image, bad credentials", async () => {
    for (const form of ['forbidden', 'tooManyRequests'] as const) {
      const throttling = await startFaultProxy({ upstream: emulator.url, dialect: gceFaultDialect(form) });
      try {
        throttling.script([{ kind: 'throttle', retryAfterSeconds: 3 }]);
        const error = await errorOf(accessTokenAdapter(emulator, throttling.url).describeMachine('anything'));
        expect(error.kind).toBe('throttled');
        expect(error.details.retryAfterMs).toBe(3000);
        expect(error.details.status).toBe(form === 'forbidden' ? 403 : 429);
      } finally {
        await throttling.stop();
      }
    }

    emulator.setInstanceQuota(0);
    try {
      const quota = await errorOf(adapter.createMachine(request('errors-1', 'm0')));
      expect(quota.kind).toBe('quota');
      expect(quota.message).toMatch(/quotaExceeded/);
    } finally {
      emulator.setInstanceQuota(Number.POSITIVE_INFINITY);
    }

    const machineType = await errorOf(adapter.createMachine(request('errors-1', 'm1', { instanceType: 'e2-huge-999' })));
    expect(machineType.kind).toBe('invalid');
    expect(machineType.message).toMatch(/instanceType/);
    const image = await errorOf(adapter.createMachine(request('errors-1', 'm2', { image: 'no-such-image' })));
    expect(image.kind).toBe('invalid');
    expect(image.message).toMatch(/image/);

    const wrongToken = `ya29.wrong-${randomBytes(12).toString('hex')}`;
    const denied = await errorOf(
      createGcpAdapter({ region: emulator.region, project: emulator.project, credentials: () => ({ kind: 'accessToken', accessToken: wrongToken }), endpoint: endpointOf(proxy.url) }).describeMachine('anything'),
    );
    expect(denied.kind).toBe('credentials');
    expect(denied.details.status).toBe(401);
    expect(denied.message).toMatch(/check the credentials/);
    expect(`${denied.message} ${JSON.stringify(denied.details)} ${denied.stack ?? ''}`).not.toContain(wrongToken);
  });

  it('makes one attempt per call (the SDK retries nothing), and a refused connection is retryable', async () => {
    proxy.script([{ kind: 'serverError' }]);
    const before = proxy.stats.requests;
    expect((await errorOf(adapter.describeMachine('anything'))).kind).toBe('retryable');
    expect(proxy.stats.requests - before).toBe(1);
    const closed = createGcpAdapter({ region: emulator.region, project: emulator.project, credentials: () => ({ kind: 'accessToken', accessToken: 'ya29.unused' }), endpoint: { host: '127.0.0.1', port: 1, protocol: 'http' }, requestTimeoutMs: 2_000 });
    const refused = await errorOf(closed.describeMachine('anything'));
    expect(refused.kind).toBe('retryable');
    expect(refused.message).toMatch(/connection failed \(ECONNREFUSED\)/);
    proxy.script([{ kind: 'timeout' }]);
    const impatient = accessTokenAdapter(emulator, proxy.url, { requestTimeoutMs: 1_000 });
    const timedOut = await errorOf(impatient.describeMachine('anything'));
    expect(timedOut.kind).toBe('retryable');
    expect(timedOut.message).toMatch(/no answer within 1000 ms/);
  });

  it('authenticates with a service-account key from the secret (a self-signed JWT), and a key GCE does not know is refused without showing it', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const clientEmail = 'slipway@sa-test.iam.gserviceaccount.com';
    const keyed = await startGceEmulator({ serviceAccounts: [{ clientEmail, privateKeyId: 'key-1', publicKeyPem }] });
    try {
      const key = { type: 'service_account', project_id: keyed.project, private_key_id: 'key-1', private_key: privateKey, client_email: clientEmail, token_uri: 'https://oauth2.googleapis.com/token' };
      const env = { [GCP_ENDPOINT_ENV]: `${keyed.host}:${keyed.port}` };
      const options = gcpAdapterOptionsFrom({ region: keyed.region, credentials: { serviceAccountKey: JSON.stringify(key) }, env });
      expect(JSON.stringify(options)).not.toContain('PRIVATE KEY');
      const keyAdapter = createGcpAdapter(options);
      await keyAdapter.ensureClusterInfra(infraRequest('sa-1'));
      const machine = await keyAdapter.createMachine(request('sa-1', 'm0'));
      expect(machine.providerId).toBe(`gce://${keyed.project}/${keyed.region}-a/sa-1-m0`);
      expect(keyed.instance('sa-1-m0')).toBeDefined();
      // Cloud DNS is called with a JWT for its own audience (the emulator refuses Compute Engine's there).
      const infra = await keyAdapter.ensureClusterInfra(infraRequest('sa-2'));
      expect(infra.resources.map((resource) => resource.kind)).toContain('dnsRecord');
      await keyAdapter.deleteClusterInfra('sa-2');

      const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const strangerAdapter = createGcpAdapter(gcpAdapterOptionsFrom({ region: keyed.region, credentials: { serviceAccountKey: JSON.stringify({ ...key, private_key: stranger }) }, env }));
      const refused = await errorOf(strangerAdapter.describeMachine('sa-1-m0'));
      expect(refused.kind).toBe('credentials');
      expect(refused.details.status).toBe(401);
      const body = stranger.split('\n')[1] ?? 'unreachable';
      expect(`${refused.message} ${refused.stack ?? ''}`).not.toContain(body);

      const unreadable = createGcpAdapter(gcpAdapterOptionsFrom({ region: keyed.region, credentials: { serviceAccountKey: JSON.stringify({ ...key, private_key: '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' }) }, env }));
      const unsigned = await errorOf(unreadable.describeMachine('sa-1-m0'));
      expect(unsigned.kind).toBe('credentials');
      expect(unsigned.message).toMatch(/could not authenticate/);
    } finally {
      await keyed.stop();
    }
  });

  it('builds the cluster network and firewall, places machines in it, refuses to delete it while a machine uses it, then deletes all', async () => {
    const infraId = 'net-1';
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(infra.apiURL).toBe('https://api.net-1.example.test:6443');
    expect(infra.resources.map((resource) => [resource.kind, resource.name])).toEqual([
      ['network', 'net-1-net'],
      ['securityGroup', 'net-1-api'],
      ['loadBalancer', 'net-1-api'],
      ['loadBalancer', 'net-1-api'],
      ['loadBalancer', 'net-1-api'],
      ['loadBalancer', 'net-1-api'],
      ['dnsRecord', 'api.net-1.example.test.'],
      ['dnsRecord', 'net-1-dns'],
    ]);
    for (const resource of infra.resources) expect(resource.tags).toMatchObject({ [TAG.cluster]: infraId, [TAG.management]: managementId });

    const machine = await adapter.createMachine(request(infraId, 'm0'));
    expect(String((emulator.instance('net-1-m0')?.networkInterfaces as { network: string }[] | undefined)?.[0]?.network)).toMatch(/\/global\/networks\/net-1-net$/);

    const listed: CloudResource[] = await collect(adapter.listResources({ [TAG.management]: managementId, [TAG.cluster]: infraId }));
    expect(listed.map((resource) => resource.kind)).toEqual(['machine', 'dnsRecord', 'dnsRecord', 'loadBalancer', 'loadBalancer', 'loadBalancer', 'loadBalancer', 'securityGroup', 'network']);

    // The record, zone, load balancer and firewall go first; the network stays while the machine uses it, and GCE says so.
    const inUse = await errorOf(adapter.deleteClusterInfra(infraId));
    expect(inUse.kind).toBe('retryable');
    expect(inUse.message).toMatch(/resourceInUseByAnotherResource/);
    expect((await collect(adapter.listResources({ [TAG.cluster]: infraId }))).map((resource) => resource.kind)).toEqual(['machine', 'network']);

    await adapter.deleteMachine(machine.providerId);
    await eventually(async () => emulator.instance('net-1-m0'), (instance) => instance === undefined);
    await adapter.deleteClusterInfra(infraId);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });

  it("refuses to take over a network of that name that is not the cluster's", async () => {
    const project = emulator.project;
    const { NetworksClient } = await import('@google-cloud/compute');
    const authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: emulator.accessToken });
    const networks = new NetworksClient({ apiEndpoint: emulator.host, port: emulator.port, protocol: 'http', fallback: true, authClient });
    try {
      await networks.insert({ project, networkResource: { name: 'taken-1-net', autoCreateSubnetworks: true, description: 'someone else' } }, sdkCall);
      const error = await errorOf(adapter.ensureClusterInfra(infraRequest('taken-1')));
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(/not this cluster's/);
      // deleteClusterInfra leaves it alone, too.
      await errorOf(adapter.deleteClusterInfra('taken-1'));
      const [still] = await networks.get({ project, network: 'taken-1-net' }, sdkCall);
      expect(still.name).toBe('taken-1-net');
    } finally {
      await networks.close();
    }
  });

  it('sweeps a cluster through listResources and deleteResource: machine, API record and zone, load balancer, firewall, network', async () => {
    const infraId = 'sweep-1';
    await adapter.ensureClusterInfra(infraRequest(infraId));
    await adapter.createMachine(request(infraId, 'm0'));
    const listed: CloudMachine[] = await collect(adapter.listMachines({ [TAG.cluster]: infraId }));
    expect(listed.map((machine) => machine.phase)).toEqual(['pending']);
    for (const resource of await collect(adapter.listResources({ [TAG.cluster]: infraId }))) {
      if (resource.kind === 'network') await eventually(async () => emulator.instance('sweep-1-m0'), (instance) => instance === undefined);
      await adapter.deleteResource(resource);
    }
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });
});

describe('gcp adapter: the cluster API load balancer and its Cloud DNS record', () => {
  let emulator: GceEmulator;
  let proxy: FaultProxy;
  let adapter: ProviderAdapter;
  let authClient: OAuth2Client;
  const managementId = 'mgmt-gcp-lb';

  const infraRequest = (infraId: string, createdAt = '2026-11-25T07:40:12.345Z') => ({
    infraId,
    clusterName: infraId,
    baseDomain: 'example.test',
    region: 'us-central1',
    tags: ownershipTags({ managementId, infraId, createdAt }),
  });

  /** Straight to the emulator's Cloud DNS, past the adapter and the proxy. */
  const dnsGet = async (path: string): Promise<{ status: number; data: Record<string, unknown> }> => {
    const answer = await authClient.request<Record<string, unknown>>({ url: `${emulator.url}/dns/v1/projects/${emulator.project}/${path}`, retry: false, timeout: 5_000, validateStatus: () => true });
    return { status: answer.status, data: answer.data };
  };

  beforeAll(async () => {
    emulator = await startGceEmulator({ timings: { provisionMs: 300, stopMs: 300, terminatedMs: 200, globalOperationMs: 120 } });
    proxy = await startFaultProxy({ upstream: emulator.url, dialect: gceFaultDialect(), seed: 29 });
    adapter = accessTokenAdapter(emulator, proxy.url, { pageSize: 2 });
    authClient = new OAuth2Client();
    authClient.setCredentials({ access_token: emulator.accessToken });
  });
  afterAll(async () => {
    await proxy?.stop();
    await emulator?.stop();
  });

  it('builds a health check, an INTERNAL backend service and forwarding rule on 6443 in the cluster network, and a private zone whose A record holds the rule address', async () => {
    const infraId = 'lb-1';
    const infra = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(infra.apiURL).toBe('https://api.lb-1.example.test:6443');
    const base = `projects/${emulator.project}/regions/${emulator.region}`;
    expect(infra.resources.filter((resource) => resource.kind === 'loadBalancer').map((resource) => resource.id)).toEqual([
      `${base}/healthChecks/lb-1-api`,
      `projects/${emulator.project}/zones/${emulator.zone}/instanceGroups/lb-1-api`,
      `${base}/backendServices/lb-1-api`,
      `${base}/forwardingRules/lb-1-api`,
    ]);
    // The backend service's one backend is the cluster's instance group, in the cluster network.
    expect(emulator.backendService('lb-1-api')?.backends).toEqual([{ group: `${emulator.url}/compute/v1/projects/${emulator.project}/zones/${emulator.zone}/instanceGroups/lb-1-api`, balancingMode: 'CONNECTION' }]);
    expect(String(emulator.instanceGroup('lb-1-api')?.group.network)).toMatch(/\/global\/networks\/lb-1-net$/);
    for (const resource of infra.resources) expect(resource.tags).toMatchObject({ [TAG.cluster]: infraId, [TAG.management]: managementId });

    const rule = emulator.forwardingRule('lb-1-api');
    expect(rule).toMatchObject({ loadBalancingScheme: 'INTERNAL', IPProtocol: 'TCP', ports: ['6443'] });
    expect(String(rule?.network)).toMatch(/\/global\/networks\/lb-1-net$/);
    expect(String(rule?.backendService)).toMatch(/\/regions\/us-central1\/backendServices\/lb-1-api$/);
    expect(rule?.labels).toMatchObject({ [cloudTagKey('gcp', TAG.cluster)]: 'lb-1', [cloudTagKey('gcp', TAG.management)]: 'mgmt-gcp-lb' });
    const address = String(rule?.IPAddress);
    expect(address).toMatch(/^10\.128\.\d+\.\d+$/);

    const zone = await dnsGet('managedZones/lb-1-dns');
    expect(zone.status).toBe(200);
    expect(zone.data).toMatchObject({ dnsName: 'lb-1.example.test.', visibility: 'private', labels: { [cloudTagKey('gcp', TAG.cluster)]: 'lb-1' } });
    expect(JSON.stringify(zone.data.privateVisibilityConfig)).toMatch(/\/global\/networks\/lb-1-net"/);
    const record = await dnsGet('managedZones/lb-1-dns/rrsets/api.lb-1.example.test./A');
    expect(record.status).toBe(200);
    expect(record.data.rrdatas).toEqual([address]);

    // A second ensure finds all of it: the same resources, the same address, nothing new.
    const again = await adapter.ensureClusterInfra(infraRequest(infraId));
    expect(again).toEqual(infra);
    expect(emulator.forwardingRule('lb-1-api')?.id).toBe(rule?.id);
    expect((await dnsGet('managedZones/lb-1-dns/rrsets?type=A')).data.rrsets).toHaveLength(1);

    const listed = await collect(adapter.listResources({ [TAG.cluster]: infraId }));
    // In the order they can be deleted: the rule, the backend service, the instance group it names, the health check.
    expect(listed.map((resource) => resource.kind)).toEqual(['dnsRecord', 'dnsRecord', 'loadBalancer', 'loadBalancer', 'loadBalancer', 'loadBalancer', 'securityGroup', 'network']);
    expect(listed.filter((resource) => resource.kind === 'loadBalancer').map((resource) => resource.id.split('/').at(-2))).toEqual(['forwardingRules', 'backendServices', 'instanceGroups', 'healthChecks']);
    // Without the cluster tag every zone and rule is read, page by page.
    expect((await collect(adapter.listResources({ [TAG.management]: managementId }))).filter((resource) => resource.tags[TAG.cluster] === infraId)).toHaveLength(listed.length);

    await adapter.deleteClusterInfra(infraId);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
    expect(emulator.forwardingRule('lb-1-api')).toBeUndefined();
    expect(emulator.instanceGroup('lb-1-api')).toBeUndefined();
    expect((await dnsGet('managedZones/lb-1-dns')).status).toBe(404);
    await adapter.deleteClusterInfra(infraId);
  });

  const machineRequest = (infraId: string, machineName: string, role: 'control-plane' | 'worker'): MachineCreateRequest => ({
    name: `${infraId}-${machineName}`,
    idempotencyToken: `${infraId}/${machineName}/token`,
    role,
    instanceType: 'e2-standard-4',
    image: 'projects/rhcos-cloud/global/images/rhcos-416',
    infraId,
    tags: ownershipTags({ managementId, infraId, machineName, role, createdAt: '2026-11-25T07:40:12.345Z' }),
  });

  /** Straight to the emulator's instance groups through the SDK, past the adapter and the proxy. */
  const groupsClient = async () => {
    const { InstanceGroupsClient } = await import('@google-cloud/compute');
    return new InstanceGroupsClient({ apiEndpoint: emulator.host, port: emulator.port, protocol: 'http', fallback: true, authClient });
  };

  it('registers control-plane machines in the instance group the backend service names, once however often the create is retried, and removes them before deleting them', async () => {
    const infraId = 'tgt-1';
    const group = 'tgt-1-api';
    const members = () => emulator.instanceGroup(group)?.members;
    // A control-plane machine before the group exists waits for the infrastructure.
    const early = await errorOf(adapter.createMachine(machineRequest(infraId, 'master-0', 'control-plane')));
    expect(early.kind).toBe('retryable');
    await adapter.ensureClusterInfra(infraRequest(infraId));
    await adapter.createMachine(machineRequest(infraId, 'master-0', 'control-plane'));
    await adapter.createMachine(machineRequest(infraId, 'worker-0', 'worker'));
    expect(members()).toEqual(['tgt-1-master-0']);
    expect(emulator.instanceGroup(group)?.group.size).toBe(1);

    // Creates whose answers are lost after GCE acted are retried until one answers; the machine joins once.
    const lostBefore = proxy.stats.injected.resetAfter;
    let made: CloudMachine | undefined;
    for (let attempt = 0; attempt < 40 && made === undefined; attempt += 1) {
      proxy.setRates({ resetAfter: attempt < 20 ? 0.5 : 0 });
      try {
        made = await adapter.createMachine(machineRequest(infraId, 'master-1', 'control-plane'));
      } catch (error) {
        if (!(error instanceof ProviderError) || (error.kind !== 'retryable' && error.kind !== 'notFound')) throw error;
      } finally {
        proxy.setRates({});
      }
    }
    expect(proxy.stats.injected.resetAfter - lostBefore).toBeGreaterThan(0);
    expect(members()).toEqual(['tgt-1-master-0', 'tgt-1-master-1']);
    await adapter.createMachine(machineRequest(infraId, 'master-1', 'control-plane'));
    expect(members()).toEqual(['tgt-1-master-0', 'tgt-1-master-1']);

    // The group cannot go while the backend service names it, and adding a member twice is refused, as GCE does.
    const client = await groupsClient();
    try {
      const project = emulator.project;
      const zone = emulator.zone;
      const inUse = await client.delete({ project, zone, instanceGroup: group }, { timeout: 5_000, retry: null }).then(() => undefined, (error: unknown) => error);
      expect(String(inUse)).toMatch(/resourceInUseByAnotherResource|is already being used by/);
      const twice = await client
        .addInstances({ project, zone, instanceGroup: group, instanceGroupsAddInstancesRequestResource: { instances: [{ instance: `zones/${zone}/instances/tgt-1-master-0` }] } }, { timeout: 5_000, retry: null })
        .then(() => undefined, (error: unknown) => error);
      expect(String(twice)).toMatch(/is already a member of/);
      const [listedMembers] = await client.listInstances({ project, zone, instanceGroup: group, instanceGroupsListInstancesRequestResource: { instanceState: 'ALL' } }, { timeout: 5_000, retry: null, autoPaginate: false });
      expect(listedMembers.map((member) => member.instance?.split('/').at(-1)).sort()).toEqual(['tgt-1-master-0', 'tgt-1-master-1']);
    } finally {
      await client.close();
    }

    // Deleting a control-plane machine takes it out of the group first: it is gone from the group while the instance still stops.
    await adapter.deleteMachine(`gce://${emulator.project}/${emulator.zone}/tgt-1-master-0`);
    expect(members()).toEqual(['tgt-1-master-1']);
    expect(emulator.instance('tgt-1-master-0')?.status).toMatch(/STOPPING|TERMINATED/);
    await adapter.deleteMachine(`gce://${emulator.project}/${emulator.zone}/tgt-1-master-0`);

    // Teardown: machines, then the load balancer (the group after the backend service that names it), then the network.
    for (const name of ['tgt-1-master-1', 'tgt-1-worker-0']) await adapter.deleteMachine(`gce://${emulator.project}/${emulator.zone}/${name}`);
    expect(members()).toEqual([]);
    for (const name of ['tgt-1-master-0', 'tgt-1-master-1', 'tgt-1-worker-0']) await eventually(async () => emulator.instance(name), (instance) => instance === undefined);
    await adapter.deleteClusterInfra(infraId);
    expect(emulator.instanceGroup(group)).toBeUndefined();
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
  });

  it('gives a backend service found without the instance group (made before groups were) its backend, by a patch with its fingerprint; a stale fingerprint is 412 conditionNotMet', async () => {
    const infraId = 'lb-3';
    const { RegionBackendServicesClient, RegionHealthChecksClient } = await import('@google-cloud/compute');
    const sdk = { apiEndpoint: emulator.host, port: emulator.port, protocol: 'http', fallback: true, authClient };
    const services = new RegionBackendServicesClient(sdk);
    const checks = new RegionHealthChecksClient(sdk);
    const call = { timeout: 5_000, retry: null };
    const project = emulator.project;
    const region = emulator.region;
    const tags = { ...infraRequest(infraId).tags, [TAG.cluster]: infraId };
    try {
      // What an earlier Slipway made: the cluster's health check and a backend service with no backends.
      await checks.insert({ project, region, healthCheckResource: { name: 'lb-3-api', type: 'TCP', tcpHealthCheck: { port: 6443 }, description: describeWithTags('test', 'earlier', tags) } }, call);
      await eventually(async () => (await checks.get({ project, region, healthCheck: 'lb-3-api' }, call).then(() => services.insert({ project, region, backendServiceResource: { name: 'lb-3-api', loadBalancingScheme: 'INTERNAL', protocol: 'TCP', healthChecks: [`regions/${region}/healthChecks/lb-3-api`], description: describeWithTags('test', 'earlier', tags) } }, call)).then(() => true, () => false)), (made) => made);
      const [before] = await eventually(async () => services.get({ project, region, backendService: 'lb-3-api' }, call), () => true);
      expect(before.backends ?? []).toEqual([]);

      await adapter.ensureClusterInfra(infraRequest(infraId));
      expect((emulator.backendService('lb-3-api')?.backends as { group: string }[] | undefined)?.map((backend) => backend.group.split('/').at(-1))).toEqual(['lb-3-api']);
      const stale = await services.patch({ project, region, backendService: 'lb-3-api', backendServiceResource: { sessionAffinity: 'NONE', fingerprint: before.fingerprint ?? '' } }, call).then(() => undefined, (error: unknown) => error);
      expect(String(stale)).toMatch(/fingerprint does not match/);
    } finally {
      await services.close();
      await checks.close();
    }
    await adapter.deleteClusterInfra(infraId);
    expect(emulator.instanceGroup('lb-3-api')).toBeUndefined();
    expect(emulator.backendService('lb-3-api')).toBeUndefined();
  });

  it('finds what an attempt whose answers were lost made, and re-points a record that holds another address', async () => {
    const infraId = 'lb-2';
    const lostBefore = proxy.stats.injected.resetAfter;
    // Every connection is cut after the emulator acted, so no answer comes back.
    proxy.setRates({ resetAfter: 1 });
    try {
      expect((await errorOf(adapter.ensureClusterInfra(infraRequest(infraId)))).kind).toBe('retryable');
    } finally {
      proxy.setRates({});
    }
    let infra: Awaited<ReturnType<ProviderAdapter['ensureClusterInfra']>> | undefined;
    for (let attempt = 0; attempt < 40 && infra === undefined; attempt += 1) {
      // Half the answers are lost after GCE or Cloud DNS acted, for the first attempts.
      proxy.setRates({ resetAfter: attempt < 20 ? 0.5 : 0 });
      try {
        infra = await adapter.ensureClusterInfra(infraRequest(infraId));
      } catch (error) {
        if (!(error instanceof ProviderError) || (error.kind !== 'retryable' && error.kind !== 'notFound')) throw error;
      } finally {
        proxy.setRates({});
      }
    }
    expect(infra?.resources).toHaveLength(8);
    expect(emulator.backendService('lb-2-api')?.backends).toHaveLength(1);
    expect(proxy.stats.injected.resetAfter - lostBefore).toBeGreaterThan(3);
    const address = String(emulator.forwardingRule('lb-2-api')?.IPAddress);
    expect((await dnsGet('managedZones/lb-2-dns/rrsets/api.lb-2.example.test./A')).data.rrdatas).toEqual([address]);
    expect((await dnsGet('managedZones')).data.managedZones).toHaveLength(1);

    // Someone points the record elsewhere; ensure puts it back.
    const recordPath = `${emulator.url}/dns/v1/projects/${emulator.project}/managedZones/lb-2-dns/rrsets`;
    await authClient.request({ url: `${recordPath}/api.lb-2.example.test./A`, method: 'DELETE', retry: false, timeout: 5_000 });
    await authClient.request({ url: recordPath, method: 'POST', data: { name: 'api.lb-2.example.test.', type: 'A', ttl: 60, rrdatas: ['10.0.0.9'] }, retry: false, timeout: 5_000 });
    await adapter.ensureClusterInfra(infraRequest(infraId));
    expect((await dnsGet('managedZones/lb-2-dns/rrsets/api.lb-2.example.test./A')).data.rrdatas).toEqual([address]);

    // A zone of that name that is not the cluster's is never taken over or deleted.
    await authClient.request({ url: `${emulator.url}/dns/v1/projects/${emulator.project}/managedZones`, method: 'POST', data: { name: 'other-1-dns', dnsName: 'other-1.example.test.', description: 'someone else' }, retry: false, timeout: 5_000 });
    const refused = await errorOf(adapter.ensureClusterInfra(infraRequest('other-1')));
    expect(refused.kind).toBe('invalid');
    expect(refused.message).toMatch(/not this cluster's/);
    await errorOf(adapter.deleteClusterInfra('other-1'));
    expect((await dnsGet('managedZones/other-1-dns')).status).toBe(200);

    // The sweep deletes in listed order and leaves nothing of the cluster.
    for (const resource of await collect(adapter.listResources({ [TAG.cluster]: infraId }))) await adapter.deleteResource(resource);
    expect(await collect(adapter.listResources({ [TAG.cluster]: infraId }))).toEqual([]);
    expect((await dnsGet('managedZones/lb-2-dns')).status).toBe(404);
  });
});
