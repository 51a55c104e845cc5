/**
 * Kubernetes label selectors (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), parsed once and
 * matched against an object's labels.
 */
export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'notexists' };

export class LabelSelectorError extends Error {}

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[A-Za-z0-9_.-]*`;
const PATTERNS: [RegExp, (match: RegExpMatchArray) => Requirement][] = [
  [new RegExp(`^(${KEY})\\s*(==|=)\\s*(${VALUE})$`), (m) => ({ key: m[1]!, op: 'in', values: [m[3]!] })],
  [new RegExp(`^(${KEY})\\s*!=\\s*(${VALUE})$`), (m) => ({ key: m[1]!, op: 'notin', values: [m[2]!] })],
  [new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`), (m) => ({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) })],
  [new RegExp(`^!\\s*(${KEY})$`), (m) => ({ key: m[1]!, op: 'notexists' })],
  [new RegExp(`^(${KEY})$`), (m) => ({ key: m[1]!, op: 'exists' })],
];

/** Splits on commas that are not inside parentheses. */
function clauses(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter(Boolean);
}

export function parseLabelSelector(selector: string): Requirement[] {
  return clauses(selector).map((clause) => {
    for (const [pattern, build] of PATTERNS) {
      const match = clause.match(pattern);
      if (match) return build(match);
    }
    throw new LabelSelectorError(`"${clause}" is not a label selector requirement; use key=value, key!=value, key in (a,b), key notin (a,b), key or !key`);
  });
}

export function matchesLabels(requirements: readonly Requirement[], labels: Readonly<Record<string, string>> = {}): boolean {
  return requirements.every((requirement) => {
    const value = labels[requirement.key];
    switch (requirement.op) {
      case 'exists':
        return value !== undefined;
      case 'notexists':
        return value === undefined;
      case 'in':
        return value !== undefined && requirement.values.includes(value);
      case 'notin':
        return value === undefined || !requirement.values.includes(value);
    }
  });
}
