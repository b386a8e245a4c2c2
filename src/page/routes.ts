/**
 * The status page's routes (README "Status page"): GET / the page, GET /events its server-sent events,
 * POST /approvals/{id} an approval or denial from it, and its style sheet and script. The same access rules as
 * /mcp (one check, src/http/access.ts): Host and Origin first, then who is calling; roles decide what is shown and
 * what may be decided; every action carries a CSRF token signed for the person it was given to.
 */
import type { Context, Hono } from 'hono';
import { PAGE_CALLBACK_PATH, type PageSignIn } from '../auth/page-session.ts';
import type { Principal } from '../core/access.ts';
import { approveHeld, denyHeld, describeDecision } from '../core/approvals.ts';
import type { Deps } from '../core/deps.ts';
import { describeError } from '../core/errors.ts';
import type { AnyTool } from '../core/tool.ts';
import { type Callers, checkHostAndOrigin, isPrincipal } from '../http/access.ts';
import { PAGE_CSS, PAGE_JS } from './assets.ts';
import { csrfRefusal, csrfToken } from './csrf.ts';
import { statusEvents } from './events.ts';
import { FleetView, type FleetViewOptions } from './fleet.ts';
import { renderNote, renderPage } from './layout.tsx';
import type { PageContext, Section } from './section.ts';
import { SECTIONS } from './sections/index.ts';

export interface StatusPageOptions extends FleetViewOptions {
  /** Who is calling, and how a refusal is said (the same check /mcp makes). */
  callers: Callers;
  /** The tools approvals are decided against (their roles). */
  tools: readonly AnyTool[];
  /** The sections, top to bottom (default: all of sections/index.ts). */
  sections?: readonly Section[];
  /** The event stream's pace (tests). */
  events?: { everyMs?: number; maxMs?: number };
}

/** Headers of every page answer: nothing from elsewhere, no framing, no caching, no referrer. */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** How a browser gets the page where sign-in is required (README "Status page"). */
const SIGN_IN_HELP =
  'The page takes the same bearer tokens as /mcp (MCP_AUTH_TOKENS, or an OAuth access token for this server); see the README, "Status page", for reaching it from a browser.';

/** The same, where the page signs browsers in itself. */
const SIGN_IN_HELP_BROWSER =
  'Sign in at /login, or send a bearer token as /mcp takes (MCP_AUTH_TOKENS, or an OAuth access token for this server).';

/** The largest approval form read (it holds a token and a word). */
const FORM_MAX = 4096;

export function mountStatusPage(app: Hono, deps: Deps, opts: StatusPageOptions): FleetView {
  const { config } = deps;
  const fleet = new FleetView(deps, opts);
  const sections = opts.sections ?? SECTIONS;

  const signIn = opts.callers.pageSignIn;

  /** The person asking, or the answer that refuses them. `toLogin`: a browser without a session signs in first. */
  const admit = async (c: Context, toLogin = false): Promise<Principal | Response> => {
    const refusal = checkHostAndOrigin(c.req.raw, config.host, config.allowedOrigins);
    if (refusal) return c.html(await renderNote('Forbidden', refusal), 403, PAGE_HEADERS);
    const who = await opts.callers.pageCallerOf(c.req.raw);
    if (isPrincipal(who)) return who;
    if (signIn && toLogin && who.status === 401 && !c.req.raw.headers.has('authorization')) {
      return c.body(null, 302, {
        ...PAGE_HEADERS,
        location: '/login',
        'set-cookie': signIn.clearCookies()[0] as string,
      });
    }
    const help = signIn ? SIGN_IN_HELP_BROWSER : SIGN_IN_HELP;
    return c.html(await renderNote('Sign-in needed', `${who.description}. ${help}`), who.status, {
      ...PAGE_HEADERS,
      ...opts.callers.challenge(who),
    });
  };

  const contextFor = async (c: Context, viewer: Principal): Promise<PageContext> => {
    const by = c.req.query('by') === 'pool' ? 'pool' : 'zone';
    const page = Number.parseInt(c.req.query('page') ?? '1', 10);
    return {
      deps,
      viewer,
      tools: opts.tools,
      fleet: () => fleet.get(),
      csrf: deps.sealKey ? await csrfToken(deps.sealKey, viewer, deps.clock.now()) : undefined,
      signedIn: signIn?.hasSession(c.req.raw) === true && !c.req.raw.headers.has('authorization'),
      grid: { by, page: Number.isFinite(page) && page > 0 ? page : 1 },
    };
  };

  app.get('/page.css', (c) =>
    c.body(PAGE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', ...cacheable }),
  );
  app.get('/page.js', (c) =>
    c.body(PAGE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', ...cacheable }),
  );

  if (signIn) mountSignIn(app, deps, signIn, admit);

  app.get('/', async (c) => {
    const viewer = await admit(c, true);
    if (viewer instanceof Response) return viewer;
    const ctx = await contextFor(c, viewer);
    try {
      await ctx.fleet();
    } catch (err) {
      const why = describeError(err, deps.secrets, deps.log);
      return c.html(
        await renderNote('MAAS is not answering', `${why} Reload to try again.`),
        503,
        PAGE_HEADERS,
      );
    }
    const version = fleet.version;
    const built = await Promise.all(
      sections
        .filter((s) => s.shows(ctx))
        .map(async (section) => ({ section, ...(await section.build(ctx)) })),
    );
    return c.html(await renderPage(ctx, built, version), 200, PAGE_HEADERS);
  });

  app.get('/events', async (c) => {
    const viewer = await admit(c);
    if (viewer instanceof Response) return viewer;
    const ctx = await contextFor(c, viewer);
    const since = Number.parseInt(c.req.query('v') ?? '0', 10);
    const stream = statusEvents(ctx, sections, fleet, {
      since: Number.isFinite(since) ? since : 0,
      signal: c.req.raw.signal,
      ...opts.events,
    });
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-accel-buffering': 'no',
      },
    });
  });

  app.post('/approvals/:id', async (c) => {
    const json = (c.req.header('accept') ?? '').includes('application/json');
    const answer = async (status: 200 | 400 | 403 | 409 | 503, message: string) =>
      json
        ? c.json({ ok: status === 200, message }, status)
        : c.html(await renderNote(status === 200 ? 'Done' : 'Not done', message, true), status, PAGE_HEADERS);
    const who = await admit(c);
    if (who instanceof Response) return who;
    if (!deps.sealKey) return answer(503, 'Approvals from this page are not available on this server.');
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > FORM_MAX) return answer(400, 'The form is too large.');
    const text = await c.req.text();
    if (text.length > FORM_MAX) return answer(400, 'The form is too large.');
    const form = new URLSearchParams(text);
    const refusal = await csrfRefusal(deps.sealKey, who, form.get('csrf') ?? undefined, deps.clock.now());
    if (refusal) return answer(403, `Not done: ${refusal}.`);
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'deny') {
      return answer(400, 'decision must be approve or deny.');
    }
    const decider = {
      id: who.id,
      via: who.via,
      role: who.role,
      label: `${who.id} (status page)`,
      noRole: 'without a role',
    };
    const id = c.req.param('id');
    const out =
      decision === 'approve'
        ? await approveHeld(deps, opts.tools, id, { serverKey: deps.sealKey }, decider)
        : await denyHeld(deps, opts.tools, id, decider);
    return answer(out.kind === 'refused' ? (out.forbidden ? 403 : 409) : 200, describeDecision(id, out));
  });

  return fleet;
}

/**
 * Browser sign-in (README "Status page"): GET /login sends the browser to the provider, GET /login/callback comes
 * back with a session cookie, POST /logout (with the page's CSRF token) removes it.
 */
function mountSignIn(
  app: Hono,
  deps: Deps,
  signIn: PageSignIn,
  admit: (c: Context) => Promise<Principal | Response>,
): void {
  const { config } = deps;
  const note = async (
    c: Context,
    status: 400 | 403 | 503,
    title: string,
    text: string,
    cookies: string[],
  ) => {
    const res = c.html(await renderNote(title, text), status, PAGE_HEADERS);
    for (const line of cookies) res.headers.append('set-cookie', line);
    return res;
  };

  app.get('/login', async (c) => {
    const refusal = checkHostAndOrigin(c.req.raw, config.host, config.allowedOrigins);
    if (refusal) return c.html(await renderNote('Forbidden', refusal), 403, PAGE_HEADERS);
    const started = await signIn.begin();
    if ('status' in started) {
      return note(c, started.status, 'Cannot sign in now', `${started.description}.`, []);
    }
    const res = c.body(null, 302, { ...PAGE_HEADERS, location: started.location });
    for (const line of started.cookies) res.headers.append('set-cookie', line);
    return res;
  });

  app.get(PAGE_CALLBACK_PATH, async (c) => {
    const refusal = checkHostAndOrigin(c.req.raw, config.host, config.allowedOrigins);
    if (refusal) return c.html(await renderNote('Forbidden', refusal), 403, PAGE_HEADERS);
    let done: Awaited<ReturnType<PageSignIn['finish']>>;
    try {
      done = await signIn.finish(c.req.raw);
    } catch (err) {
      deps.log.error('page sign-in failed', { error: err });
      return note(
        c,
        503,
        'Not signed in',
        'maas-mcp could not finish the sign-in; try again.',
        signIn.clearCookies(),
      );
    }
    if (!done.ok) {
      return note(
        c,
        done.status,
        'Not signed in',
        `${done.description}. Sign in again at /login.`,
        done.cookies,
      );
    }
    const res = c.body(null, 302, { ...PAGE_HEADERS, location: '/' });
    for (const line of done.cookies) res.headers.append('set-cookie', line);
    return res;
  });

  app.post('/logout', async (c) => {
    const who = await admit(c);
    if (who instanceof Response) return who;
    const text = (await c.req.text()).slice(0, FORM_MAX);
    const token = new URLSearchParams(text).get('csrf') ?? undefined;
    const csrf = deps.sealKey ? await csrfRefusal(deps.sealKey, who, token, deps.clock.now()) : 'no key';
    if (csrf) return note(c, 403, 'Not signed out', `Not done: ${csrf}.`, []);
    const res = c.html(
      await renderNote('Signed out', 'You are signed out of the status page. Sign in again at /login.'),
      200,
      PAGE_HEADERS,
    );
    for (const line of signIn.clearCookies()) res.headers.append('set-cookie', line);
    return res;
  });
}

const cacheable = { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' };
