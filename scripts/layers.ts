/**
 * The layers of the code and the rules between them (README "Development"). Layers point down only: entries →
 * wiring → adapters → tools → core → maas, store → the ground floor, which imports nothing of ours; the simulator is
 * an island, reached only through its entry (src/sim/index.ts). `npm test` checks the rules with dependency-cruiser (test/layers.test.ts), `npm run deps` prints what
 * breaks them, and `npm run docs` writes the README's map from the same table.
 */
import { cruise, type IForbiddenRuleType, type IViolation } from 'dependency-cruiser';

export interface Layer {
  name: string;
  /** Path patterns (regular expressions over repository paths). */
  paths: string[];
  /** What lives there, for the README's map. */
  what: string;
}

/** Top to bottom: a layer may import the layers below it, and its own. */
export const LAYERS: readonly Layer[] = [
  {
    name: 'entries',
    paths: ['^src/node\\.ts$', '^src/node/', '^src/worker\\.ts$', '^src/worker/', '^bundle/', '^bin/'],
    what: 'start the program: the Node CLI and its Node-only parts (SQLite, undici, Bolt Socket Mode); the Workers entry and its Durable Object; the Claude Desktop bundle',
  },
  {
    name: 'wiring',
    paths: ['^src/wiring\\.ts$'],
    what: 'chooses MAAS or the simulator and builds Deps, the same for Node, the Worker and the Durable Object',
  },
  {
    name: 'adapters',
    paths: [
      '^src/mcp/',
      '^src/slack/',
      '^src/slack\\.ts$',
      '^src/page/',
      '^src/http/',
      '^src/server\\.ts$',
      '^src/auth/',
    ],
    what: 'MCP (the only code that imports the MCP SDK), Slack (pure: parse, Block Kit, confirmations, approvals, notices, App Home), the status page (sections, events, its routes), HTTP (createApp: /mcp, /healthz, the page, the Slack routes; who is calling) and sign-in (auth: the OAuth resource server, the built-in authorization server, and browser sign-in for the status page)',
  },
  {
    name: 'tools',
    paths: ['^src/tools/'],
    what: 'the registry: one file per resource group, index.ts lists them, docs.ts writes the README table',
  },
  {
    name: 'core',
    paths: ['^src/core/', '^src/config\\.ts$', '^src/config/'],
    what: 'the tool contract and the one path every adapter calls (tool.ts, invoke.ts), access, the confirmation gate, audit, policy, machine actions, targets, operations and the poller; settings (config.ts, config/)',
  },
  {
    name: 'maas, store',
    paths: ['^src/maas/', '^src/store/'],
    what: 'the MAAS client (transport: OAuth, retries, typed errors; typed endpoints, schemas, streaming lists) and the Store (interface, memory, one SQL store over SQLite or a Durable Object)',
  },
  {
    name: 'ground floor',
    paths: ['^src/base/', '^src/version\\.ts$'],
    what: 'clock, ids, redaction, logging, small utilities: imports nothing of ours',
  },
];

/** The simulator: imports nothing of ours; only tests, the wiring and the entries import it, through its entry. */
export const SIM = '^src/sim/';

/** The simulator's public entry: all that the rest of the repository may import from it. */
export const SIM_ENTRY = '^src/sim/index\\.ts$';
const SIM_AND_ITS_TESTS = '^(src|test)/sim/';

const any = (patterns: readonly string[]) => patterns.join('|');
const OURS = '^(src|bundle|bin)/';
/** Every folder of ours that imports code, tests and benchmarks included. */
const ANYWHERE = '^(src|bundle|bin|test|bench|scripts)/';
const NODE_ONLY =
  '(^|/)node_modules/(better-sqlite3|undici|@slack/bolt|@hono/node-server|log-update)/|^(better-sqlite3|undici|@slack/bolt|@hono/node-server|log-update)$';
const WORKERS_ONLY = '^cloudflare:|(^|/)node_modules/@cloudflare/';
/** Cloudflare's OAuth provider: runtime-neutral but for one import that Node resolves to a stand-in (bin/). */
const OAUTH_PROVIDER =
  '(^|/)node_modules/@cloudflare/workers-oauth-provider/|^@cloudflare/workers-oauth-provider$';
const MCP_SDK =
  '(^|/)node_modules/@modelcontextprotocol/(sdk|server|client|core|ext-tasks)/|^@modelcontextprotocol/(sdk|server|client|core|ext-tasks)';

/** The rules, as dependency-cruiser reads them. */
export function layerRules(): IForbiddenRuleType[] {
  const rules: IForbiddenRuleType[] = [
    {
      name: 'no-cycles',
      comment: 'Modules never import each other in a circle (type-only imports included).',
      severity: 'error',
      from: { path: OURS },
      to: { circular: true },
    },
  ];
  LAYERS.forEach((layer, i) => {
    const above = LAYERS.slice(0, i).flatMap((l) => l.paths);
    if (above.length === 0) return;
    rules.push({
      name: `${layer.name.replace(/\W+/g, '-')}-import-only-down`,
      comment: `${layer.name} may not import ${LAYERS.slice(0, i)
        .map((l) => l.name)
        .join(', ')}.`,
      severity: 'error',
      from: { path: any(layer.paths) },
      to: { path: any(above) },
    });
  });
  const ground = LAYERS.at(-1) as Layer;
  rules.push(
    {
      name: 'ground-floor-imports-nothing-of-ours',
      comment: 'The ground floor is self-contained.',
      severity: 'error',
      from: { path: any(ground.paths) },
      to: { path: OURS, pathNot: any(ground.paths) },
    },
    {
      name: 'maas-and-store-apart',
      comment: 'The MAAS client does not know the Store.',
      severity: 'error',
      from: { path: '^src/maas/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'store-and-maas-apart',
      comment: 'The Store does not know the MAAS client.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/maas/' },
    },
    {
      name: 'mcp-and-slack-apart',
      comment: 'The MCP adapter does not know the Slack adapter (src/server.ts composes them).',
      severity: 'error',
      from: { path: '^src/mcp/' },
      to: { path: '^src/slack(/|\\.ts$)' },
    },
    {
      name: 'page-apart-from-slack-and-mcp',
      comment:
        'The status page knows neither the Slack nor the MCP adapter: what it shares with them (approvals, operations) is in core.',
      severity: 'error',
      from: { path: '^src/page/' },
      to: { path: '^src/(slack|mcp)(/|\\.ts$)' },
    },
    {
      name: 'slack-and-mcp-apart',
      comment: 'The Slack adapter does not know the MCP adapter (src/server.ts composes them).',
      severity: 'error',
      from: { path: '^src/slack(/|\\.ts$)' },
      to: { path: '^src/mcp/' },
    },
    {
      name: 'mcp-sdk-only-in-the-mcp-adapter',
      comment: 'Every import of the MCP SDK lives in src/mcp/, so that moving to another SDK is local.',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/mcp/' },
      to: { path: MCP_SDK },
    },
    {
      name: 'node-only-under-src-node',
      comment:
        'node:* modules, better-sqlite3, undici, Bolt, @hono/node-server and log-update only under src/node* (and bundle/).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/node(\\.ts$|/)' },
      to: { path: NODE_ONLY },
    },
    {
      name: 'node-builtins-under-src-node',
      comment: 'node:* modules only under src/node* (and bundle/).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/node(\\.ts$|/)' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'workers-only-under-src-worker',
      comment:
        'cloudflare:* and @cloudflare/* only under src/worker*; but the OAuth provider library, which runs on Node too, in src/auth/.',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/worker(\\.ts$|/)' },
      to: { path: WORKERS_ONLY, pathNot: OAUTH_PROVIDER },
    },
    {
      name: 'oauth-provider-only-in-auth',
      comment: 'The OAuth provider library only in src/auth/ (the built-in authorization server).',
      severity: 'error',
      from: { path: OURS, pathNot: '^src/auth/' },
      to: { path: OAUTH_PROVIDER },
    },
    {
      name: 'only-entries-and-wiring-import-the-simulator',
      comment: 'The product runs on the simulator only where an entry point or the wiring chooses it.',
      severity: 'error',
      from: { path: OURS, pathNot: any([SIM, ...(LAYERS[0] as Layer).paths, ...(LAYERS[1] as Layer).paths]) },
      to: { path: SIM },
    },
    {
      name: 'the-simulator-only-through-its-entry',
      comment:
        'Outside src/sim/ and test/sim/, code, tests and benchmarks import only src/sim/index.ts (the factory, its options, `sim.control` and their types): the state, timer engine and fault switches stay inside.',
      severity: 'error',
      from: { path: ANYWHERE, pathNot: SIM_AND_ITS_TESTS },
      to: { path: SIM, pathNot: SIM_ENTRY },
    },
    {
      name: 'simulator-imports-nothing-of-ours',
      comment: 'The simulator is written from the MAAS API alone and can be published on its own.',
      severity: 'error',
      from: { path: SIM },
      to: { path: OURS, pathNot: SIM },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'Every import resolves (cloudflare:* is provided by workerd).',
      severity: 'error',
      from: { path: OURS },
      to: { couldNotResolve: true, pathNot: '^cloudflare:' },
    },
  );
  return rules;
}

export const LAYOUT_START =
  '<!-- layout:start (generated by `npm run docs` from scripts/layers.ts; do not edit) -->';
export const LAYOUT_END = '<!-- layout:end -->';

/** A path pattern as a person reads it: `^src/node\\.ts$` → `src/node.ts`. */
function plainPath(pattern: string): string {
  return pattern.replace(/^\^/, '').replace(/\$$/, '').replace(/\\\./g, '.');
}

/** The README's map of the code: the layers top to bottom, the simulator, and the rules between them. */
export function layoutTable(): string {
  const rows = LAYERS.map(
    (l) => `| ${l.name} | ${l.paths.map((p) => `\`${plainPath(p)}\``).join(', ')} | ${l.what} |`,
  );
  const sim = `| simulator (apart) | \`${plainPath(SIM)}\` | the MAAS simulator, runtime-neutral; only tests, the wiring and the entries use it, through \`${plainPath(SIM_ENTRY)}\` |`;
  const rules = layerRules()
    .filter((r) => !(r.name ?? '').endsWith('-import-only-down'))
    .map((r) => `- \`${r.name}\`: ${r.comment ?? ''}`);
  return [
    '| layer (top to bottom) | where | what |',
    '|---|---|---|',
    ...rows,
    sim,
    '',
    'A layer imports only the layers below it (`<layer>-import-only-down`), and:',
    '',
    ...rules,
  ].join('\n');
}

/** The rules' violations in the code under `baseDir` (the repository by default: code, tests, benchmarks), errors and warnings. */
export async function checkLayers(
  baseDir = process.cwd(),
  roots: readonly string[] = ['src', 'bundle', 'bin', 'test', 'bench', 'scripts'],
): Promise<IViolation[]> {
  const result = await cruise(
    [...roots],
    {
      baseDir,
      validate: true,
      ruleSet: { forbidden: layerRules() },
      doNotFollow: { path: 'node_modules' },
      // Type-only imports count: a cycle of types is still a cycle to read.
      tsPreCompilationDeps: true,
    },
    { conditionNames: ['import', 'require', 'node', 'default', 'types'], exportsFields: ['exports'] },
  );
  if (typeof result.output === 'string') throw new Error('dependency-cruiser answered text, not a result');
  return result.output.summary.violations;
}

/** One line per violation: the rule, the importer and what it imported. */
export function describeViolation(v: IViolation): string {
  const via = v.cycle?.length ? ` (cycle: ${v.cycle.map((c) => c.name).join(' → ')})` : '';
  return `${v.rule.severity} ${v.rule.name}: ${v.from} → ${v.to}${via}`;
}

// `npm run deps`: print every violation; exit 1 on an error.
if (import.meta.url === `file://${process.argv[1]}`) {
  const violations = await checkLayers();
  for (const v of violations) console.log(describeViolation(v));
  const errors = violations.filter((v) => v.rule.severity === 'error').length;
  console.log(`${errors} errors, ${violations.length - errors} warnings`);
  process.exitCode = errors > 0 ? 1 : 0;
}
