import { defineConfig } from 'vitest/config';

// End-to-end: a real browser (Debian's chromium through playwright-core) against the local network
// and the built app. scripts/app-test starts both; see e2e/app.e2e.ts for the environment it reads.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
