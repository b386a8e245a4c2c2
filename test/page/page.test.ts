/**
 * The status page (README "Status page"): what it shows, who may see it, and its live updates — through the Hono
 * app, against the simulator on a manual clock.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/base/clock.ts';
import type { FetchLike } from '../../src/base/fetch.ts';
import { Poller } from '../../src/core/operations/poller.ts';
import { createApp } from '../../src/server.ts';
import type { Simulator } from '../../src/sim/index.ts';
import { ADMIN, call, connectClient, maasUnavailable, simDeps } from '../helpers.ts';
import { lastSection, type PageEvent, pageRequest, readEvents } from './helpers.ts';

const TOKENS =
  'view-token-0123456789abcdef:vera:viewer,ops-token-0123456789abcdef:otto:operator,boss-token-0123456789abcdef:bea:admin';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function pageRig(env: Record<string, string> = {}, fetch?: FetchLike) {
  const { sim, deps, clock } = simDeps({ env });
  const http = createApp(deps, {
    localPrincipal: { id: 'local:me', role: 'admin', via: 'mcp' },
    ...(fetch ? { fetch } : {}),
  });
  cleanup.push(async () => {
    await http.close();
    sim.close();
  });
  return { sim, deps, clock: clock as ManualClock, app: http.app };
}

const idOf = (sim: Simulator, hostname: string) => sim.control.machine(hostname).systemId;

describe('the status page', () => {
  it('shows the fleet by zone with counts, each machine coloured by status, and failures with MAAS’s reason', async () => {
    const { app, sim } = pageRig();
    const res = await pageRequest(app, '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('24 machines in all.');
    expect(html).toMatch(/<span class="n">9<\/span> Ready/);
    // The grid: one cell per machine, its status as colour and as text for a screen reader.
    expect(html).toContain(
      `<li class="c t-failed" data-id="${idOf(sim, 'db-03')}" title="db-03: Failed deployment (`,
    );
    expect(html).toContain(`data-id="${idOf(sim, 'web-03')}" title="web-03: Deployed"`);
    expect(html).toMatch(/<h3>zone-a <span class="gtotal">\(9 machines\)<\/span><\/h3>/);
    // The zone bars say in words what their colours show.
    expect(html).toMatch(
      /zone-b<\/span> <span class="gtotal">9 machines<\/span><strong class="bad"> · 2 failed or broken/,
    );
    // Failures name MAAS's reason.
    expect(html).toContain('<strong>db-03</strong> · Failed deployment · zone-a/staging');
    expect(html).toContain('Installation failed');
    // Landmarks and live regions.
    expect(html).toContain('<main id="main"');
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain('<html lang="en">');
  });

  it('says MAAS is not answering, readably, when it cannot read the fleet', async () => {
    const { app, sim } = pageRig();
    maasUnavailable(sim, 10);
    const res = await pageRequest(app, '/');
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain('<h1>MAAS is not answering</h1>');
    expect(html).toContain('rack controller');
    expect(html).not.toMatch(/at .*\.ts:\d+/);
  });

  it('groups by pool when asked', async () => {
    const { app } = pageRig();
    const html = await (await pageRequest(app, '/?by=pool')).text();
    expect(html).toMatch(/<h3>production <span class="gtotal">\(/);
    expect(html).toContain('By pool:');
  });

  it('serves its script and style sheet from itself, with no build step', async () => {
    const { app } = pageRig();
    const js = await pageRequest(app, '/page.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toContain("new EventSource('/events?'");
    const css = await pageRequest(app, '/page.css');
    expect(await css.text()).toContain('.t-failed{background-color:#cf222e}');
  });
});

describe('workflow runs on the status page', () => {
  it('shows each host’s step, its share of steps done as a bar, and MAAS’s reason when one failed', async () => {
    const { app, deps } = pageRig();
    const now = deps.clock.now();
    const step = (action: string, state: 'done' | 'running' | 'pending' | 'failed', note?: string) => ({
      action,
      state,
      ...(note ? { note } : {}),
      started_at: state === 'pending' ? null : now,
      finished_at: state === 'done' || state === 'failed' ? now : null,
      attempts: state === 'pending' ? 0 : 1,
    });
    const target = (hostname: string, result: 'pending' | 'failed', status: string, error?: string) => ({
      system_id: `sys-${hostname}`,
      hostname,
      start_status: 'Ready',
      status,
      status_code: 0,
      status_message: '',
      power_state: 'on',
      result,
      history: [],
      ...(error ? { error } : {}),
      finished_at: null,
    });
    await deps.store.createOperation({
      id: 'op_wf1',
      kind: 'workflow',
      tool: 'workflow_run',
      state: 'running',
      targets: [
        target('node-a', 'pending', 'Deploying'),
        target('node-b', 'failed', 'Failed commissioning', 'commission: Commissioning failed'),
      ],
      requester: { principal: 'alice', via: 'cli' },
      notify: [],
      created_at: now,
      updated_at: now,
      deadline_at: now + 3_600_000,
      finished_at: null,
      next_poll_at: now,
      notice_sent_at: null,
      summary: 'workflow on 2 hosts',
      pending_call: null,
      version: 0,
      workflow: {
        digest: 'd',
        origin: 'cli',
        file: {},
        action: null,
        hosts_selected: null,
        max_retries: 0,
        parallel: 2,
        lease: null,
        hosts: [
          { hostname: 'node-a', steps: [step('commission', 'done'), step('deploy', 'running')] },
          {
            hostname: 'node-b',
            steps: [step('commission', 'failed', 'Commissioning failed'), step('deploy', 'pending')],
          },
        ],
      },
    });
    const html = await (await pageRequest(app, '/')).text();
    expect(html).toContain('<h3>workflow · workflow on 2 hosts</h3>');
    expect(html).toMatch(
      /<span class="host">node-a<\/span><progress max="100" value="50"[^>]*>50%<\/progress><span class="st">deploy \(1 of 2 steps\)<\/span>/,
    );
    expect(html).toContain('commission: Commissioning failed');
  });
});

describe('who may see the status page', () => {
  it('answers only requests addressed to localhost when bound to loopback (DNS rebinding)', async () => {
    const { app } = pageRig();
    const res = await pageRequest(app, '/', { headers: { host: 'evil.example:8080' } });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('machines in all');
    const events = await pageRequest(app, '/events', { headers: { host: 'evil.example' } });
    expect(events.status).toBe(403);
  });

  it('refuses a page or event stream asked for from another site', async () => {
    const { app } = pageRig();
    for (const path of ['/', '/events']) {
      const res = await pageRequest(app, path, { headers: { origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
    }
  });

  it('asks for a bearer token when MCP_AUTH_TOKENS are set, as /mcp does', async () => {
    const { app } = pageRig({ MCP_AUTH_TOKENS: TOKENS });
    for (const path of ['/', '/events']) {
      const res = await pageRequest(app, path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      const wrong = await pageRequest(app, path, { token: 'not-a-token' });
      expect(wrong.status).toBe(401);
    }
    const ok = await pageRequest(app, '/', { token: 'view-token-0123456789abcdef' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('You are vera (viewer)');
  });

  it('takes the OAuth access tokens /mcp takes (an outside issuer’s JWT, its role from a claim), and points a browser without one at the metadata', async () => {
    const BASE = 'https://maas-mcp.example.com';
    const ISSUER = 'https://login.example.com/realms/ops';
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const fetch: FetchLike = async (input) => {
      const url = String(input);
      if (url === `${ISSUER}/.well-known/openid-configuration`) {
        return Response.json({ issuer: ISSUER, jwks_uri: `${ISSUER}/certs` });
      }
      if (url === `${ISSUER}/certs`) return Response.json({ keys: [jwk] });
      return new Response('not found', { status: 404 });
    };
    const { app, clock } = pageRig(
      {
        MCP_PUBLIC_URL: BASE,
        MCP_OAUTH_ISSUER: ISSUER,
        MCP_OAUTH_ROLE_CLAIM: 'groups',
        MCP_OAUTH_ROLES: 'maas-admins:admin,*:viewer',
      },
      fetch,
    );
    const now = Math.floor(clock.now() / 1000);
    const tokenFor = (sub: string, groups: string[], audience = `${BASE}/mcp`) =>
      new SignJWT({ groups })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey);

    const anonymous = await pageRequest(app, '/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer realm="maas-mcp", resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(await anonymous.text()).toContain('Sign-in needed');

    const admin = await pageRequest(app, '/', { token: await tokenFor('ada', ['maas-admins']) });
    expect(admin.status).toBe(200);
    const adminHtml = await admin.text();
    expect(adminHtml).toContain('You are ada (admin)');
    expect(adminHtml).toContain('Latest audit entries');
    const viewer = await pageRequest(app, '/events', { token: await tokenFor('vic', ['staff'], BASE) });
    expect(viewer.status).toBe(200);
    await viewer.body?.cancel();
    // A token for another resource is refused here as at /mcp.
    const other = await pageRequest(app, '/', {
      token: await tokenFor('ada', ['maas-admins'], 'https://elsewhere.example/mcp'),
    });
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const mcp = await app.request(`http://127.0.0.1:8080/mcp`, {
      method: 'POST',
      headers: {
        host: '127.0.0.1:8080',
        authorization: `Bearer ${await tokenFor('ada', ['maas-admins'], 'https://elsewhere.example/mcp')}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(mcp.status).toBe(401);
  });

  it('shows the audit only to admins, as audit_list', async () => {
    const { app, deps } = pageRig({ MCP_AUTH_TOKENS: TOKENS, MAAS_MCP_CONFIRM: 'off' });
    const c = await connectClient(deps, { principal: ADMIN });
    cleanup.push(() => c.close());
    await call(c.client, 'machine_lock', { machines: 'web-04', comment: 'maintenance window' });
    const admin = await (await pageRequest(app, '/', { token: 'boss-token-0123456789abcdef' })).text();
    expect(admin).toContain('Latest audit entries');
    expect(admin).toContain('<td>machine_lock</td>');
    for (const token of ['view-token-0123456789abcdef', 'ops-token-0123456789abcdef']) {
      const html = await (await pageRequest(app, '/', { token })).text();
      expect(html).not.toContain('Latest audit entries');
      expect(html).not.toContain('machine_lock');
    }
  });
});

describe('the status page’s live updates', () => {
  it('moves a deploy’s progress bar and turns the machine Deployed in its grid cell, woken by the poller', async () => {
    const { app, deps, sim, clock } = pageRig({ MAAS_MCP_CONFIRM: 'off' });
    const web01 = idOf(sim, 'web-01');
    const res = await pageRequest(app, '/events');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const c = await connectClient(deps, { principal: ADMIN });
    cleanup.push(() => c.close());
    const started = await call<{ operation_id: string }>(c.client, 'machine_deploy', { machines: 'web-01' });
    expect(started.isError).toBe(false);

    const poller = new Poller(deps);
    let stop = false;
    const driving = (async () => {
      for (let i = 0; i < 300 && !stop; i++) {
        await clock.advance(5_000);
        await poller.tick();
      }
    })();
    const deployed = (evs: PageEvent[]) =>
      evs.some(
        (e) =>
          e.event === 'cells' &&
          (e.data as { cells: string[][] }).cells.some(([id, tone]) => id === web01 && tone === 'deployed'),
      );
    const events = await readEvents(res, deployed, { ms: 30_000, max: 2000 });
    stop = true;
    await driving;

    expect(deployed(events)).toBe(true);
    // The bar moved through values between start and end before it was full.
    const values = new Set<number>();
    for (const e of events.filter(
      (x) => x.event === 'section' && (x.data as { id: string }).id === 'operations',
    )) {
      const html = (e.data as { html: string }).html;
      const m = /<span class="host">web-01<\/span><progress max="100" value="(\d+)"/.exec(html);
      if (m) values.add(Number(m[1]));
    }
    // Part-way it shows where MAAS's messages say the install is ("Installing OS" is past the middle).
    expect([...values].some((v) => v >= 50 && v < 100)).toBe(true);
    expect(values.has(100)).toBe(true);
    expect(lastSection(events, 'operations')).toContain('1 of 1 Deployed');
    // What changed is also one line for screen readers.
    const summaries = events
      .filter((e) => e.event === 'section' && (e.data as { id: string }).id === 'operations')
      .map((e) => (e.data as { summary: string }).summary);
    expect(summaries).toContain('1 operation running; deploy: 0 of 1 Deployed, 1 going');
  });
});
