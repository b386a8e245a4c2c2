/**
 * What an MCP client sees of the server besides the tools' behaviour: tools/list (output schemas shared, not
 * repeated), tools a caller may not use, prompts, and the capabilities advertised.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/client/validators/cf-worker';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionResult } from '../../src/core/result.ts';
import { PROMPTS } from '../../src/mcp/prompts.ts';
import { createMcpServer } from '../../src/mcp/server.ts';
import { enabledTools } from '../../src/tools/index.ts';
import {
  ADMIN,
  call,
  connectClient,
  MODERN,
  makeDeps,
  simDeps,
  testConfig,
  UNREACHABLE_MAAS,
  VIEWER,
} from '../helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Schema = Record<string, unknown>;

/** Every sub-schema of an output schema (objects under properties, items, anyOf), with where it sits. */
function* subSchemas(schema: Schema, path: string): Generator<[string, Schema]> {
  yield [path, schema];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [k, v] of Object.entries(props)) yield* subSchemas(v, `${path}.${k}`);
  if (schema.items && !Array.isArray(schema.items)) yield* subSchemas(schema.items as Schema, `${path}[]`);
  for (const v of (schema.anyOf ?? []) as Schema[]) yield* subSchemas(v, path);
}

async function listTools(principal = ADMIN) {
  const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({}) });
  const { client, close } = await connectClient(deps, { principal });
  cleanups.push(close);
  return (await client.listTools()).tools;
}

describe('tools/list', () => {
  it('shows each large output schema in full once and points to it afterwards', async () => {
    for (const principal of [ADMIN, VIEWER]) {
      const where = new Map<string, string>();
      for (const t of await listTools(principal)) {
        for (const [path, s] of subSchemas(t.outputSchema as Schema, t.name)) {
          const { description, $schema: _s, ...shape } = s;
          const key = JSON.stringify(shape);
          // Pointers (and outlines of a whole answer) say where the full shape is shown.
          if (key.length < 400 || /(^|\. )(Same shape as|As) /.test(String(description))) continue;
          expect(where.get(key), `${path} repeats ${where.get(key)}`).toBeUndefined();
          where.set(key, path);
        }
      }
    }
    // The machine actions all answer one shape: the first shows it, the others say where it is.
    const tools = await listTools();
    const deploy = tools.find((t) => t.name === 'machine_deploy')?.outputSchema as Schema;
    expect(deploy).toEqual({ type: 'object', description: "As machine_delete's outputSchema." });
    const full = tools.find((t) => t.name === 'machine_delete')?.outputSchema as Schema;
    expect(Object.keys(full.properties as Schema)).toContain('operation_id');
  });

  it('fits the whole catalogue, every toolset on (the opt-in clusters too), in 48 KB (npm run bench shows it per toolset)', async () => {
    for (const options of [undefined, MODERN]) {
      const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({ MAAS_MCP_TOOLSETS: 'all' }) });
      const { client, close } = await connectClient(deps, options ? { capabilities: options } : {});
      cleanups.push(close);
      const tools = (await client.listTools()).tools;
      expect(tools).toHaveLength(
        enabledTools({ toolsets: deps.config.toolsets, readOnly: false, role: 'admin' }).length,
      );
      expect(tools.some((t) => t.name === 'cluster_create')).toBe(true);
      const bytes = new TextEncoder().encode(JSON.stringify({ tools })).length;
      console.log(
        `tools/list (${options ? '2026-07-28' : '2025-11-25'}): ${tools.length} tools, ${bytes} bytes`,
      );
      expect(bytes).toBeLessThanOrEqual(48 * 1024);
    }
  });

  it('keeps every output schema valid for both validators the SDK ships', async () => {
    const validators = [new AjvJsonSchemaValidator(), new CfWorkerJsonSchemaValidator()];
    for (const t of await listTools()) {
      for (const v of validators) expect(() => v.getValidator(t.outputSchema as never), t.name).not.toThrow();
    }
  });

  it('gives answers that validate against the shared schemas in a real client', async () => {
    const { sim, deps } = simDeps({ env: { MAAS_MCP_CONFIRM: 'token' } });
    const { client, close } = await connectClient(deps);
    cleanups.push(close, () => sim.close());
    // The client checks every structured answer against the output schema it was shown.
    await client.listTools();
    const preview = await call<ActionResult>(client, 'machine_release', { machines: 'db-01' });
    expect(preview.data.status).toBe('confirmation_required');
    const done = await call<ActionResult>(client, 'machine_release', {
      machines: 'db-01',
      confirm_token: preview.data.confirm_token,
    });
    const id = done.data.operation_id as string;
    expect(done.data.status).toBe('done');
    expect((await call(client, 'operation_get', { id })).isError).toBe(false);
    // operation_cancel nests a machine action's answer (abort) beside the operation.
    const cancel = await call<{ abort: ActionResult }>(client, 'operation_cancel', { id, abort: true });
    expect(cancel.isError).toBe(false);
    expect(['confirmation_required', 'done']).toContain(cancel.data.abort?.status ?? 'done');
    for (const [name, args] of [
      ['machines_list', { limit: 3 }],
      ['machine_get', { machine: 'web-01', detail: ['hardware', 'network', 'storage', 'events'] }],
      ['fleet_summary', {}],
      ['operations_list', {}],
      ['machine_lock', { machines: 'web-04' }],
    ] as const) {
      const res = await call(client, name, args);
      expect(res.isError, `${name}: ${res.text}`).toBe(false);
    }
  });
});

describe('tools/list, trimmed for a model', () => {
  it('lists each answer’s first level and serves its whole schema as maas://tools/{name}/output-schema', async () => {
    const { sim, deps } = simDeps();
    const { client, close } = await connectClient(deps);
    cleanups.push(close, () => sim.close());
    const listed = (await client.listTools()).tools.find((t) => t.name === 'machine_get')
      ?.outputSchema as Schema;
    const machine = (listed.properties as Record<string, Schema>).machine;
    expect(machine?.type).toBe('object');
    expect(machine).not.toHaveProperty('properties');
    const read = await client.readResource({ uri: 'maas://tools/machine_get/output-schema' });
    const full = JSON.parse((read.contents[0] as { text: string }).text) as Schema;
    const nested = (full.properties as Record<string, Schema>).machine?.properties as Schema;
    expect(Object.keys(nested)).toEqual(expect.arrayContaining(['hostname', 'system_id', 'status']));
    // A real answer, every section asked for, validates against the whole schema as well as the listed one.
    const answer = await call(client, 'machine_get', {
      machine: 'web-01',
      detail: ['hardware', 'network', 'storage', 'events'],
    });
    expect(answer.isError).toBe(false);
    const check = new AjvJsonSchemaValidator().getValidator(full as never);
    expect(check(answer.data).errorMessage).toBeUndefined();
    // Only the tools this caller has.
    const viewer = await connectClient(deps, { principal: VIEWER });
    cleanups.push(viewer.close);
    await expect(
      viewer.client.readResource({ uri: 'maas://tools/machine_deploy/output-schema' }),
    ).rejects.toThrow(/no tool machine_deploy/);
  });

  it('says the parameters every tool shares once, in the instructions, and keeps the rest described', async () => {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({}) });
    const { client, close } = await connectClient(deps);
    cleanups.push(close);
    const instructions = client.getInstructions() ?? '';
    const tools = (await client.listTools()).tools;
    const bare = new Set<string>();
    for (const t of tools) {
      for (const [k, v] of Object.entries((t.inputSchema.properties ?? {}) as Record<string, Schema>)) {
        if (v.description === undefined && v.$ref === undefined) bare.add(k);
      }
    }
    // Each parameter listed without a description is one the instructions explain.
    for (const k of bare) expect(instructions, k).toContain(k);
    expect([...bare].sort()).toEqual(
      ['comment', 'confirm_token', 'limit', 'machine', 'machines', 'offset', 'wait', 'wait_timeout_s'].sort(),
    );
    const props = (name: string) =>
      tools.find((t) => t.name === name)?.inputSchema.properties as Record<string, Schema>;
    // A parameter of a shared name that means something of its own here keeps its words.
    expect(props('machine_clone').machines?.description).toMatch(/destinations/);
    expect(props('machine_mark_broken').comment?.description).toMatch(/What is wrong/);
    expect(props('machine_deploy').machines).toEqual({
      type: ['string', 'array'],
      items: { type: 'string' },
    });
  });
});

describe('a tool the caller may not use', () => {
  it('is not listed, and a call names the role it needs', async () => {
    const { sim, deps } = simDeps();
    const { client, close } = await connectClient(deps, { principal: VIEWER });
    cleanups.push(close, () => sim.close());
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('machine_deploy');
    const res = await call(client, 'machine_deploy', { machines: 'web-01' });
    expect(res.isError).toBe(true);
    expect(res.text).toBe('machine_deploy needs the operator role; your role is viewer.');
    const [audit] = await deps.store.listAudit({});
    expect(audit).toMatchObject({ tool: 'machine_deploy', result: 'refused', principal: VIEWER.id });
  });

  it('still says "not found" for a tool that does not exist here at all', async () => {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({ MAAS_MCP_TOOLSETS: 'inventory' }) });
    const { client, close } = await connectClient(deps);
    cleanups.push(close);
    // A protocol error, as the specification says for an unknown tool (SDK 1.x answered with an error result).
    await expect(
      client.callTool({ name: 'machine_deploy', arguments: { machines: 'web-01' } }),
    ).rejects.toThrow(/Tool machine_deploy not found/);
  });
});

describe('prompts', () => {
  it('offers recipes with arguments whose text names only tools the caller has', async () => {
    const { sim, deps } = simDeps();
    const { client, close } = await connectClient(deps);
    cleanups.push(close, () => sim.close());
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual([
      'diagnose_machine',
      'free_up_machines',
      'rolling_redeploy',
    ]);
    expect(prompts.find((p) => p.name === 'rolling_redeploy')?.arguments).toEqual([
      expect.objectContaining({ name: 'pool', required: true }),
      expect.objectContaining({ name: 'batch_size', required: false }),
      expect.objectContaining({ name: 'distro_series', required: false }),
    ]);
    const tools = new Set((await client.listTools()).tools.map((t) => t.name));
    const got = await client.getPrompt({
      name: 'rolling_redeploy',
      arguments: { pool: 'production', batch_size: '2' },
    });
    const text = (got.messages[0]?.content as { text: string } | undefined)?.text;
    expect(text).toContain('"production"');
    expect(text).toContain('at most 2 at a time');
    for (const p of PROMPTS) {
      const args = Object.fromEntries(
        Object.keys(p.args).map((k) => [k, k === 'count' || k === 'batch_size' ? '3' : 'x']),
      );
      const body = (await client.getPrompt({ name: p.name, arguments: args })).messages[0]?.content as {
        text: string;
      };
      // Every snake_case word that looks like a tool name is one the caller can call.
      for (const word of body.text.match(/\b[a-z]+(?:_[a-z]+)+\b/g) ?? []) {
        if (/^(machine|machines|operation|operations|fleet)_/.test(word))
          expect(tools, `${p.name}: ${word}`).toContain(word);
      }
    }
  });

  it('refuses a bad argument with a clear error, and offers a viewer only what a viewer can do', async () => {
    const { sim, deps } = simDeps();
    const admin = await connectClient(deps);
    const viewer = await connectClient(deps, { principal: VIEWER });
    cleanups.push(admin.close, viewer.close, () => sim.close());
    await expect(
      admin.client.getPrompt({ name: 'free_up_machines', arguments: { count: 'lots' } }),
    ).rejects.toThrow(/count/);
    expect((await viewer.client.listPrompts()).prompts.map((p) => p.name)).toEqual(['diagnose_machine']);
  });
});

describe('capabilities', () => {
  async function capabilities(stateless: boolean) {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({}) });
    const tools = enabledTools({ toolsets: deps.config.toolsets, readOnly: false, role: 'admin' });
    const server = createMcpServer(deps, { principal: ADMIN, tools, era: 'legacy', stateless });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 't', version: '1' });
    await Promise.all([server.connect(b), client.connect(a)]);
    cleanups.push(
      () => client.close(),
      () => server.close(),
    );
    return { caps: client.getServerCapabilities(), client };
  }

  it('advertises subscriptions and logging only where they can be sent, and no list changes', async () => {
    const full = await capabilities(false);
    expect(full.caps).toMatchObject({ logging: {}, resources: { subscribe: true }, tasks: { list: {} } });
    expect(full.caps?.tools?.listChanged).toBe(false);
    const stateless = await capabilities(true);
    expect(stateless.caps?.logging).toBeUndefined();
    expect(stateless.caps?.resources?.subscribe).toBeUndefined();
    expect(stateless.caps?.tasks).toBeDefined();
    expect(stateless.caps?.prompts).toBeDefined();
    await expect(stateless.client.subscribeResource({ uri: 'maas://operations/op_x' })).rejects.toThrow();
  });

  it('tells a 2026-07-28 client, without a session, of the tasks extension and subscriptions, with cache hints', async () => {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({}) });
    const { client, close } = await connectClient(deps, { capabilities: MODERN });
    cleanups.push(close);
    expect(client.getNegotiatedProtocolVersion?.()).toBe('2026-07-28');
    const caps = client.getServerCapabilities() as Record<string, unknown> & {
      extensions?: Record<string, unknown>;
      resources?: { subscribe?: boolean };
    };
    expect(caps.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });
    expect(caps.resources?.subscribe).toBe(true);
    expect(caps.tasks).toBeUndefined();
    expect(caps.logging).toBeUndefined();
    const listed = (await client.listTools()) as {
      tools: { name: string; execution?: unknown }[];
      ttlMs?: number;
    };
    expect(listed.tools.every((t) => t.execution === undefined)).toBe(true);
  });

  it('lists tools in the registry’s order, the same every time, in both eras', async () => {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({}) });
    const orders: string[][] = [];
    for (const options of [undefined, MODERN, undefined, MODERN]) {
      const { client, close } = await connectClient(deps, options ? { capabilities: options } : {});
      cleanups.push(close);
      orders.push((await client.listTools()).tools.map((t) => t.name));
    }
    const registry = enabledTools({ toolsets: deps.config.toolsets, readOnly: false, role: 'admin' }).map(
      (t) => t.name,
    );
    for (const order of orders) expect(order).toEqual(registry);
  });
});
