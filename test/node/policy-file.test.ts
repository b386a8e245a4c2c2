/**
 * MAAS_MCP_POLICY on Node: a broken policy stops maas-mcp with one line naming the rule and the field; the file is
 * watched, a good edit takes effect, a broken edit is logged and the last good policy stays in force.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/base/log.ts';
import { openPolicyFile, type PolicyFile } from '../../src/node/policy-file.ts';
import { main } from '../../src/node.ts';
import { call, MODERN, testConfig } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const dirs: string[] = [];
const files: PolicyFile[] = [];
afterEach(() => {
  for (const f of files.splice(0)) f.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function policyPath(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'maas-mcp-policy-'));
  dirs.push(dir);
  const path = join(dir, 'policy.yaml');
  writeFileSync(path, text);
  return path;
}

const GOOD = 'rules:\n  - id: first\n    effect: allow\n';
const BETTER = 'rules:\n  - id: first\n    effect: allow\n  - id: second\n    effect: confirm\n';
const BROKEN = 'rules:\n  - id: first\n    effect: allow\n  - id: oops\n    effect: deny\n';

async function exitOf(env: Record<string, string>) {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const code = await main(['stdio', '--demo'], env);
    return { code, lines: errors.mock.calls.map((c) => String(c[0])) };
  } finally {
    errors.mockRestore();
  }
}

function logged() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    log: createLogger((l) => lines.push(JSON.parse(l) as Record<string, unknown>), { level: 'info' }),
  };
}

describe('the policy file', () => {
  it('stops maas-mcp at start when it is broken, naming the rule and the field in one line', async () => {
    const path = policyPath(BROKEN);
    const out = await exitOf({ MAAS_MCP_POLICY: path });
    expect(out.code).toBe(2);
    expect(out.lines).toEqual([
      `maas-mcp: MAAS_MCP_POLICY: ${path}: rule 2 (oops): reason is required for effect deny (the caller is told it)`,
    ]);
  });

  it('stops maas-mcp when the file cannot be read, or an approve rule has no Slack to ask in', async () => {
    const missing = await exitOf({ MAAS_MCP_POLICY: '/nonexistent/policy.yaml' });
    expect(missing.code).toBe(2);
    expect(missing.lines).toEqual([
      'maas-mcp: MAAS_MCP_POLICY: /nonexistent/policy.yaml: cannot read it (ENOENT)',
    ]);
    const path = policyPath('rules:\n  - id: two\n    effect: approve\n    approvers: 2\n');
    const noSlack = await exitOf({ MAAS_MCP_POLICY: path });
    expect(noSlack.lines).toEqual([
      `maas-mcp: MAAS_MCP_POLICY: ${path}: rule 1 (two): effect approve asks people in Slack; set SLACK_BOT_TOKEN and SLACK_NOTIFY_CHANNEL`,
    ]);
  });

  it('takes a good edit, and keeps the last good policy (saying why) after a broken one', () => {
    const path = policyPath(GOOD);
    const { lines, log } = logged();
    const file = openPolicyFile(testConfig({ MAAS_MCP_POLICY: path }), log, { watch: false });
    if (!file) throw new Error('no policy');
    files.push(file);
    expect(file.current()?.rules.map((r) => r.id)).toEqual(['first']);
    writeFileSync(path, BETTER);
    expect(file.reload()).toBe(true);
    expect(file.current()?.rules.map((r) => r.id)).toEqual(['first', 'second']);
    writeFileSync(path, BROKEN);
    expect(file.reload()).toBe(false);
    expect(file.current()?.rules.map((r) => r.id)).toEqual(['first', 'second']);
    expect(lines.at(-1)).toMatchObject({
      level: 'error',
      msg: 'policy file not reloaded: the last good policy stays in force',
      error: `MAAS_MCP_POLICY: ${path}: rule 2 (oops): reason is required for effect deny (the caller is told it)`,
    });
  });

  it('reloads by itself when the file changes', async () => {
    const path = policyPath(GOOD);
    const { log } = logged();
    const file = openPolicyFile(testConfig({ MAAS_MCP_POLICY: path }), log);
    if (!file) throw new Error('no policy');
    files.push(file);
    writeFileSync(path, BETTER);
    for (let i = 0; i < 100 && file.current()?.rules.length !== 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(file.current()?.rules.map((r) => r.id)).toEqual(['first', 'second']);
  });

  it('is no policy at all when MAAS_MCP_POLICY is not set', () => {
    expect(openPolicyFile(testConfig({}), logged().log)).toBeUndefined();
  });
});

describe.each([
  ['2025-11-25', undefined],
  ['2026-07-28', MODERN],
])('maas-mcp stdio with a policy file (a %s client)', (_era, options) => {
  it('applies it: the tool a rule always denies is not listed, and a call on a denied machine is refused', async () => {
    const path = policyPath(`
rules:
  - id: no-deletes
    match: { tools: [machine_delete] }
    effect: deny
    reason: people delete machines
  - id: production-stays-on
    match: { pools: [production], actions: [power-off] }
    effect: deny
    reason: production stays on
`);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/maas-mcp.js', 'stdio', '--demo'],
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', MAAS_MCP_POLICY: path, MAAS_MCP_CONFIRM: 'off' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'policy-file-test', version: '1' }, options);
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('machine_delete');
      expect(tools.map((t) => t.name)).toContain('machine_power_off');
      const res = await call(client, 'machine_power_off', { machines: 'db-01' });
      expect(res.isError).toBe(true);
      expect(res.text).toContain('db-01: production stays on (policy rule production-stays-on)');
    } finally {
      await client.close();
    }
  }, 30_000);
});
