/**
 * Parsing of command-line values: durations (`120s`, `2m`, `1h30m`), label selectors
 * (`-l app=web,tier!=db,env in (a,b)`), `--tag key=value` and `--for` conditions.
 * Pure functions; each throws a CliError that says what was expected.
 */
import { LabelSelectorError, matchesLabels, parseLabelSelector as parseCommonSelector, type Requirement } from '../common/label-selector';
import { CliError } from './errors';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Go-style durations as kubectl takes them: one or more `<number><unit>` with units ms, s, m, h. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(trimmed)) !== null) {
    const [whole, amount = '', unit = ''] = match;
    total += Number(amount) * (DURATION_UNITS[unit] ?? 0);
    consumed += whole.length;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new CliError(`invalid duration ${JSON.stringify(text)}: use a number with a unit, such as 90s, 2m, 1h or 1h30m`);
  }
  return Math.round(total);
}

/** A whole number given to a flag, at least `min`: `--replicas 5`, `--to-revision 2`. */
export function parseCount(text: string, flag: string, min: number): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    throw new CliError(`invalid ${flag} ${JSON.stringify(text)}: expected a whole number, ${min} or more`);
  }
  return value;
}

export type SelectorRequirement = Requirement;

/**
 * Checks a label selector with the same parser the API uses (services/common), so the CLI
 * refuses exactly what the server would, with a message that names the flag.
 */
export function parseLabelSelector(selector: string): SelectorRequirement[] {
  try {
    return parseCommonSelector(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw new CliError(`invalid label selector ${JSON.stringify(selector)} (-l): ${error.message}`);
    throw error;
  }
}

export function matchesLabelSelector(labels: Readonly<Record<string, string>> | undefined, requirements: readonly SelectorRequirement[]): boolean {
  return matchesLabels(requirements, labels ?? {});
}

/** `--tag key=value`, repeated; the key may itself contain "/" (slipway.dev/cluster=abc). */
export function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const index = pair.indexOf('=');
    if (index <= 0) throw new CliError(`invalid --tag ${JSON.stringify(pair)}: use key=value, e.g. --tag slipway.dev/cluster=demo-x7k2p`);
    const key = pair.slice(0, index);
    if (Object.prototype.hasOwnProperty.call(tags, key)) throw new CliError(`--tag ${key} is given twice; give each key once`);
    tags[key] = pair.slice(index + 1);
  }
  return tags;
}

export type WaitTarget =
  | { readonly type: 'condition'; readonly condition: string; readonly status: 'True' | 'False' | 'Unknown' }
  | { readonly type: 'delete' };

/** `--for=condition=Ready`, `--for=condition=Ready=False`, `--for=delete`, as kubectl wait takes them. */
export function parseWaitFor(text: string): WaitTarget {
  if (text === 'delete') return { type: 'delete' };
  const match = /^condition=([A-Za-z][A-Za-z0-9]*)(?:=(.+))?$/.exec(text);
  if (match) {
    const [, condition = '', rawStatus] = match;
    const status = rawStatus === undefined ? 'True' : rawStatus.toLowerCase() === 'true' ? 'True' : rawStatus.toLowerCase() === 'false' ? 'False' : rawStatus.toLowerCase() === 'unknown' ? 'Unknown' : undefined;
    if (status !== undefined) return { type: 'condition', condition, status };
  }
  throw new CliError(`invalid --for=${text}: use --for=condition=<Type> (e.g. condition=Ready), --for=condition=<Type>=False, or --for=delete`);
}
