/**
 * The two pages a person may see while signing in: the consent page (which client asks, where its tokens go) and
 * an error page for a request that cannot go back to its client. Plain HTML, every value escaped: a client's name
 * and redirect URI come from whoever registered it.
 */
import type { ConsentDescription } from '@cloudflare/workers-oauth-provider';

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem}.warn{background:#fff4e5;border-left:4px solid #e8a33d;padding:.5rem .8rem}
code{background:#f2f2f2;padding:0 .2rem}button{font:inherit;padding:.5rem 1.2rem;margin-right:.6rem}`;

function html(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${html(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** The consent page: Allow posts the handle back to /authorize, then the person signs in at `provider`. */
export function consentPage(consent: ConsentDescription, handle: string, provider: string): string {
  const who = consent.clientDomain
    ? `<strong>${html(consent.clientName)}</strong> (from <strong>${html(consent.clientDomain)}</strong>)`
    : `<strong>${html(consent.clientName)}</strong> (a name the application gave itself)`;
  const loopback = consent.redirectIsLoopback
    ? '<p class="warn">Its tokens go to a program on your own computer. Allow only if you just started this sign-in from an application you trust.</p>'
    : '';
  return page(
    'Sign in to maas-mcp',
    `<h1>Allow ${who} to use maas-mcp as you?</h1>
<p>It will act on the MAAS fleet with your role in maas-mcp (viewer, operator or admin): everything it does is recorded under your name, and destructive actions still ask for confirmation.</p>
<p>Its tokens will be sent to <code>${html(consent.redirectHost)}</code>.</p>${loopback}
<p>Next, you sign in at <code>${html(new URL(provider).host)}</code>.</p>
<form method="post" action="/authorize"><input type="hidden" name="handle" value="${html(handle)}">
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`,
  );
}

/** A page for a sign-in that cannot continue and cannot go back to its client. */
export function errorPage(status: number, message: string): Response {
  return new Response(page('maas-mcp sign-in', `<h1>Sign-in stopped</h1><p>${html(message)}</p>`), {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    },
  });
}
