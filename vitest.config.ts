import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Interop tests spawn openssl/gnutls/softhsm and start the service; 2 cores. The browser test
    // (test/e2e) runs alone after the rest (`npm test`): a fake camera under CPU contention drops frames.
    maxWorkers: 2,
    pool: 'forks',
    globalSetup: ['test/support/globalSetup.ts'],
  },
});
