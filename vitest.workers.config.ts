/**
 * The workerd project: tests under test/worker/ run inside the Workers runtime (Miniflare), against the real
 * Worker entry (src/worker.ts) and its Durable Object, configured by wrangler.toml plus the bindings below.
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

// Offline, like every wrangler run in this project: no telemetry, no download of the `cf` request metadata.
process.env.WRANGLER_SEND_METRICS ??= 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: './src/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          // The simulator in the Durable Object, 500× faster than a real MAAS: a deploy takes about a second.
          MAAS_MCP_DEMO: 'true',
          MAAS_MCP_DEMO_TIME_SCALE: '0.002',
          // Slack, answered by a fetch double in test/worker/slack.test.ts (the Durable Object posts notices).
          SLACK_SIGNING_SECRET: 'workerd-test-signing-secret-0123',
          SLACK_BOT_TOKEN: 'xoxb-workerd-test-bot-token-0123',
          SLACK_API_URL: 'https://slack.test/api/',
          SLACK_ROLES: 'UOPS:operator,*:viewer',
        },
      },
    }),
  ],
  test: {
    name: 'workerd',
    include: ['test/worker/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
