/**
 * Who holds which host: a SQLite file (node:sqlite) that every worker on one machine opens,
 * so a claim is one atomic UPDATE and two workers never take the same host. Each row is a
 * host from the inventory file plus its claim: the machine name (unique), idempotency token,
 * tags as stored by TAG_ENCODINGS.baremetal, the image, and a state:
 *
 *   free -> provisioning (claimed; boot override and power-on under way) -> provisioned
 *        -> deprovisioning (power-off requested; released once the BMC reports Off) -> free
 *
 * `generation` counts claims, so a slow worker finishing an old claim's step cannot touch
 * the host's next claim.
 */
import { DatabaseSync } from 'node:sqlite';
import type { HostSpec } from './inventory-file';

export type HostState = 'free' | 'provisioning' | 'provisioned' | 'deprovisioning';

export interface HostRow {
  readonly seq: number;
  readonly name: string;
  readonly hostClass: string;
  readonly site: string | null;
  readonly ip: string | null;
  readonly bmcUrl: string;
  readonly systemPath: string;
  readonly credentialsRef: string;
  /** False once the host is gone from the inventory file: it is never claimed again. */
  readonly listed: boolean;
  readonly state: HostState;
  readonly machineName: string | null;
  readonly idempotencyToken: string | null;
  /** Cloud-side (encoded) tags of the claim. */
  readonly tags: Record<string, string>;
  readonly image: string | null;
  readonly generation: number;
  readonly claimedAt: string | null;
  readonly powerOnRequestedAt: number | null;
  readonly powerOffRequestedAt: number | null;
}

export interface ClaimRequest {
  readonly machineName: string;
  readonly idempotencyToken: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly image: string;
  readonly hostClass: string;
  /** Claim only hosts of this site (or with none); undefined claims from every site. */
  readonly site: string | undefined;
  readonly now: Date;
}

export type ClaimResult = { readonly claimed: HostRow } | { readonly alreadyClaimed: HostRow } | { readonly noFreeHost: true };

interface Row {
  seq: number;
  name: string;
  host_class: string;
  site: string | null;
  ip: string | null;
  bmc_url: string;
  system_path: string;
  credentials_ref: string;
  listed: number;
  state: HostState;
  machine_name: string | null;
  idempotency_token: string | null;
  tags: string;
  image: string | null;
  generation: number;
  claimed_at: string | null;
  power_on_requested_at: number | null;
  power_off_requested_at: number | null;
}

function fromRow(row: Row): HostRow {
  return {
    seq: row.seq,
    name: row.name,
    hostClass: row.host_class,
    site: row.site,
    ip: row.ip,
    bmcUrl: row.bmc_url,
    systemPath: row.system_path,
    credentialsRef: row.credentials_ref,
    listed: row.listed === 1,
    state: row.state,
    machineName: row.machine_name,
    idempotencyToken: row.idempotency_token,
    tags: JSON.parse(row.tags) as Record<string, string>,
    image: row.image,
    generation: row.generation,
    claimedAt: row.claimed_at,
    powerOnRequestedAt: row.power_on_requested_at,
    powerOffRequestedAt: row.power_off_requested_at,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed/.test(error.message);
}

/** A JSON path selecting one top-level key, quoted: canonical keys hold '.' and '/'. */
function tagPath(key: string): string {
  return `$."${key.replaceAll('"', '""')}"`;
}

export interface PageFilter {
  /** Cloud-side tags every row must carry. */
  readonly tags: Readonly<Record<string, string>>;
  /** Only hosts of this site (or with none), as a claim for it would take; undefined for every site. */
  readonly site?: string | undefined;
  readonly afterSeq: number;
  readonly limit: number;
}

export class HostInventory {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 10000;
      CREATE TABLE IF NOT EXISTS hosts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        host_class TEXT NOT NULL,
        site TEXT,
        ip TEXT,
        bmc_url TEXT NOT NULL,
        system_path TEXT NOT NULL,
        credentials_ref TEXT NOT NULL,
        listed INTEGER NOT NULL DEFAULT 1,
        state TEXT NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'provisioning', 'provisioned', 'deprovisioning')),
        machine_name TEXT,
        idempotency_token TEXT,
        tags TEXT NOT NULL DEFAULT '{}',
        image TEXT,
        generation INTEGER NOT NULL DEFAULT 0,
        claimed_at TEXT,
        power_on_requested_at INTEGER,
        power_off_requested_at INTEGER,
        released_at INTEGER
      );
      CREATE UNIQUE INDEX IF NOT EXISTS hosts_machine_name ON hosts (machine_name) WHERE machine_name IS NOT NULL;
      CREATE INDEX IF NOT EXISTS hosts_free ON hosts (state, host_class);
    `);
  }

  /** Makes the rows match the inventory file: new hosts are added free, gone ones stop being claimable. */
  sync(hosts: readonly HostSpec[]): void {
    const upsert = this.db.prepare(`
      INSERT INTO hosts (name, host_class, site, ip, bmc_url, system_path, credentials_ref, listed) VALUES (?, ?, ?, ?, ?, ?, ?, 1)
      ON CONFLICT (name) DO UPDATE SET host_class = excluded.host_class, site = excluded.site, ip = excluded.ip, bmc_url = excluded.bmc_url,
        system_path = excluded.system_path, credentials_ref = excluded.credentials_ref, listed = 1`);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.exec('UPDATE hosts SET listed = 0');
      for (const host of hosts) upsert.run(host.name, host.hostClass, host.site ?? null, host.ip ?? null, host.bmcUrl, host.systemPath, host.credentialsRef);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  byMachineName(machineName: string): HostRow | undefined {
    const row = this.db.prepare('SELECT * FROM hosts WHERE machine_name = ?').get(machineName) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  byHostName(name: string): HostRow | undefined {
    const row = this.db.prepare('SELECT * FROM hosts WHERE name = ?').get(name) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The classes (instance types) of listed hosts, with how many hosts each has. */
  classes(): Map<string, number> {
    const rows = this.db.prepare('SELECT host_class, COUNT(*) AS n FROM hosts WHERE listed = 1 GROUP BY host_class ORDER BY host_class').all() as unknown as { host_class: string; n: number }[];
    return new Map(rows.map((row) => [row.host_class, row.n]));
  }

  /** Atomically takes the free host of the class that has been free longest, unless the name already holds one. */
  claim(request: ClaimRequest): ClaimResult {
    const existing = this.byMachineName(request.machineName);
    if (existing) return { alreadyClaimed: existing };
    let row: Row | undefined;
    try {
      row = this.db
        .prepare(
          `UPDATE hosts SET state = 'provisioning', machine_name = ?, idempotency_token = ?, tags = ?, image = ?, generation = generation + 1,
             claimed_at = ?, power_on_requested_at = NULL, power_off_requested_at = NULL
           WHERE seq = (SELECT seq FROM hosts WHERE state = 'free' AND listed = 1 AND host_class = ? AND (? IS NULL OR site IS NULL OR site = ?)
                        ORDER BY COALESCE(released_at, 0), seq LIMIT 1)
             AND state = 'free'
           RETURNING *`,
        )
        .get(request.machineName, request.idempotencyToken, JSON.stringify(request.tags), request.image, request.now.toISOString(), request.hostClass, request.site ?? null, request.site ?? null) as
        | Row
        | undefined;
    } catch (error) {
      // Another worker claimed a host for this very name between our lookup and our update.
      const winner = isUniqueViolation(error) ? this.byMachineName(request.machineName) : undefined;
      if (winner) return { alreadyClaimed: winner };
      throw error;
    }
    return row ? { claimed: fromRow(row) } : { noFreeHost: true };
  }

  /** Adds cloud-side tags to this claim, keeping its others; false when the claim has moved on (released or reclaimed). */
  addTags(host: HostRow, tags: Readonly<Record<string, string>>): boolean {
    const result = this.db
      .prepare("UPDATE hosts SET tags = ? WHERE seq = ? AND generation = ? AND state IN ('provisioning', 'provisioned')")
      .run(JSON.stringify({ ...host.tags, ...tags }), host.seq, host.generation);
    return result.changes > 0;
  }

  markPowerOnRequested(host: HostRow, at: number): void {
    this.db.prepare("UPDATE hosts SET power_on_requested_at = ? WHERE seq = ? AND generation = ? AND state = 'provisioning'").run(at, host.seq, host.generation);
  }

  markProvisioned(host: HostRow): void {
    this.db.prepare("UPDATE hosts SET state = 'provisioned' WHERE seq = ? AND generation = ? AND state = 'provisioning'").run(host.seq, host.generation);
  }

  /** Starts a release; the row as it is now (still claimed by this generation), or undefined if it moved on. */
  markDeprovisioning(host: HostRow): HostRow | undefined {
    const row = this.db
      .prepare("UPDATE hosts SET state = 'deprovisioning' WHERE seq = ? AND generation = ? AND state IN ('provisioning', 'provisioned', 'deprovisioning') RETURNING *")
      .get(host.seq, host.generation) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  markPowerOffRequested(host: HostRow, at: number): void {
    this.db.prepare("UPDATE hosts SET power_off_requested_at = ? WHERE seq = ? AND generation = ? AND state = 'deprovisioning'").run(at, host.seq, host.generation);
  }

  /** Frees the host of this claim: no machine, no tags. False when the claim had already moved on. */
  release(host: HostRow, at: number): boolean {
    const result = this.db
      .prepare(
        `UPDATE hosts SET state = 'free', machine_name = NULL, idempotency_token = NULL, tags = '{}', image = NULL, claimed_at = NULL,
           power_on_requested_at = NULL, power_off_requested_at = NULL, released_at = ?
         WHERE seq = ? AND generation = ? AND state = 'deprovisioning'`,
      )
      .run(at, host.seq, host.generation);
    return result.changes > 0;
  }

  /** Claimed hosts carrying all the given tags (of the site, when given), in inventory order after a cursor. */
  claimedPage(filter: PageFilter): HostRow[] {
    const clauses = ["state <> 'free'", 'seq > ?'];
    const params: (string | number)[] = [filter.afterSeq];
    if (filter.site !== undefined) {
      clauses.push('(site IS NULL OR site = ?)');
      params.push(filter.site);
    }
    for (const [key, value] of Object.entries(filter.tags)) {
      clauses.push('json_extract(tags, ?) = ?');
      params.push(tagPath(key), value);
    }
    params.push(filter.limit);
    const rows = this.db.prepare(`SELECT * FROM hosts WHERE ${clauses.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params) as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Hosts of a class (and site) whose release waits for their BMC to report Off, oldest power-off first. */
  releasesUnderWay(hostClass: string, site: string | undefined, limit: number): HostRow[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM hosts WHERE state = 'deprovisioning' AND host_class = ? AND (? IS NULL OR site IS NULL OR site = ?)
         ORDER BY COALESCE(power_off_requested_at, 0), seq LIMIT ?`,
      )
      .all(hostClass, site ?? null, site ?? null, limit) as unknown as Row[];
    return rows.map(fromRow);
  }

  close(): void {
    this.db.close();
  }
}
