/**
 * The policy file on Node (MAAS_MCP_POLICY, README "Guardrails"): read and checked at start — a broken file stops
 * maas-mcp with one line — then watched. An edit that checks out replaces the policy at once; a broken edit is
 * logged with the reason and the last good policy stays in force (a typo must never drop every guardrail).
 */
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../base/log.ts';
import { type Config, ConfigError } from '../config.ts';
import type { Policy, PolicySource } from '../core/policy/rules.ts';
import { YAML_FORMAT } from '../core/policy/yaml.ts';
import { readPolicy } from '../wiring.ts';

export interface PolicyFile extends PolicySource {
  /** Reads the file again now (what the watcher does after a change); answers whether the new policy is in force. */
  reload(): boolean;
  close(): void;
}

/** How long to wait after a change before reading: editors write a file in several steps. */
const SETTLE_MS = 150;

/** Opens MAAS_MCP_POLICY, or answers undefined when it is not set. Throws a ConfigError for a broken file. */
export function openPolicyFile(
  config: Config,
  log: Logger,
  opts: { watch?: boolean } = {},
): PolicyFile | undefined {
  if (config.policy === undefined) return undefined;
  const path = resolve(config.policy);
  const read = (): Policy => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `MAAS_MCP_POLICY: ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    return readPolicy(text, path, config, YAML_FORMAT);
  };
  let policy = read();
  log.info('policy loaded', { file: path, rules: policy.rules.length });
  const reload = (): boolean => {
    try {
      policy = read();
      log.info('policy reloaded', { file: path, rules: policy.rules.length });
      return true;
    } catch (err) {
      log.error('policy file not reloaded: the last good policy stays in force', {
        file: path,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  };
  let watcher: FSWatcher | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (opts.watch !== false) {
    // The directory, not the file: an editor that saves by renaming a new file over it would end a file watch.
    const name = basename(path);
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(timer);
        timer = setTimeout(reload, SETTLE_MS);
      });
      watcher.on('error', (err) => log.warn('policy file no longer watched', { file: path, error: err }));
    } catch (err) {
      log.warn('policy file not watched: restart maas-mcp after editing it', { file: path, error: err });
    }
  }
  return {
    current: () => policy,
    reload,
    close: () => {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
