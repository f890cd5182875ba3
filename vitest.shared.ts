// The vitest settings every package shares, so a change (a timeout, the pool) is made once. Each
// package's vitest.config.ts merges this with its own overrides via mergeConfig.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Model and trainer tests run real tfjs steps on 2 shared cores; the default 5 s is too short.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends hold process-global state (registered kernels, the wasm module); forks keep
    // each test file in its own process.
    pool: 'forks',
  },
});
