/**
 * MCP sessions over HTTP and who owns what: room is made per principal (one principal's sessions never push out
 * another's session in use), and principals are told apart by source, id and role — not by name alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/clock.ts';
import type { Principal } from '../../src/core/access.ts';
import { McpHttpSessions } from '../../src/mcp/http.ts';
import { enabledTools } from '../../src/tools/index.ts';
import { call, connectClient, makeDeps, testConfig, UNREACHABLE_MAAS } from '../helpers.ts';
import { makeOperation } from '../store/factory.ts';
import { legacyTasks } from '../task-scenarios.ts';

const ADMIN: Principal = { id: 'alice', role: 'admin', via: 'mcp' };
const VIEWER: Principal = { id: 'victor', role: 'viewer', via: 'mcp' };
const OTHER: Principal = { id: 'olga', role: 'operator', via: 'mcp' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function sessions(opts: { maxSessions?: number; maxSessionsPerPrincipal?: number } = {}) {
  const clock = new ManualClock();
  const deps = makeDeps(UNREACHABLE_MAAS, { clock, config: testConfig({}) });
  const mcp = new McpHttpSessions(deps, {
    toolsFor: (p) => enabledTools({ toolsets: deps.config.toolsets, readOnly: false, role: p.role }),
    ...opts,
  });
  cleanups.push(() => mcp.closeAll());
  return { mcp, clock, deps };
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** Opens a session for `who`; answers its id, or the refusal's status. */
async function open(mcp: McpHttpSessions, who: Principal): Promise<string | number> {
  const res = await mcp.handle(
    new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    }),
    who,
  );
  await res.body?.cancel();
  return res.headers.get('mcp-session-id') ?? res.status;
}

/** Uses a session (a ping); answers the HTTP status. */
async function use(mcp: McpHttpSessions, id: string, who: Principal): Promise<number> {
  const res = await mcp.handle(
    new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: { ...HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    }),
    who,
  );
  await res.text();
  return res.status;
}

describe('room for sessions', () => {
  it('caps each principal: a viewer opening hundreds of sessions closes only its own', async () => {
    const { mcp } = sessions({ maxSessions: 10, maxSessionsPerPrincipal: 3 });
    const admin = (await open(mcp, ADMIN)) as string;
    const viewer: (string | number)[] = [];
    for (let i = 0; i < 30; i++) viewer.push(await open(mcp, VIEWER));
    expect(viewer.every((v) => typeof v === 'string')).toBe(true);
    expect(await use(mcp, admin, ADMIN)).toBe(200);
    expect(mcp.size).toBe(4);
    // The viewer's newest three are the ones kept.
    for (const id of viewer.slice(-3)) expect(await use(mcp, id as string, VIEWER)).toBe(200);
    expect(await use(mcp, viewer[0] as string, VIEWER)).toBe(404);
  });

  it('makes room from idle sessions first, and never closes another principal’s session in use', async () => {
    const { mcp, clock } = sessions({ maxSessions: 3, maxSessionsPerPrincipal: 3 });
    const admin = (await open(mcp, ADMIN)) as string;
    const other = (await open(mcp, OTHER)) as string;
    await clock.advance(10 * 60_000);
    // The admin keeps working; olga's session sits idle for ten minutes.
    expect(await use(mcp, admin, ADMIN)).toBe(200);
    const v1 = await open(mcp, VIEWER);
    const v2 = await open(mcp, VIEWER);
    expect(typeof v1).toBe('string');
    expect(typeof v2).toBe('string');
    expect(await use(mcp, other, OTHER)).toBe(404);
    expect(await use(mcp, admin, ADMIN)).toBe(200);
    // Now every other session is in use: the viewer makes room among its own.
    expect(typeof (await open(mcp, VIEWER))).toBe('string');
    expect(await use(mcp, admin, ADMIN)).toBe(200);
    expect(await use(mcp, v1 as string, VIEWER)).toBe(404);
    // Someone new, with no session to give up, is told to come back rather than push the admin out.
    expect(await open(mcp, OTHER)).toBe(503);
    expect(await use(mcp, admin, ADMIN)).toBe(200);
  });
});

describe('principals are source, id and role', () => {
  it('refuses a session to the same name with another role', async () => {
    const { mcp } = sessions();
    const id = (await open(mcp, ADMIN)) as string;
    expect(await use(mcp, id, { ...ADMIN, role: 'viewer' })).toBe(403);
    expect(await use(mcp, id, { ...ADMIN, via: 'slack' })).toBe(403);
    expect(await use(mcp, id, ADMIN)).toBe(200);
  });

  it('does not let an MCP principal cancel what the Slack user of the same name started', async () => {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({}) });
    const op = makeOperation({ requester: { principal: 'UOPS', via: 'slack', role: 'operator' } });
    await deps.store.createOperation(op);
    const mcpUops = await connectClient(deps, { principal: { id: 'UOPS', role: 'operator', via: 'mcp' } });
    cleanups.push(mcpUops.close);
    const res = await call(mcpUops.client, 'operation_cancel', { id: op.id });
    expect(res.isError).toBe(true);
    expect(res.text).toContain('started by UOPS (slack); only they or an admin can cancel it');
    expect((await deps.store.getOperation(op.id))?.state).toBe('running');
  });

  it('keeps the tasks of one name under another role apart', async () => {
    const deps = makeDeps(UNREACHABLE_MAAS, { config: testConfig({ MAAS_MCP_CONFIRM: 'token' }) });
    const admin = await connectClient(deps, { principal: ADMIN });
    const viewer = await connectClient(deps, { principal: { ...ADMIN, role: 'viewer' } });
    cleanups.push(admin.close, viewer.close);
    // A call that fails at once (MAAS is unreachable) still makes a task, listed for its owner only.
    const created = {
      task: await legacyTasks(admin.client).create('machine_release', { machines: 'db-01' }),
    };
    expect((await legacyTasks(admin.client).list()).tasks.map((t) => t.taskId)).toEqual([
      created.task.taskId,
    ]);
    expect((await legacyTasks(viewer.client).list()).tasks).toEqual([]);
    await expect(legacyTasks(viewer.client).get(created.task.taskId)).rejects.toThrow(/not found/i);
  });
});
