import { defineConfig } from 'vitest/config';

// Three tiers (see README): pure domain, workflows on the time-skipping server,
// integration against a real Temporal dev server, PostgreSQL and HTTP.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'test/domain/**/*.test.ts',
            'test/deploy/**/*.test.ts',
            'test/setup/**/*.test.ts',
            'test/scripts/**/*.test.ts',
            'test/security/**/*.test.ts',
          ],
          // Security tests that need the servers run with the integration tier.
          exclude: ['test/security/**/*.http.test.ts'],
        },
      },
      {
        test: {
          name: 'workflows',
          include: ['test/workflows/**/*.test.ts'],
          globalSetup: ['test/helpers/bundle-once.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts', 'test/helpers/shared-bundle.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.http.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/bundle-once.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts', 'test/helpers/shared-bundle.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      // The production topology (npm run start:cluster): PostgreSQL, Temporal as five processes, two
      // workers and two APIs, one fault at a time, archival, and start:cluster itself. About 1½ minutes on 2 cores.
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      // Fault tests: each file starts, kills and restarts servers and processes of its own.
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          setupFiles: ['test/helpers/quiet-runtime.ts'],
          testTimeout: 300_000,
          hookTimeout: 480_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
