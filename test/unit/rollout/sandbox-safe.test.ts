/**
 * The rollout planner runs inside the Temporal workflow sandbox: no Node built-ins, no
 * packages, no clock and no chance. Every file in workflows/planners/rollout may import only
 * its neighbours, and the shared pure hash one level up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = resolve(import.meta.dirname, '../../../workflows/planners/rollout');
const SHARED_PURE = new Set(['../hash']);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('rollout planner sandbox safety', () => {
  const files = readdirSync(DIR).filter((name) => name.endsWith('.ts'));

  it.each(files)('%s imports only its neighbours and reads no clock or chance', (name) => {
    const source = readFileSync(resolve(DIR, name), 'utf8');
    const specifiers = [...source.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? '');
    expect(specifiers.filter((specifier) => !specifier.startsWith('./') && !SHARED_PURE.has(specifier))).toEqual([]);
    expect(source).not.toMatch(/Date\.now|new Date\(\)|Math\.random|process\.|require\(/);
  });
});
