import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostInventory, type ClaimRequest, type HostRow } from '../../providers/baremetal/inventory';
import type { HostSpec } from '../../providers/baremetal/inventory-file';

const spec = (name: string, overrides: Partial<HostSpec> = {}): HostSpec => ({
  name,
  hostClass: 'small',
  site: undefined,
  ip: undefined,
  bmcUrl: 'https://10.0.1.1',
  systemPath: `/redfish/v1/Systems/${name}`,
  credentialsRef: 'bmc',
  ...overrides,
});

const claimOf = (machineName: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  machineName,
  idempotencyToken: `token-${machineName}`,
  tags: { 'slipway.dev/cluster': 'c1', 'slipway.dev/machine': machineName },
  image: 'rhcos',
  hostClass: 'small',
  site: 'dc1',
  now: new Date('2026-11-25T00:00:00.000Z'),
  ...overrides,
});

function claimed(result: ReturnType<HostInventory['claim']>): HostRow {
  if (!('claimed' in result)) throw new Error(`expected a new claim, got ${JSON.stringify(result)}`);
  return result.claimed;
}

describe('the claims database', () => {
  let dir: string;
  let first: HostInventory;
  let second: HostInventory;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-claims-'));
    first = new HostInventory(join(dir, 'claims.sqlite'));
    second = new HostInventory(join(dir, 'claims.sqlite'));
    first.sync([spec('h1'), spec('h2'), spec('h3', { hostClass: 'large' }), spec('h4', { site: 'dc2' })]);
  });
  afterEach(async () => {
    first.close();
    second.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('never gives one host to two workers, and gives a name the host it already holds', () => {
    const a = claimed(first.claim(claimOf('m1')));
    const b = claimed(second.claim(claimOf('m2')));
    expect(a.name).not.toBe(b.name);
    expect(second.claim(claimOf('m1'))).toEqual({ alreadyClaimed: a });
    expect(first.claim(claimOf('m3'))).toEqual({ noFreeHost: true });
    expect(claimed(first.claim(claimOf('m4', { hostClass: 'large' }))).name).toBe('h3');
  });

  it('claims only hosts of the site asked for, or of none; without a site, from every site', () => {
    expect(claimed(first.claim(claimOf('m1'))).name).toBe('h1');
    expect(claimed(first.claim(claimOf('m2'))).name).toBe('h2');
    expect(first.claim(claimOf('m3'))).toEqual({ noFreeHost: true });
    expect(claimed(first.claim(claimOf('m4', { site: 'dc2' }))).name).toBe('h4');
    first.sync([spec('h1'), spec('h2'), spec('h3', { hostClass: 'large' }), spec('h4', { site: 'dc2' }), spec('h5', { site: 'dc3' })]);
    expect(claimed(first.claim(claimOf('m5', { site: undefined }))).name).toBe('h5');
  });

  it('lets an old claim neither release nor advance the next claim of its host', () => {
    const old = claimed(first.claim(claimOf('m1')));
    const releasing = first.markDeprovisioning(old);
    expect(releasing?.state).toBe('deprovisioning');
    expect(first.release(old, 1)).toBe(true);
    const next = claimed(first.claim(claimOf('m2')));
    // The longest-free host goes first; h1 was freed just now, so h2 (never claimed) is taken.
    expect(next.name).toBe('h2');
    const reused = claimed(first.claim(claimOf('m3')));
    expect(reused.name).toBe('h1');
    expect(reused.generation).toBe(old.generation + 1);
    expect(first.markDeprovisioning(old)).toBeUndefined();
    expect(first.release({ ...old, state: 'deprovisioning' }, 2)).toBe(false);
    expect(first.byHostName('h1')?.machineName).toBe('m3');
  });

  it('stops offering hosts gone from the inventory, while keeping their claims', () => {
    const held = claimed(first.claim(claimOf('m1')));
    first.sync([spec('h3', { hostClass: 'large' })]);
    expect(first.claim(claimOf('m2'))).toEqual({ noFreeHost: true });
    expect(first.byMachineName('m1')?.name).toBe(held.name);
    expect([...first.classes().keys()]).toEqual(['large']);
  });

  it('pages claimed hosts by tags after a cursor', () => {
    claimed(first.claim(claimOf('m1')));
    claimed(first.claim(claimOf('m2')));
    claimed(first.claim(claimOf('m3', { hostClass: 'large', tags: { 'slipway.dev/cluster': 'c2' } })));
    const page1 = first.claimedPage({ tags: { 'slipway.dev/cluster': 'c1' }, afterSeq: 0, limit: 1 });
    expect(page1.map((host) => host.machineName)).toEqual(['m1']);
    const page2 = first.claimedPage({ tags: { 'slipway.dev/cluster': 'c1' }, afterSeq: page1[0]?.seq ?? 0, limit: 1 });
    expect(page2.map((host) => host.machineName)).toEqual(['m2']);
    expect(first.claimedPage({ tags: { 'slipway.dev/cluster': 'c1' }, afterSeq: page2[0]?.seq ?? 0, limit: 1 })).toEqual([]);
    expect(first.claimedPage({ tags: {}, afterSeq: 0, limit: 10 })).toHaveLength(3);
  });
});
