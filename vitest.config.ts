import { defineConfig } from 'vitest/config';
import { forSteps } from './test/helpers/work-limits.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Time limits follow the work (test/helpers/work-limits.ts): a test may
    // run one sandboxed step, whose own limit the code enforces; a test or a
    // set-up hook that runs more says how many (forSteps, verifySteps).
    testTimeout: forSteps(1),
    hookTimeout: forSteps(1),
    reporters: ['default', './test/summary-reporter.ts'],
    pool: 'forks',
  },
});
