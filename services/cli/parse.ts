/**
 * Parsing of command-line values: durations (`120s`, `2m`, `1h30m`), label selectors
 * (`-l app=web,tier!=db,env in (a,b)`), `--tag key=value` and `--for` conditions.
 * Pure functions; each throws a CliError that says what was expected.
 */
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

export type SelectorOperator = 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'In' | 'NotIn';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

const NAME_PART = '[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?';
const DNS_SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const LABEL_KEY = new RegExp(`^(${DNS_SUBDOMAIN}/)?${NAME_PART}$`);
const LABEL_VALUE = new RegExp(`^(${NAME_PART})?$`);

function checkKey(key: string, selector: string): string {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
  if (!LABEL_KEY.test(key) || name.length > 63) {
    throw new CliError(
      `invalid label selector ${JSON.stringify(selector)}: ${JSON.stringify(key)} is not a label key (an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" or ".")`,
    );
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!LABEL_VALUE.test(value) || value.length > 63) {
    throw new CliError(
      `invalid label selector ${JSON.stringify(selector)}: ${JSON.stringify(value)} is not a label value (up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`,
    );
  }
  return value;
}

/** Splits on commas that are not inside a parenthesised value set. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim());
}

/** Parses a Kubernetes label selector; an empty string selects everything. */
export function parseLabelSelector(selector: string): SelectorRequirement[] {
  if (selector.trim() === '') return [];
  return splitRequirements(selector).map((part): SelectorRequirement => {
    if (part === '') throw new CliError(`invalid label selector ${JSON.stringify(selector)}: empty requirement (two commas in a row?)`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const [, key = '', operator, list = ''] = set;
      const values = list.split(',').map((value) => checkValue(value.trim(), selector));
      return { key: checkKey(key, selector), operator: operator === 'in' ? 'In' : 'NotIn', values };
    }
    const comparison = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (comparison) {
      const [, key = '', operator, value = ''] = comparison;
      return { key: checkKey(key, selector), operator: operator === '!=' ? 'NotEquals' : 'Equals', values: [checkValue(value.trim(), selector)] };
    }
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), selector), operator: 'DoesNotExist', values: [] };
    if (/^\S+$/.test(part)) return { key: checkKey(part, selector), operator: 'Exists', values: [] };
    throw new CliError(
      `invalid label selector ${JSON.stringify(selector)}: cannot read ${JSON.stringify(part)}; use key=value, key!=value, key, !key, key in (a,b) or key notin (a,b)`,
    );
  });
}

/** The canonical text form, as sent to the API's labelSelector parameter. */
export function formatLabelSelector(requirements: readonly SelectorRequirement[]): string {
  return requirements
    .map(({ key, operator, values }) => {
      switch (operator) {
        case 'Exists':
          return key;
        case 'DoesNotExist':
          return `!${key}`;
        case 'Equals':
          return `${key}=${values[0] ?? ''}`;
        case 'NotEquals':
          return `${key}!=${values[0] ?? ''}`;
        case 'In':
          return `${key} in (${values.join(',')})`;
        case 'NotIn':
          return `${key} notin (${values.join(',')})`;
      }
    })
    .join(',');
}

export function matchesLabelSelector(labels: Readonly<Record<string, string>> | undefined, requirements: readonly SelectorRequirement[]): boolean {
  const has = (key: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
  return requirements.every(({ key, operator, values }) => {
    const value = has(key) ? labels?.[key] : undefined;
    switch (operator) {
      case 'Exists':
        return has(key);
      case 'DoesNotExist':
        return !has(key);
      case 'Equals':
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotEquals':
      case 'NotIn':
        return value === undefined || !values.includes(value);
    }
  });
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
