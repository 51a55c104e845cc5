/**
 * CPU time and resident memory of a process and everything it started, read from /proc
 * (Linux only), so a benchmark can say what each part of the stack costs.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;

interface ProcStat {
  readonly pid: number;
  readonly parent: number;
  /** User plus system CPU, in seconds. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      parent: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined;
  }
}

function allStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readStat(Number(entry)))
    .filter((stat): stat is ProcStat => stat !== undefined);
}

export interface Usage {
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

/** The summed usage of each root process and its descendants. */
export function usageOfTrees(roots: readonly number[]): Map<number, Usage> {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.parent, [...(children.get(stat.parent) ?? []), stat]);
  const byPid = new Map(stats.map((stat) => [stat.pid, stat]));
  const result = new Map<number, Usage>();
  for (const root of roots) {
    let cpuSeconds = 0;
    let rssBytes = 0;
    const pending = byPid.has(root) ? [byPid.get(root)!] : [];
    while (pending.length > 0) {
      const stat = pending.pop()!;
      cpuSeconds += stat.cpuSeconds;
      rssBytes += stat.rssBytes;
      pending.push(...(children.get(stat.pid) ?? []));
    }
    result.set(root, { cpuSeconds, rssBytes });
  }
  return result;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** CPU seconds so far of a process and each of its descendants, summed by command name. */
export function cpuByCommand(root: number): Map<string, number> {
  const stats = allStats();
  const inTree = new Set([root]);
  const result = new Map<string, number>();
  // /proc lists parents before their children often enough, but not always: repeat until stable.
  for (let grown = true; grown; ) {
    grown = false;
    for (const stat of stats) {
      if (!inTree.has(stat.pid) && inTree.has(stat.parent)) {
        inTree.add(stat.pid);
        grown = true;
      }
    }
  }
  for (const stat of stats) {
    if (!inTree.has(stat.pid)) continue;
    const command = stat.pid === root ? 'benchmark (worker, API clients)' : commandOf(stat.pid);
    result.set(command, (result.get(command) ?? 0) + stat.cpuSeconds);
  }
  return result;
}

/** The CPU each command spent between two cpuByCommand readings. */
export function cpuSpent(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([command, seconds]) => [command, seconds - (before.get(command) ?? 0)]));
}
