/**
 * The hosted-cluster planners run inside the Temporal workflow sandbox: no Node built-ins, no
 * packages, no clock and no chance. Each file imports only its neighbours and types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = resolve(import.meta.dirname, '../../../workflows/planners/hosted');
const IMPORT = /(?:^|\n)\s*(import|export)(\s+type)?\s[^'"]*?from\s*['"]([^'"]+)['"]/g;

describe('hosted planners sandbox safety', () => {
  const files = readdirSync(DIR).filter((name) => name.endsWith('.ts'));

  it.each(files)('%s imports only its neighbours (and types) and reads no clock or chance', (name) => {
    const source = readFileSync(resolve(DIR, name), 'utf8');
    const values = [...source.matchAll(IMPORT)].filter((match) => match[2] === undefined).map((match) => match[3] ?? '');
    expect(values.filter((specifier) => !specifier.startsWith('./'))).toEqual([]);
    expect(source).not.toMatch(/Date\.now|new Date\(\)|Math\.random|process\.|require\(/);
  });
});
