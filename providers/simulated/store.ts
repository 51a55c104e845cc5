/**
 * The simulated cloud's durable state, in SQLite (Node's built-in node:sqlite), so the
 * cloud outlives any restart of the worker or the dev stack. Machine phases are derived
 * from timestamps at read time, so no timers run and a restart loses nothing.
 */
import { DatabaseSync } from 'node:sqlite';
import type { MachineBootstrap } from '../hosted-node';
import type { CloudResourceKind, MachinePhase } from '../types';

export interface StoredResource {
  readonly seq: number;
  readonly kind: CloudResourceKind;
  readonly id: string;
  readonly name: string;
  readonly tags: Record<string, string>;
  readonly data: Record<string, string>;
  readonly createdAt: number;
  readonly deleteRequestedAt: number | null;
  readonly token: string | null;
  readonly willFail: boolean;
}

export interface Latencies {
  bootMs: number;
  deleteMs: number;
}

interface Row {
  seq: number;
  kind: string;
  id: string;
  name: string;
  tags: string;
  data: string;
  created_at: number;
  delete_requested_at: number | null;
  token: string | null;
  will_fail: number;
}

function fromRow(row: Row): StoredResource {
  return {
    seq: row.seq,
    kind: row.kind as CloudResourceKind,
    id: row.id,
    name: row.name,
    tags: JSON.parse(row.tags) as Record<string, string>,
    data: JSON.parse(row.data) as Record<string, string>,
    createdAt: row.created_at,
    deleteRequestedAt: row.delete_requested_at,
    token: row.token,
    willFail: row.will_fail === 1,
  };
}

export function machinePhase(resource: StoredResource, latencies: Latencies, now: number): MachinePhase {
  if (resource.deleteRequestedAt !== null) {
    return now >= resource.deleteRequestedAt + latencies.deleteMs ? 'terminated' : 'stopping';
  }
  if (now < resource.createdAt + latencies.bootMs) return 'pending';
  return resource.willFail ? 'failed' : 'running';
}

/** `absent` means the node never joined (or left); otherwise these conditions replace the default. */
export type StoredNodeOverride =
  | { readonly absent: true }
  | { readonly conditions: readonly { readonly type: string; readonly status: 'True' | 'False' | 'Unknown'; readonly lastTransitionTime: string }[] };

export interface ListFilter {
  readonly kind?: CloudResourceKind;
  readonly name?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly afterSeq: number;
}

export class CloudStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS resources (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        tags TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        delete_requested_at INTEGER,
        token TEXT,
        will_fail INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS resources_kind_name ON resources (kind, name);
      CREATE UNIQUE INDEX IF NOT EXISTS resources_token ON resources (token) WHERE token IS NOT NULL;
      CREATE TABLE IF NOT EXISTS machine_bootstraps (
        machine_id TEXT PRIMARY KEY,
        bootstrap TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS machine_joins (
        machine_id TEXT PRIMARY KEY
      );
      CREATE TABLE IF NOT EXISTS node_overrides (
        machine_id TEXT PRIMARY KEY,
        report TEXT NOT NULL
      );
    `);
  }

  insert(resource: Omit<StoredResource, 'seq' | 'deleteRequestedAt'>): StoredResource {
    this.db
      .prepare('INSERT INTO resources (kind, id, name, tags, data, created_at, token, will_fail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(resource.kind, resource.id, resource.name, JSON.stringify(resource.tags), JSON.stringify(resource.data), resource.createdAt, resource.token, resource.willFail ? 1 : 0);
    const stored = this.byId(resource.id);
    if (!stored) throw new Error('insert did not persist');
    return stored;
  }

  byId(id: string): StoredResource | undefined {
    const row = this.db.prepare('SELECT * FROM resources WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  byToken(token: string): StoredResource | undefined {
    const row = this.db.prepare('SELECT * FROM resources WHERE token = ?').get(token) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Resources in creation order after a cursor, filtered by kind, name and tags; at most `limit`. */
  list(filter: ListFilter, limit: number): StoredResource[] {
    const clauses = ['seq > ?'];
    const params: (string | number)[] = [filter.afterSeq];
    if (filter.kind) {
      clauses.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.name) {
      clauses.push('name = ?');
      params.push(filter.name);
    }
    for (const [key, value] of Object.entries(filter.tags)) {
      clauses.push('json_extract(tags, ?) = ?');
      params.push(`$."${key.replaceAll('"', '""')}"`, value);
    }
    params.push(limit);
    const rows = this.db.prepare(`SELECT * FROM resources WHERE ${clauses.join(' AND ')} ORDER BY seq LIMIT ?`).all(...params) as unknown as Row[];
    return rows.map(fromRow);
  }

  markDeleting(id: string, now: number): void {
    this.db.prepare('UPDATE resources SET delete_requested_at = ? WHERE id = ? AND delete_requested_at IS NULL').run(now, id);
  }

  /** Adds or overwrites tags, leaving the others; false when there is no such resource. */
  mergeTags(id: string, tags: Readonly<Record<string, string>>): boolean {
    const resource = this.byId(id);
    if (!resource) return false;
    this.db.prepare('UPDATE resources SET tags = ? WHERE id = ?').run(JSON.stringify({ ...resource.tags, ...tags }), id);
    return true;
  }

  remove(id: string): void {
    this.db.prepare('DELETE FROM resources WHERE id = ?').run(id);
  }

  /** A node report set through the admin API; it replaces the healthy default for that machine. */
  nodeOverride(machineId: string): StoredNodeOverride | undefined {
    const row = this.db.prepare('SELECT report FROM node_overrides WHERE machine_id = ?').get(machineId) as { report: string } | undefined;
    return row ? (JSON.parse(row.report) as StoredNodeOverride) : undefined;
  }

  setNodeOverride(machineId: string, override: StoredNodeOverride): void {
    this.db.prepare('INSERT INTO node_overrides (machine_id, report) VALUES (?, ?) ON CONFLICT(machine_id) DO UPDATE SET report = excluded.report').run(machineId, JSON.stringify(override));
  }

  /** How a machine joins its hosted cluster; kept apart from the resource, so no listing ever shows its credential. */
  setBootstrap(machineId: string, bootstrap: MachineBootstrap): void {
    this.db.prepare('INSERT INTO machine_bootstraps (machine_id, bootstrap) VALUES (?, ?) ON CONFLICT(machine_id) DO NOTHING').run(machineId, JSON.stringify(bootstrap));
  }

  /** Every machine that joins a hosted cluster, with its bootstrap. */
  bootstrappedMachines(): { readonly machine: StoredResource; readonly bootstrap: MachineBootstrap }[] {
    const rows = this.db.prepare('SELECT r.*, b.bootstrap AS bootstrap FROM resources r JOIN machine_bootstraps b ON b.machine_id = r.id ORDER BY r.seq').all() as unknown as (Row & { bootstrap: string })[];
    return rows.map((row) => ({ machine: fromRow(row), bootstrap: JSON.parse(row.bootstrap) as MachineBootstrap }));
  }

  removeBootstrap(machineId: string): void {
    this.db.prepare('DELETE FROM machine_bootstraps WHERE machine_id = ?').run(machineId);
    this.db.prepare('DELETE FROM machine_joins WHERE machine_id = ?').run(machineId);
  }

  /** For a machine that joins a hosted cluster: whether its kubelet has registered its Node there yet. Undefined for any other machine. */
  joinState(machineId: string): 'joining' | 'joined' | undefined {
    const row = this.db.prepare('SELECT j.machine_id AS joined FROM machine_bootstraps b LEFT JOIN machine_joins j ON j.machine_id = b.machine_id WHERE b.machine_id = ?').get(machineId) as { joined: string | null } | undefined;
    if (!row) return undefined;
    return row.joined === null ? 'joining' : 'joined';
  }

  markJoined(machineId: string): void {
    this.db.prepare('INSERT INTO machine_joins (machine_id) VALUES (?) ON CONFLICT(machine_id) DO NOTHING').run(machineId);
  }

  countLiveMachines(): number {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM resources WHERE kind = 'machine' AND delete_requested_at IS NULL").get() as { n: number };
    return row.n;
  }

  close(): void {
    this.db.close();
  }
}
