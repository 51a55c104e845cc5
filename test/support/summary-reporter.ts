/**
 * Prints the plain closing line CI reads ("N passed, N failed, N skipped") after the
 * default reporter, so a run that executed no test can never pass for one that did.
 * With SLIPWAY_RECORD_TEST_DURATIONS set, a run with no failure also records how long each
 * file took, for the order test/support/slowest-first.ts starts them in.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { FILE_DURATIONS_PATH, readFileDurations } from './slowest-first';

export default class SummaryReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed += 1;
    }
    process.stdout.write(`\nslipway: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (process.env.SLIPWAY_RECORD_TEST_DURATIONS && failed === 0) this.recordDurations(testModules);
  }

  /** Merges this run's file durations (import and tests, in seconds) into the record. */
  private recordDurations(testModules: ReadonlyArray<TestModule>): void {
    const durations = readFileDurations();
    for (const module of testModules) {
      const { collectDuration, duration } = module.diagnostic();
      durations[relative(this.root, module.moduleId)] = Math.round((collectDuration + duration) / 100) / 10;
    }
    const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(FILE_DURATIONS_PATH, `${JSON.stringify(sorted, null, 2)}\n`);
  }
}
