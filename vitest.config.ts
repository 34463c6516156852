import { defineConfig } from 'vitest/config';

// 'pixgrad-source' resolves workspace packages to their TypeScript sources, so tests need no build step.
export default defineConfig({
  resolve: { conditions: ['pixgrad-source', 'import', 'default'] },
  ssr: { resolve: { conditions: ['pixgrad-source', 'node', 'import', 'default'], externalConditions: ['pixgrad-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // a time limit for every fast-check assertion (synchronous properties ignore testTimeout)
    setupFiles: ['test/helpers/fast-check-limits.ts'],
  },
});
