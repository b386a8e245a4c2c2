/**
 * The Claude Desktop bundle's entry point: the `maas-mcp` CLI, as bin/maas-mcp.js runs it (the manifest runs
 * `node server/index.js stdio`), after bundle/env.ts has settled the environment.
 */
import { main } from '../src/node.ts';
import { bundleEnv } from './env.ts';

const argv = process.argv.slice(2);
const problem = bundleEnv(argv, process.env);
if (problem) {
  process.stderr.write(`maas-mcp: ${problem}\n`);
  process.exitCode = 2;
} else {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `maas-mcp: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
