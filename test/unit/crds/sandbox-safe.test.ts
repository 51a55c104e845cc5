/**
 * crds/validate.ts and crds/upstream run inside the Temporal workflow sandbox (Update
 * validators call them). The sandbox has no Node built-ins and must stay deterministic,
 * so their whole import graph may use only our own pure modules and TypeBox's
 * interpreting value functions: never node:*, never Ajv or TypeBox's compiler (code
 * generation), never process/require.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRY_POINTS = ['crds/validate.ts', 'crds/upstream/index.ts'];
const ALLOWED_PACKAGES = new Set(['@sinclair/typebox', '@sinclair/typebox/value', '@sinclair/typebox/errors']);
const TYPEBOX_ENTRIES: Record<string, string> = {
  '@sinclair/typebox': 'node_modules/@sinclair/typebox/build/esm/index.mjs',
  '@sinclair/typebox/value': 'node_modules/@sinclair/typebox/build/esm/value/index.mjs',
  '@sinclair/typebox/errors': 'node_modules/@sinclair/typebox/build/esm/errors/index.mjs',
};
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function specifiers(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? match[3] ?? '').filter(Boolean);
}

function resolveLocal(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.mjs`, join(base, 'index.ts'), join(base, 'index.mjs')]) {
    if (existsSync(candidate) && !candidate.endsWith('/')) {
      try {
        readFileSync(candidate);
        return candidate;
      } catch {
        // a directory; keep looking
      }
    }
  }
  throw new Error(`cannot resolve ${specifier} from ${relative(ROOT, from)}`);
}

/** Every file reachable from the entry points, and the bare packages they import. */
function importGraph(entries: string[]): { files: string[]; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const pending = entries.map((entry) => join(ROOT, entry));
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) pending.push(resolveLocal(file, specifier));
      else if (file.includes('/node_modules/')) packages.set(specifier, relative(ROOT, file));
      else {
        packages.set(specifier, relative(ROOT, file));
        const entry = TYPEBOX_ENTRIES[specifier];
        if (entry) pending.push(join(ROOT, entry));
      }
    }
  }
  return { files: [...files], packages };
}

describe('the validation and conversion modules are safe in the workflow sandbox', () => {
  const graph = importGraph(ENTRY_POINTS);

  it('import no Node built-ins and no package beyond TypeBox', () => {
    for (const [specifier, importer] of graph.packages) {
      expect(specifier.startsWith('node:'), `${importer} imports ${specifier}`).toBe(false);
      expect(ALLOWED_PACKAGES.has(specifier), `${importer} imports ${specifier}, which is not known to be sandbox-safe`).toBe(true);
    }
  });

  it('reach no code generation and no process-level globals', () => {
    const own = graph.files.filter((file) => !file.includes('/node_modules/'));
    expect(own.map((file) => relative(ROOT, file))).toEqual(expect.arrayContaining(['crds/validate.ts', 'crds/upstream/index.ts', 'crds/schemas/index.ts']));
    expect(graph.files.some((file) => file.includes('/typebox/build/esm/value/'))).toBe(true);
    for (const file of graph.files) {
      const source = readFileSync(file, 'utf8');
      const name = relative(ROOT, file);
      expect(name.includes('/compiler/'), `${name} is TypeBox's compiler, which generates code`).toBe(false);
      expect(source, `${name} uses new Function`).not.toMatch(/new Function\s*\(/);
      expect(source, `${name} uses eval`).not.toMatch(/(^|[^.\w])eval\s*\(/);
      if (!file.includes('/node_modules/')) {
        expect(source, `${name} uses process`).not.toMatch(/\bprocess\./);
        expect(source, `${name} uses require`).not.toMatch(/\brequire\(/);
        expect(source, `${name} reads the clock or randomness`).not.toMatch(/Date\.now\(|Math\.random\(|new Date\(\)/);
      }
    }
  });

  it('keep the Node-only modules out of the graph', () => {
    const names = graph.files.map((file) => relative(ROOT, file));
    expect(names).not.toContain('crds/manifests.ts');
    expect(names).not.toContain('crds/generate.ts');
    expect(names).not.toContain('crds/openapi.ts');
  });
});
