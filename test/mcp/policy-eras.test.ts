/**
 * Guardrails for both MCP revisions and for people signed in with OAuth: a `confirm` rule asks a 2026-07-28 client
 * through input_required (a 2025-11-25 one by a pushed elicitation) even where MAAS_MCP_CONFIRM=off; tools/list
 * leaves out what a rule always denies the caller, whichever revision they speak; and rules on principals and roles
 * hold for a person whose identity comes from an OAuth access token (a JWT of an external issuer).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/core/deps.ts';
import { parsePolicy } from '../../src/core/policy/rules.ts';
import { YAML_FORMAT } from '../../src/core/policy/yaml.ts';
import type { ActionResult } from '../../src/core/result.ts';
import { createApp } from '../../src/server.ts';
import { policyNames } from '../../src/wiring.ts';
import { ADMIN, call, connectClient, MODERN, simDeps } from '../helpers.ts';
import { OPERATOR, posts } from '../tools/write-helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function usePolicy(deps: Deps, yaml: string) {
  const policy = parsePolicy(yaml, 'policy.yaml', policyNames(), YAML_FORMAT);
  deps.policy = { current: () => policy };
}

const CAREFUL = `
rules:
  - id: careful-power
    match: { tools: [machine_power_off] }
    effect: confirm
`;

const HIDDEN = `
rules:
  - id: agents-never-delete
    match: { tools: [machine_delete], via: mcp }
    effect: deny
    reason: deleting is for people
  - id: operators-no-power-off
    match: { tools: [machine_power_off], roles: [operator] }
    effect: deny
    reason: ask an admin
`;

describe.each([
  ['2025-11-25', false],
  ['2026-07-28', true],
])('guardrails for a %s client', (_era, modern) => {
  async function rig(answer: 'accept' | 'decline') {
    const { sim, deps } = simDeps({ env: { MAAS_MCP_CONFIRM: 'off' } });
    usePolicy(deps, CAREFUL);
    const { client, close } = await connectClient(deps, {
      capabilities: { ...(modern ? MODERN : {}), capabilities: { elicitation: {} } },
    });
    cleanups.push(() => sim.close(), close);
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push(req.params.message);
      return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
    });
    return { sim, deps, client, asked };
  }

  it('asks the person under a confirm rule even with MAAS_MCP_CONFIRM=off, and acts once they accept', async () => {
    const { sim, deps, client, asked } = await rig('accept');
    expect(client.getNegotiatedProtocolVersion()).toBe(modern ? '2026-07-28' : '2025-11-25');
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'db-01' });
    expect(res.isError, res.text).toBe(false);
    expect(res.data.status).toBe('done');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^Power off 1 machine\?\n• db-01 — Deployed/);
    expect(posts(sim)).toHaveLength(1);
    expect((await deps.store.listAudit({}))[0]?.detail).toContain('[policy: rule careful-power]');
  });

  it('does nothing when the person declines what a confirm rule asked', async () => {
    const { sim, deps, client, asked } = await rig('decline');
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: 'db-01' });
    expect(res.data.status).toBe('cancelled');
    expect(asked).toHaveLength(1);
    expect(posts(sim)).toEqual([]);
    expect((await deps.store.listAudit({})).map((a) => a.result)).toEqual(['cancelled']);
  });

  it('confirms a tool without a preview by a 2025 elicitation only, and otherwise refuses it saying why', async () => {
    const { sim, deps, client, asked } = await rig('accept');
    usePolicy(deps, 'rules:\n  - id: careful-tags\n    match: { tools: machine_tag }\n    effect: confirm\n');
    const res = await call(client, 'machine_tag', { machines: 'web-06', add: ['ssd'] });
    if (modern) {
      // input_required carries a confirm token's state, and machine_tag takes no token: nothing can be asked.
      expect(res.isError).toBe(true);
      expect(res.text).toContain('policy rule careful-tags asks a person to confirm');
      expect(asked).toEqual([]);
      expect(posts(sim)).toEqual([]);
    } else {
      expect(res.isError, res.text).toBe(false);
      expect(asked).toHaveLength(1);
      expect(sim.control.machine('web-06').tags).toContain('ssd');
    }
  });

  it('leaves out of tools/list the tools a rule always denies the caller, and only those', async () => {
    const { sim, deps } = simDeps();
    cleanups.push(() => sim.close());
    usePolicy(deps, HIDDEN);
    const names = async (principal: typeof ADMIN) => {
      const c = await connectClient(deps, { principal, ...(modern ? { capabilities: MODERN } : {}) });
      const { tools } = await c.client.listTools();
      await c.close();
      return tools.map((t) => t.name);
    };
    const admin = await names(ADMIN);
    expect(admin).not.toContain('machine_delete');
    expect(admin).toContain('machine_power_off');
    const operator = await names(OPERATOR);
    expect(operator).not.toContain('machine_power_off');
    expect(operator).toContain('machine_power_on');
  });
});

describe('guardrails for a person signed in with OAuth', () => {
  const PUBLIC = 'http://127.0.0.1:8787';
  const ISSUER = 'https://login.example.com/realms/ops';

  async function rig() {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    // The issuer, answered in-process: its metadata and its signing keys.
    const issuerFetch = async (input: string | URL | Request) => {
      const url = String(input);
      if (url === `${ISSUER}/.well-known/openid-configuration`) {
        return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
      }
      if (url === `${ISSUER}/certs`) return Response.json({ keys: [jwk] });
      return new Response('not found', { status: 404 });
    };
    const { sim, deps, clock } = simDeps({
      env: {
        MAAS_MCP_CONFIRM: 'off',
        MCP_PUBLIC_URL: PUBLIC,
        MCP_OAUTH_ISSUER: ISSUER,
        MCP_OAUTH_ROLE_CLAIM: 'groups',
        MCP_OAUTH_ROLES: 'maas-admins:admin,maas-operators:operator',
      },
    });
    usePolicy(
      deps,
      `
rules:
  - id: contractors-no-power
    match: { tools: ["machine_power_*"], principals: ["*@contractor.example"] }
    effect: deny
    reason: contractors do not switch machines
  - id: operators-no-delete
    match: { tools: [machine_delete], roles: [operator] }
    effect: deny
    reason: deleting is for admins
  - id: alice-leaves-databases
    match: { principals: [alice@example.com], hostnames: ["db-*"], actions: [power-off] }
    effect: deny
    reason: the databases stay on
`,
    );
    const app = createApp(deps, { localPrincipal: ADMIN, fetch: issuerFetch });
    cleanups.push(
      () => sim.close(),
      () => app.close(),
    );
    const now = Math.floor(clock.now() / 1000);
    const tokenFor = (email: string, groups: string[]) =>
      new SignJWT({ email, email_verified: true, groups })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(`${PUBLIC}/mcp`)
        .setSubject(`opaque-${email}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
    /** A v2 client over HTTP, in-process (no socket), presenting the person's access token. */
    const connect = async (token: string, modern: boolean) => {
      const transport = new StreamableHTTPClientTransport(new URL(`${PUBLIC}/mcp`), {
        fetch: async (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('authorization', `Bearer ${token}`);
          return app.app.fetch(new Request(input, { ...init, headers }));
        },
      });
      const client = new Client({ name: 'maas-mcp-tests', version: '1.0.0' }, modern ? MODERN : undefined);
      await client.connect(transport);
      cleanups.push(() => client.close());
      return client;
    };
    return { sim, deps, tokenFor, connect };
  }

  it('hides the tools a rule on principals or roles always denies, for either revision', async () => {
    const { tokenFor, connect } = await rig();
    const carol = await tokenFor('carol@contractor.example', ['maas-admins']);
    const dave = await tokenFor('dave@example.com', ['maas-operators']);
    const alice = await tokenFor('alice@example.com', ['maas-admins']);
    for (const modern of [false, true]) {
      const names = async (token: string) =>
        (await (await connect(token, modern)).listTools()).tools.map((t) => t.name);
      const contractor = await names(carol);
      expect(contractor.filter((n) => n.startsWith('machine_power_'))).toEqual([]);
      expect(contractor).toContain('machine_delete');
      const operator = await names(dave);
      expect(operator).not.toContain('machine_delete');
      expect(operator).toContain('machine_power_off');
      const admin = await names(alice);
      expect(admin).toContain('machine_delete');
      expect(admin).toContain('machine_power_off');
    }
  });

  it('refuses the machines a rule on the signed-in person denies, audited under their name', async () => {
    const { sim, deps, tokenFor, connect } = await rig();
    const client = await connect(await tokenFor('alice@example.com', ['maas-admins']), true);
    const res = await call<ActionResult>(client, 'machine_power_off', { machines: ['db-01', 'k8s-01'] });
    expect(res.isError, res.text).toBe(false);
    expect(res.data.succeeded.map((s) => s.hostname)).toEqual(['k8s-01']);
    expect(res.data.failed.map((f) => [f.hostname, f.error])).toEqual([
      ['db-01', 'refused by policy rule alice-leaves-databases: the databases stay on'],
    ]);
    expect(posts(sim)).toHaveLength(1);
    const [rec] = await deps.store.listAudit({});
    expect(rec?.principal).toBe('alice@example.com');
    expect(rec?.detail).toContain('[policy: rule alice-leaves-databases]');
  });
});
