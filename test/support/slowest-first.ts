/**
 * Starts the slowest test files first, by the durations of an earlier run kept in
 * test/support/file-durations.json, so that no long file starts last and runs alone while the
 * other workers sit idle. Vitest orders by its own results cache, which a fresh clone (CI) lacks;
 * without it, it falls back to file size, which put the longest file (a 190 s fuzz run of a
 * 5 KB file) at the end. A file the record does not know yet goes first, as Vitest does.
 * Refresh the record with `SLIPWAY_RECORD_TEST_DURATIONS=1 npm test` (test/support/summary-reporter.ts).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const FILE_DURATIONS_PATH = new URL('./file-durations.json', import.meta.url);

/** Seconds each test file took, keyed by its path from the repository's root. */
export type FileDurations = Record<string, number>;

export function readFileDurations(): FileDurations {
  try {
    return JSON.parse(readFileSync(FILE_DURATIONS_PATH, 'utf8')) as FileDurations;
  } catch {
    return {};
  }
}

export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const durations = readFileDurations();
    const root = this.ctx.config.root;
    const secondsOf = (file: TestSpecification) => durations[relative(root, file.moduleId)] ?? Number.POSITIVE_INFINITY;
    // Compared, not subtracted: two unknown files would make Infinity - Infinity, which is NaN.
    return [...files].sort((a, b) => {
      const [slower, faster] = [secondsOf(a), secondsOf(b)];
      return slower === faster ? 0 : slower > faster ? -1 : 1;
    });
  }
}
