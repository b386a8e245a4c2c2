import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A passing run is quiet: what a test logs (the Worker's JSON log lines, a measurement) is printed only when
    // that test fails, next to its error.
    silent: 'passed-only',
    projects: [
      {
        resolve: {
          alias: { 'cloudflare:workers': new URL('./bin/cloudflare-workers.mjs', import.meta.url).pathname },
        },
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // test/worker/ runs inside workerd (vitest.workers.config.ts).
          exclude: [...configDefaults.exclude, 'test/worker/**'],
          environment: 'node',
          // The OAuth library imports `cloudflare:workers` (workerd's): Vite loads it, with our Node stand-in.
          server: { deps: { inline: ['@cloudflare/workers-oauth-provider'] } },
          testTimeout: 20_000,
          hookTimeout: 20_000,
          pool: 'forks',
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
