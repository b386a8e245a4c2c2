/**
 * Deps, built once for every entry point: Node (src/node.ts), the Worker (src/worker.ts) and its Durable Object
 * (src/worker/object.ts). Each keeps only what is its own — how MAAS is reached, the store, where log lines go
 * and how the poller is woken — and gets the same MAAS client, secrets, notifier and Slack wiring. Runtime-neutral.
 */

import { systemClock } from './base/clock.ts';
import type { FetchLike } from './base/fetch.ts';
import type { Logger } from './base/log.ts';
import type { SecretSet } from './base/redact.ts';
import { vaultOf } from './base/vault.ts';
import { type Config, ConfigError } from './config.ts';
import type { Deps } from './core/deps.ts';
import { NotifierHub } from './core/operations/notify.ts';
import {
  JSON_FORMAT,
  type KnownNames,
  type Policy,
  PolicyError,
  type PolicyFormat,
  type PolicySource,
  parsePolicy,
} from './core/policy/rules.ts';
import type { AnyTool } from './core/tool.ts';
import {
  ACTIONS as WORKFLOW_ACTIONS,
  WORKFLOW_TOOL_NAMES,
  WORKFLOW_VERBS,
} from './core/workflows/actions.ts';
import { MaasClient } from './maas/client.ts';
import { MaasHttp } from './maas/http.ts';
import { createSlack, type Slack } from './slack.ts';
import type { Store } from './store/types.ts';
import { REQUEST_TOOLS } from './tools/registry.ts';
import { VERSION } from './version.ts';

/** Where the MAAS client sends requests, with which key. */
export interface MaasEndpoint {
  url: string;
  apiKey: string;
  fetch: FetchLike;
}

/**
 * The MAAS to use: the demo simulator's when there is one, else MAAS_URL with MAAS_API_KEY (reached with
 * `realFetch()`). Without either, throws the one "not set" error, ending with the runtime's `hint` on how to set
 * them.
 */
export function chooseMaas(
  config: Config,
  demo: MaasEndpoint | undefined,
  hint: string,
  realFetch: () => FetchLike,
): MaasEndpoint {
  if (demo) return demo;
  if (!config.maasUrl || !config.maasApiKey) {
    throw new ConfigError(`MAAS_URL and MAAS_API_KEY are not set: ${hint}`);
  }
  return { url: config.maasUrl, apiKey: config.maasApiKey, fetch: realFetch() };
}

export interface DepsParts {
  config: Config;
  /** The registry this runtime offers: ALL_TOOLS on Node, REQUEST_TOOLS (no workflows) on a Worker. */
  tools: readonly AnyTool[];
  maas: MaasEndpoint;
  store: Store;
  /**
   * The runtime's one set, from `secretsOf(config)` and shared with `log`: the MAAS key in use is added to it here
   * (the demo's is not a setting), so the logger scrubs it too.
   */
  secrets: SecretSet;
  log: Logger;
  kickPoller: () => void;
  /**
   * Whether completion notices (Slack's, and any other listener's) and Slack progress edits go out from here: true
   * where the poller runs.
   */
  slackNotices: boolean;
  /** The policy in force (README "Guardrails"): {@link textPolicy} on Workers, a watched file on Node. */
  policy?: PolicySource | undefined;
}

/** Deps over `parts`, with Slack (when configured) answering approvals and, if asked, posting notices. */
export function buildDeps(parts: DepsParts): { deps: Deps; slack: Slack | undefined } {
  const { config, maas, secrets, log } = parts;
  secrets.addApiKey(maas.apiKey);
  const client = new MaasHttp({
    url: maas.url,
    apiKey: maas.apiKey,
    fetch: maas.fetch,
    userAgent: `maas-mcp/${VERSION}`,
  });
  const deps: Deps = {
    maas: new MaasClient(client),
    store: parts.store,
    notify: new NotifierHub(log, parts.slackNotices),
    kickPoller: parts.kickPoller,
    clock: systemClock,
    log,
    config,
    tools: parts.tools,
    secrets,
    vault: vaultOf(maas.apiKey, 'clusters'),
    sealKey: maas.apiKey,
  };
  if (parts.policy) deps.policy = parts.policy;
  const slack = createSlack(deps);
  if (slack) {
    deps.requestApproval = slack.requestApproval;
    if (parts.slackNotices) {
      deps.notify.subscribe(slack.notices);
      deps.notify.subscribe(slack.home);
    }
  }
  return { deps, slack };
}

/**
 * The names a policy may use: every tool of the registry, and the actions (verbs, `erase`, workflow actions). The
 * same on every runtime: a Worker, which offers no workflows, still knows the workflow tools' names.
 */
export function policyNames(): KnownNames {
  const verbs = [...REQUEST_TOOLS.map((t) => t.verb), ...WORKFLOW_VERBS];
  return {
    tools: [...REQUEST_TOOLS.map((t) => t.name), ...WORKFLOW_TOOL_NAMES],
    actions: [...new Set([...verbs, 'erase', ...WORKFLOW_ACTIONS])],
  };
}

/**
 * Reads and checks a policy's text (README "Guardrails"), JSON unless `format` says (Node reads YAML); a problem
 * is a ConfigError with one line naming the rule and the field. An `approve` rule needs Slack approvals
 * (SLACK_BOT_TOKEN, SLACK_NOTIFY_CHANNEL).
 */
export function readPolicy(
  text: string,
  source: string,
  config: Pick<Config, 'slack'>,
  format: PolicyFormat = JSON_FORMAT,
): Policy {
  let policy: Policy;
  try {
    policy = parsePolicy(text, source, policyNames(), format);
  } catch (err) {
    if (err instanceof PolicyError) throw new ConfigError(`MAAS_MCP_POLICY: ${err.message}`);
    throw err;
  }
  const approve = policy.rules.find((r) => r.effect === 'approve');
  if (approve && !(config.slack.botToken && config.slack.notifyChannel)) {
    throw new ConfigError(
      `MAAS_MCP_POLICY: ${source}: rule ${approve.index} (${approve.id}): effect approve asks people in Slack; set SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL`,
    );
  }
  return policy;
}

let lastText: { text: string; policy: Policy } | undefined;

/**
 * The policy of a Worker: MAAS_MCP_POLICY holds its text, in JSON (a YAML parser does not fit the Worker's bundle
 * budget). Read once per isolate while the text is
 * the same; a broken text is a ConfigError on every request, as any bad setting is.
 */
export function textPolicy(config: Config): PolicySource | undefined {
  const text = config.policy;
  if (text === undefined) return undefined;
  if (lastText?.text !== text) lastText = { text, policy: readPolicy(text, 'its text', config) };
  const { policy } = lastText;
  return { current: () => policy };
}
