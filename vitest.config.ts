import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // test/worker/ runs inside workerd (vitest.workers.config.ts).
          exclude: [...configDefaults.exclude, 'test/worker/**'],
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 20_000,
          pool: 'forks',
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
