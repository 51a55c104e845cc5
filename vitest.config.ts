import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-peers.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three files at once on two cores: a third of the time two files wait on Temporal's timers and
    // timeouts, not the CPU. The test files share one Temporal server, so entity names must not
    // overlap across files (controller-kinds.test.ts says how one did).
    maxWorkers: 3,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
