/**
 * The `filter` query parameter of Compute Engine list methods, as the API reference describes
 * it: either AIP-160 comparisons (`field = value`, `!=`, `:`, and `field:*` for "is set") or
 * regular-expression comparisons (`field eq regex`, `ne`), never both in one filter; several
 * comparisons each in parentheses, joined by AND (also implied by juxtaposition) and OR, where
 * OR binds tighter than AND. Fields are dotted paths into the resource (`name`, `status`,
 * `labels.<key>`). The ordering operators (<, >, <=, >=) are refused as unsupported here.
 */
import { GceFailure, isRecord } from './http';

type Token =
  | { readonly kind: 'open' | 'close' }
  | { readonly kind: 'op'; readonly op: '=' | '!=' | ':' | 'eq' | 'ne' }
  | { readonly kind: 'word'; readonly text: string; readonly quoted: boolean };

type Node =
  | { readonly kind: 'and' | 'or'; readonly parts: readonly Node[] }
  | { readonly kind: 'compare'; readonly path: readonly string[]; readonly op: '=' | '!=' | ':' | 'eq' | 'ne'; readonly value: string; readonly quoted: boolean };

export type ResourcePredicate = (resource: Record<string, unknown>) => boolean;

function refused(filter: string, why: string): GceFailure {
  return new GceFailure(400, 'invalid', `Invalid value for field 'filter': '${filter}'. ${why}`);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < filter.length) {
    const char = filter.charAt(index);
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close' });
      index += 1;
    } else if (char === '!' && filter.charAt(index + 1) === '=') {
      tokens.push({ kind: 'op', op: '!=' });
      index += 2;
    } else if (char === '=' || char === ':') {
      tokens.push({ kind: 'op', op: char });
      index += 1;
    } else if (char === '<' || char === '>') {
      throw refused(filter, 'The ordering operators are not supported by this emulator.');
    } else if (char === '"' || char === "'") {
      let text = '';
      let end = index + 1;
      while (end < filter.length && filter.charAt(end) !== char) {
        if (filter.charAt(end) === '\\' && end + 1 < filter.length) end += 1;
        text += filter.charAt(end);
        end += 1;
      }
      if (end >= filter.length) throw refused(filter, 'Unterminated string literal.');
      tokens.push({ kind: 'word', text, quoted: true });
      index = end + 1;
    } else {
      const match = /^[^\s()=!:<>"']+/.exec(filter.slice(index));
      const text = match?.[0] ?? char;
      tokens.push(text === 'eq' || text === 'ne' ? { kind: 'op', op: text } : { kind: 'word', text, quoted: false });
      index += text.length;
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly filter: string,
  ) {}

  parse(): Node {
    const node = this.conjunction();
    if (this.position < this.tokens.length) throw refused(this.filter, 'Unexpected text after the expression.');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isKeyword(text: 'AND' | 'OR'): boolean {
    const token = this.peek();
    return token?.kind === 'word' && !token.quoted && token.text === text;
  }

  private conjunction(): Node {
    const parts = [this.disjunction()];
    for (;;) {
      const next = this.peek();
      if (next === undefined || next.kind === 'close') break;
      if (this.isKeyword('AND')) this.position += 1;
      parts.push(this.disjunction());
    }
    return parts.length === 1 && parts[0] ? parts[0] : { kind: 'and', parts };
  }

  private disjunction(): Node {
    const parts = [this.term()];
    while (this.isKeyword('OR')) {
      this.position += 1;
      parts.push(this.term());
    }
    return parts.length === 1 && parts[0] ? parts[0] : { kind: 'or', parts };
  }

  private term(): Node {
    const token = this.peek();
    if (token?.kind === 'open') {
      this.position += 1;
      const inner = this.conjunction();
      if (this.peek()?.kind !== 'close') throw refused(this.filter, 'Unbalanced parentheses.');
      this.position += 1;
      return inner;
    }
    const field = this.tokens[this.position];
    const op = this.tokens[this.position + 1];
    const value = this.tokens[this.position + 2];
    if (field?.kind !== 'word' || field.quoted || op?.kind !== 'op' || value?.kind !== 'word') {
      throw refused(this.filter, 'Expected a comparison such as labels.env = "prod".');
    }
    this.position += 3;
    return { kind: 'compare', path: field.text.split('.'), op: op.op, value: value.text, quoted: value.quoted };
  }
}

function comparisons(node: Node): Extract<Node, { kind: 'compare' }>[] {
  return node.kind === 'compare' ? [node] : node.parts.flatMap(comparisons);
}

function fieldValue(resource: Record<string, unknown>, path: readonly string[]): string | undefined {
  let current: unknown = resource;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  if (typeof current === 'string') return current;
  if (typeof current === 'number' || typeof current === 'boolean') return String(current);
  return undefined;
}

function evaluate(node: Node, resource: Record<string, unknown>): boolean {
  if (node.kind !== 'compare') return node.kind === 'and' ? node.parts.every((part) => evaluate(part, resource)) : node.parts.some((part) => evaluate(part, resource));
  const actual = fieldValue(resource, node.path);
  switch (node.op) {
    case ':':
      return node.value === '*' && !node.quoted ? actual !== undefined : actual === node.value;
    case '=':
      return actual === node.value;
    case '!=':
      return actual !== node.value;
    case 'eq':
    case 'ne': {
      const matches = actual !== undefined && new RegExp(`^(?:${node.value})$`).test(actual);
      return node.op === 'eq' ? matches : !matches;
    }
  }
}

/** A predicate for the filter; every resource passes an empty one. Throws GceFailure 400 for a bad filter. */
export function compileFilter(filter: string | null): ResourcePredicate {
  if (filter === null || filter.trim() === '') return () => true;
  const tree = new Parser(tokenize(filter), filter).parse();
  const kinds = new Set(comparisons(tree).map((compare) => (compare.op === 'eq' || compare.op === 'ne' ? 'regex' : 'aip160')));
  if (kinds.size > 1) throw refused(filter, 'Regular-expression and AIP-160 comparisons cannot be mixed in one filter.');
  for (const compare of comparisons(tree)) {
    if (compare.op !== 'eq' && compare.op !== 'ne') continue;
    try {
      new RegExp(compare.value);
    } catch {
      throw refused(filter, `'${compare.value}' is not a valid regular expression.`);
    }
  }
  return (resource) => evaluate(tree, resource);
}
