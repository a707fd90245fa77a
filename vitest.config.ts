import { defineConfig } from 'vitest/config';
import SkipSummaryReporter from './test/reporters/skip-summary.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'codemods/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // The default output, then how many tests were skipped and why (a skip always says why).
    reporters: ['default', new SkipSummaryReporter()],
  },
});
