/**
 * The small subset of JSONPath that the kind registry's printer columns use:
 * `.a.b`, `.a[0]`, `.a[*]` and filters `[?(@.key=="value")]` / `[?(@.key!="value")]`.
 * Returns every match, in document order.
 */
import { isPlainObject } from '../../crds/json';

type Step =
  | { readonly type: 'field'; readonly name: string }
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'all' }
  | { readonly type: 'filter'; readonly path: readonly string[]; readonly operator: '==' | '!='; readonly value: string };

const STEP = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\*\]|\[\?\(@((?:\.[A-Za-z_$][\w$-]*)+)\s*(==|!=)\s*"([^"]*)"\)\])/;

export function compileJsonPath(path: string): Step[] {
  const steps: Step[] = [];
  let rest = path.startsWith('{') && path.endsWith('}') ? path.slice(1, -1) : path;
  if (rest.startsWith('$')) rest = rest.slice(1);
  while (rest.length > 0) {
    const match = STEP.exec(rest);
    if (!match) throw new Error(`unsupported JSONPath ${JSON.stringify(path)} at ${JSON.stringify(rest)}`);
    const [whole, field, index, filterPath, operator, value] = match;
    if (field !== undefined) steps.push({ type: 'field', name: field });
    else if (index !== undefined) steps.push({ type: 'index', index: Number(index) });
    else if (filterPath !== undefined) {
      steps.push({ type: 'filter', path: filterPath.slice(1).split('.'), operator: operator === '!=' ? '!=' : '==', value: value ?? '' });
    } else steps.push({ type: 'all' });
    rest = rest.slice(whole.length);
  }
  return steps;
}

function readPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const name of path) current = isPlainObject(current) ? current[name] : undefined;
  return current;
}

export function evaluateJsonPath(document: unknown, path: string): unknown[] {
  let current: unknown[] = [document];
  for (const step of compileJsonPath(path)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.type === 'field') {
        if (isPlainObject(value) && value[step.name] !== undefined) next.push(value[step.name]);
      } else if (step.type === 'index') {
        if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
      } else if (step.type === 'all') {
        if (Array.isArray(value)) next.push(...value);
      } else if (Array.isArray(value)) {
        for (const item of value) {
          const actual = readPath(item, step.path);
          const equal = typeof actual === 'string' || typeof actual === 'number' || typeof actual === 'boolean' ? String(actual) === step.value : false;
          if (step.operator === '==' ? equal : actual !== undefined && !equal) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
