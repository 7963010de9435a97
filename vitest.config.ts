import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Interop tests spawn openssl/gnutls/softhsm and start the service; 2 cores.
    maxWorkers: 2,
    pool: 'forks',
  },
});
