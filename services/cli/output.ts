/**
 * Everything the CLI prints: kubectl-style tables (borderless columns), ages, JSON/YAML
 * documents and the clusterctl-style condition tree. Pure: functions return strings;
 * commands write them.
 */
import Table from 'cli-table3';
import { stringify as toYaml } from 'yaml';
import { isPlainObject } from '../../crds/json';
import type { KindName } from '../../crds/schemas/index';
import { ownerSide } from '../../workflows/entity/ownership';
import { machineCounts, severityOf, type ConditionView, type ObjectLike } from './conditions';
import { evaluateJsonPath } from './jsonpath';
import { definitionOf } from './kinds';
import { CliError } from './errors';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

export function parseOutputFormat(text: string | undefined): OutputFormat {
  if (text === undefined || text === '') return 'table';
  if (text === 'wide' || text === 'json' || text === 'yaml') return text;
  throw new CliError(`unknown output format ${JSON.stringify(text)}: use -o json, -o yaml or -o wide`);
}

/** kubectl's human-readable durations: 45s, 3m20s, 95m, 5h12m, 30h, 3d4h, 40d, 2y30d. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const years = Math.floor(days / 365);
  if (seconds < 120) return `${seconds}s`;
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  if (days < 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** Age of an RFC 3339 timestamp at `now`; `<unknown>` when absent or unreadable, as kubectl shows. */
export function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const then = Date.parse(timestamp);
  return Number.isNaN(then) ? '<unknown>' : humanDuration(now.getTime() - then);
}

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '',
  middle: '   ',
};

/** Aligned columns with no borders, as kubectl prints them. `head` may be omitted (watch rows). */
export function renderColumns(head: readonly string[] | undefined, rows: readonly (readonly string[])[]): string {
  const table = new Table({
    ...(head ? { head: [...head] } : {}),
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

export interface Column {
  readonly header: string;
  readonly value: (object: ObjectLike, now: Date) => string;
}

function cellText(values: unknown[]): string {
  return values
    .filter((value) => value !== null && value !== undefined)
    .map((value) => (typeof value === 'object' ? JSON.stringify(value) : String(value)))
    .join(',');
}

const nameColumn: Column = { header: 'NAME', value: (object) => object.metadata?.name ?? '' };

/** Which side drives the object: rest, or kubernetes (its custom resource); see `slipway handover`. */
const ownerColumn: Column = {
  header: 'OWNER',
  value: (object) => {
    const annotations = object.metadata?.annotations;
    const strings = isPlainObject(annotations) ? Object.fromEntries(Object.entries(annotations).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {};
    return ownerSide({ metadata: { annotations: strings } });
  },
};

/** Columns beyond the registry's, for `-o wide`. */
const EXTRA_WIDE_COLUMNS: Partial<Record<KindName, readonly Column[]>> = {
  ClusterDeployment: [
    { header: 'API URL', value: (object) => cellText(evaluateJsonPath(object, '.status.apiURL')) },
    {
      header: 'MACHINES',
      value: (object) => {
        const counts = machineCounts(object);
        return counts ? `${counts.ready}/${counts.total}` : '';
      },
    },
  ],
};

/**
 * Printer columns shown only with `-o wide`, beyond those of priority > 0: Cluster API marks
 * a MachineDeployment's Desired column priority 10, so `kubectl get md` shows NAME CLUSTER
 * REPLICAS READY UPDATED UNAVAILABLE PHASE AGE VERSION.
 */
const WIDE_ONLY_PRINTER_COLUMNS: Partial<Record<KindName, readonly string[]>> = {
  MachineDeployment: ['Desired'],
};

/** The columns of `get <kind>`: NAME, then the kind's printer columns (priority 0, or all when wide). */
export function columnsFor(kind: KindName, wide: boolean): Column[] {
  const definition = definitionOf(kind);
  const columns: Column[] = [nameColumn];
  const wideOnly = WIDE_ONLY_PRINTER_COLUMNS[kind] ?? [];
  for (const printer of definition.printerColumns) {
    if (((printer.priority ?? 0) > 0 || wideOnly.includes(printer.name)) && !wide) continue;
    columns.push({
      header: printer.name.toUpperCase(),
      value: printer.type === 'date'
        ? (object, now) => age(evaluateJsonPath(object, printer.jsonPath)[0], now)
        : (object) => cellText(evaluateJsonPath(object, printer.jsonPath)),
    });
  }
  const extras = wide ? [...(EXTRA_WIDE_COLUMNS[kind] ?? []), ...(definition.ownedBy === undefined ? [ownerColumn] : [])] : [];
  const ageIndex = columns.findIndex((column) => column.header === 'AGE');
  if (ageIndex >= 0) columns.splice(ageIndex, 0, ...extras);
  else columns.push(...extras);
  return columns;
}

export function tableRows(objects: readonly ObjectLike[], columns: readonly Column[], now: Date): string[][] {
  return objects.map((object) => columns.map((column) => column.value(object, now)));
}

export function renderObjectsTable(kind: KindName, objects: readonly ObjectLike[], options: { wide: boolean; now: Date; headers?: boolean }): string {
  const columns = columnsFor(kind, options.wide);
  return renderColumns(options.headers === false ? undefined : columns.map((column) => column.header), tableRows(objects, columns, options.now));
}

/** One object as itself; several (or a list request) wrapped in a kubectl-style List. */
export function formatDocument(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value, { lineWidth: 0 });
}

export function asList(items: readonly ObjectLike[]): { apiVersion: 'v1'; kind: 'List'; metadata: { resourceVersion: string }; items: readonly ObjectLike[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/** A node of the `describe` tree: one object, pool, machine or condition. */
export interface TreeNode {
  readonly name: string;
  /** The condition that fills READY/SEVERITY/REASON/SINCE/MESSAGE; none leaves them blank. */
  readonly condition?: ConditionView;
  /** Overrides the MESSAGE column (e.g. pool counts). */
  readonly message?: string;
  readonly children: readonly TreeNode[];
}

/** Flattens a tree into rows whose names carry the ├─ │ └─ drawing, depth first. */
export function treeRows(root: TreeNode): { prefix: string; node: TreeNode }[] {
  const rows: { prefix: string; node: TreeNode }[] = [{ prefix: '', node: root }];
  const visit = (node: TreeNode, indent: string) => {
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      rows.push({ prefix: `${indent}${last ? '└─' : '├─'}`, node: child });
      visit(child, `${indent}${last ? '  ' : '│ '}`);
    });
  };
  visit(root, '');
  return rows;
}

export const TREE_HEADERS = ['NAME', 'READY', 'SEVERITY', 'REASON', 'SINCE', 'MESSAGE'] as const;

export function renderTree(root: TreeNode, now: Date): string {
  const rows = treeRows(root).map(({ prefix, node }) => {
    const condition = node.condition;
    return [
      `${prefix}${node.name}`,
      condition?.status ?? '',
      severityOf(condition),
      condition?.status === 'True' ? '' : (condition?.reason ?? ''),
      condition?.lastTransitionTime ? age(condition.lastTransitionTime, now) : '',
      node.message ?? condition?.message ?? '',
    ];
  });
  return renderColumns(TREE_HEADERS, rows);
}

/** One resource the simulated cloud holds, as `cloud ls` shows it. */
export interface CloudResourceView {
  readonly kind: string;
  readonly name: string;
  readonly id: string;
  readonly state: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt?: string;
}

export const CLOUD_HEADERS = ['KIND', 'NAME', 'ID', 'STATE', 'CLUSTER', 'AGE'] as const;

/** Rows of `cloud ls`, sorted by cluster, kind and name so a leak stands out next to its siblings. */
export function cloudResourceRows(resources: readonly CloudResourceView[], clusterTag: string, now: Date): string[][] {
  return [...resources]
    .sort((a, b) => (a.tags[clusterTag] ?? '').localeCompare(b.tags[clusterTag] ?? '') || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
    .map((resource) => [resource.kind, resource.name, resource.id, resource.state, resource.tags[clusterTag] ?? '', resource.createdAt ? age(resource.createdAt, now) : '<unknown>']);
}
