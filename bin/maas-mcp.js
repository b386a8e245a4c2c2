#!/usr/bin/env node
// The `maas-mcp` command. The TypeScript sources run directly through tsx's loader, so a checkout works
// right after `npm install` with no build step.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// `cloudflare:workers` exists only in workerd; the OAuth library imports it for a class it never needs on Node.
const workersStub = new URL('./cloudflare-workers.mjs', import.meta.url).href;
registerHooks(
  `data:text/javascript,${encodeURIComponent(`export async function resolve(specifier, context, next) {
    return specifier === 'cloudflare:workers' ? { url: ${JSON.stringify(workersStub)}, shortCircuit: true } : next(specifier, context);
  }`)}`,
);
try {
  const { main } = await import('../src/node.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(
    `maas-mcp: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}
