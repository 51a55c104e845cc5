/**
 * The limits a request body must stay within, checked without recursion so that no
 * input can overflow the stack or take more than linear time: nesting depth, node count,
 * keys per map, JSON-only YAML tags, no alias that contains itself, no duplicate key.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { joinPath, type FieldError } from './field-errors';
import { isPlainObject } from './json';

export const BODY_LIMITS = {
  /** Nesting levels of maps and sequences; our deepest schema needs about 12. (Go's JSON decoder stops at 10,000.) */
  maxDepth: 64,
  /** Values, keys included, in one request or one manifest document, aliases counted as expanded. */
  maxNodes: 20_000,
  /** Keys in one map; Kubernetes caps all annotations of an object at 256 KiB. */
  maxMapKeys: 2_000,
} as const;

/** The tags a JSON value can carry: YAML's core schema minus everything JSON has no value for. */
const JSON_TAGS = new Set(['!', ...['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`)]);

const shortTag = (tag: string) => tag.replace(/^tag:yaml\.org,2002:/, '!!');
const atPath = (path: string) => (path === '' ? '(root)' : path);

class Budget {
  nodes = 0;
  /** Counts one node; an error when the body holds more than the limit. */
  spend(base: string): FieldError | undefined {
    this.nodes += 1;
    if (this.nodes === BODY_LIMITS.maxNodes + 1) {
      return { path: atPath(base), message: `the body holds more than ${BODY_LIMITS.maxNodes} values (keys, items and scalars); split it into smaller objects` };
    }
    return undefined;
  }
}

function tooDeep(path: string): FieldError {
  return { path: atPath(path), message: `is nested more than ${BODY_LIMITS.maxDepth} levels deep; no Slipway object needs that, flatten it` };
}

function tooManyKeys(path: string, count: number): FieldError {
  return { path: atPath(path), message: `has ${count} keys, more than the ${BODY_LIMITS.maxMapKeys} a map may hold` };
}

/** Checks a parsed JSON value (JSON.parse is iterative in V8, so only depth and size matter here). */
export function jsonBoundsErrors(value: unknown): FieldError[] {
  const budget = new Budget();
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const overBudget = budget.spend(item.path);
    if (overBudget) return [overBudget];
    const children = Array.isArray(item.value) ? item.value.map((child, index) => [index, child] as const) : isPlainObject(item.value) ? Object.entries(item.value) : [];
    if (children.length === 0) continue;
    if (item.depth + 1 > BODY_LIMITS.maxDepth) return [tooDeep(item.path)];
    if (!Array.isArray(item.value) && children.length > BODY_LIMITS.maxMapKeys) return [tooManyKeys(item.path, children.length)];
    for (const [key, child] of children) stack.push({ value: child, path: joinPath(item.path, key), depth: item.depth + 1 });
  }
  return [];
}

interface Frame {
  readonly node: Node | null;
  readonly path: string;
  readonly depth: number;
  /** The collections this node sits in, as written (an alias's target included): a cycle means an alias contains itself. */
  readonly ancestors: readonly Node[];
}

/**
 * Walks one composed YAML document as toJS would expand it (aliases replaced by their
 * targets), and reports the first bound it breaks. Linear in the expanded size, which the
 * node budget caps.
 */
export function yamlBoundsErrors(document: Document.Parsed, prefix: string): FieldError[] {
  const budget = new Budget();
  const stack: Frame[] = [{ node: document.contents, path: prefix, depth: 0, ancestors: [] }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    let node = frame.node;
    const { path, depth, ancestors } = frame;
    if (node === null) continue;
    if (isAlias(node)) {
      const target = node.resolve(document);
      if (!target) return [{ path: atPath(path), message: `alias *${node.source} names no anchor` }];
      if (ancestors.includes(target)) {
        return [{ path: atPath(path), message: `alias *${node.source} refers to a map or list that contains it, which would make an endless value; write the value out instead` }];
      }
      node = target;
    }
    const overBudget = budget.spend(path);
    if (overBudget) return [overBudget];
    if (node.tag !== undefined && !JSON_TAGS.has(node.tag)) {
      return [{ path: atPath(path), message: `has the YAML tag ${shortTag(node.tag)}, which has no JSON value; a body holds only maps, lists, strings, numbers, booleans and null, so drop the tag` }];
    }
    if (isScalar(node)) continue;
    if (depth + 1 > BODY_LIMITS.maxDepth) return [tooDeep(path)];
    const inside = [...ancestors, node];
    if (isSeq(node)) {
      node.items.forEach((item, index) => stack.push({ node: item as Node | null, path: joinPath(path, index), depth: depth + 1, ancestors: inside }));
      continue;
    }
    if (!isMap(node)) return [{ path: atPath(path), message: 'is not a map, list or scalar' }];
    if (node.items.length > BODY_LIMITS.maxMapKeys) return [tooManyKeys(path, node.items.length)];
    const keys = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = isAlias(pair.key) ? pair.key.resolve(document) : pair.key;
      if (!isScalar(keyNode) || (keyNode.tag !== undefined && !JSON_TAGS.has(keyNode.tag))) {
        return [{ path: atPath(path), message: 'has a key that is not a plain string, number or boolean; JSON keys are strings' }];
      }
      const key = String(keyNode.value);
      if (keys.has(key)) return [{ path: atPath(joinPath(path, key)), message: `is given twice; map keys must be unique, so keep one` }];
      keys.add(key);
      const keyOverBudget = budget.spend(path);
      if (keyOverBudget) return [keyOverBudget];
      stack.push({ node: pair.value as Node | null, path: joinPath(path, key), depth: depth + 1, ancestors: inside });
    }
  }
  return [];
}
