import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TOOLSETS } from '../../src/config.ts';
import { WORKFLOW_TOOL_NAMES, WORKFLOW_VERBS } from '../../src/core/workflows/actions.ts';
import { ALL_TOOLS, enabledTools } from '../../src/tools/index.ts';
import { REQUEST_TOOLS } from '../../src/tools/registry.ts';
import { workflowTools } from '../../src/tools/workflows.ts';
import { VERSION } from '../../src/version.ts';
import { policyNames } from '../../src/wiring.ts';
import { ADMIN, connectClient, makeDeps, testConfig, UNREACHABLE_MAAS, VIEWER } from '../helpers.ts';

describe('the tool registry', () => {
  it('gives every tool explicit annotations, and none is both read-only and destructive', () => {
    for (const t of ALL_TOOLS) {
      for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof t.annotations[k], `${t.name}.${k}`).toBe('boolean');
      }
      expect(t.annotations.readOnlyHint && t.annotations.destructiveHint, t.name).toBe(false);
    }
  });

  it('describes every input field in the JSON Schema clients see', () => {
    for (const t of ALL_TOOLS) {
      const schema = z.toJSONSchema(t.input, { io: 'input' }) as {
        properties?: Record<string, { description?: string }>;
      };
      for (const [field, prop] of Object.entries(schema.properties ?? {})) {
        expect(prop.description, `${t.name}.${field}`).toBeTruthy();
      }
      expect(t.description.length, t.name).toBeGreaterThan(30);
    }
  });

  it('names tools in snake_case, once each, with unique Slack verbs', () => {
    const names = ALL_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]+(_[a-z]+)*$/);
    const verbs = ALL_TOOLS.flatMap((t) => (t.slack ? [t.verb] : []));
    expect(new Set(verbs).size).toBe(verbs.length);
  });

  it('puts every tool in a known toolset', () => {
    for (const t of ALL_TOOLS) expect(TOOLSETS).toContain(t.toolset);
  });

  it('keeps only read-only tools in read-only mode and drops toolsets that are off', () => {
    const ro = enabledTools({ toolsets: new Set(TOOLSETS), readOnly: true });
    expect(ro.every((t) => t.annotations.readOnlyHint)).toBe(true);
    const inv = enabledTools({ toolsets: new Set(['inventory']), readOnly: false });
    expect(inv.length).toBeGreaterThan(0);
    expect(inv.every((t) => t.toolset === 'inventory')).toBe(true);
  });

  it('gives a Worker the same registry in the same order, less the workflow tools', () => {
    const workflow = new Set(workflowTools.map((t) => t.name));
    expect(workflow.size).toBeGreaterThan(0);
    expect(REQUEST_TOOLS.map((t) => t.name)).toEqual(
      ALL_TOOLS.map((t) => t.name).filter((n) => !workflow.has(n)),
    );
  });

  it('lets a policy name every tool and verb of the full registry on every runtime, workflow tools included', () => {
    expect([...WORKFLOW_TOOL_NAMES]).toEqual(workflowTools.map((t) => t.name));
    expect([...WORKFLOW_VERBS]).toEqual(workflowTools.map((t) => t.verb));
    const known = policyNames();
    expect([...known.tools].sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    for (const t of ALL_TOOLS) expect(known.actions).toContain(t.verb);
  });

  it('keeps src/version.ts equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });
});

describe('tools/list', () => {
  async function list(env: Record<string, string>, principal = ADMIN) {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig(env) });
    const { client, close } = await connectClient(deps, { principal });
    try {
      return (await client.listTools()).tools;
    } finally {
      await close();
    }
  }

  it('matches the snapshot for the default configuration', async () => {
    const tools = await list({});
    expect(
      tools.map((t) => ({
        name: t.name,
        annotations: t.annotations,
        execution: t.execution,
        inputSchema: t.inputSchema,
      })),
    ).toMatchSnapshot();
  });

  it('offers the long tools as optional MCP tasks', async () => {
    const long = (await list({})).filter((t) => t.execution?.taskSupport === 'optional').map((t) => t.name);
    expect(long.sort()).toEqual([
      'machine_abort',
      'machine_commission',
      'machine_deploy',
      'machine_power_cycle',
      'machine_power_off',
      'machine_power_on',
      'machine_release',
      'machine_rescue',
      'machine_test',
      'workflow_run',
    ]);
  });

  it('carries an output schema for every tool', async () => {
    for (const t of await list({})) expect(t.outputSchema, t.name).toBeDefined();
  });

  it('shows a viewer only read-only tools, and hides the admin-only audit log from an operator', async () => {
    const viewer = await list({}, VIEWER);
    expect(viewer.length).toBeGreaterThan(5);
    expect(viewer.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(viewer.map((t) => t.name)).not.toContain('audit_list');
    const operator = (await list({}, { id: 'op', role: 'operator', via: 'mcp' })).map((t) => t.name);
    expect(operator).toContain('machine_deploy');
    expect(operator).not.toContain('audit_list');
    expect(operator).not.toContain('machine_delete');
  });

  it('removes every write tool in read-only mode, even for an admin', async () => {
    const tools = await list({ MAAS_MCP_READ_ONLY: 'true' });
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
    expect(tools.map((t) => t.name)).toContain('audit_list');
  });

  it('narrows to the toolsets in MAAS_MCP_TOOLSETS', async () => {
    const names = (await list({ MAAS_MCP_TOOLSETS: 'inventory' })).map((t) => t.name);
    expect(names.sort()).toEqual([
      'controllers_list',
      'devices_list',
      'pools_list',
      'subnets_list',
      'tags_list',
      'zones_list',
    ]);
  });
});
