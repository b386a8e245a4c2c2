#!/usr/bin/env node
// The `maas-mcp` command. The TypeScript sources run directly through tsx's loader, so a checkout works
// right after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
try {
  const { main } = await import('../src/node.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(
    `maas-mcp: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
}
