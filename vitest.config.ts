import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // vitest's default is one worker fewer than the cores: one worker on a
    // 2-core machine. Many of our files spend their time waiting on child
    // processes (qemu, the CLI, servers), so one per core keeps both busy.
    maxWorkers: Math.max(2, availableParallelism()),
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
