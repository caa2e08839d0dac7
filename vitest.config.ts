import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Throwaway MariaDB + PostgreSQL servers for the whole run; see test/support/backends.ts.
    globalSetup: ['test/support/global_setup.ts'],
    reporters: ['default', './test/support/summary_line_reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
