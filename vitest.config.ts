import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-peers.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three files at once on two cores: with two, the cores sat a third idle while files waited on
    // Temporal's timers and timeouts. Files share one Temporal server; each test stack works in a
    // namespace of its own there (test/support/stack.ts), so their entity names never meet.
    maxWorkers: 3,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
