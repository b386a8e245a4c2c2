/** The page around its sections: landmarks, a skip link, who is looking, and the live regions updates speak in. */
import type { Child } from 'hono/jsx';
import { VERSION } from '../version.ts';
import type { PageContext, Section } from './section.ts';
import { clockTime } from './section.ts';

export interface BuiltSection {
  section: Section;
  body: Child;
  summary: string;
}

function Doc(props: { title: string; live?: boolean; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <link rel="icon" href="data:," />
        <title>{props.title} · maas-mcp</title>
        <link rel="stylesheet" href={`/page.css?v=${VERSION}`} />
        {props.live ? <script src={`/page.js?v=${VERSION}`} defer /> : null}
      </head>
      <body>{props.children}</body>
    </html>
  );
}

// biome-ignore lint/complexity/noUselessFragments: a Child may be a string or a list; the fragment renders either
const html = async (el: Child) => `<!doctype html>${await (<>{el}</>).toString()}`;

export async function renderPage(
  ctx: PageContext,
  built: readonly BuiltSection[],
  version: number,
): Promise<string> {
  const fleet = await ctx.fleet();
  return html(
    <Doc title="MAAS fleet status" live>
      <a class="skip" href="#main">
        Skip to the status
      </a>
      <header>
        <h1>MAAS fleet status</h1>
        <p>
          You are {ctx.viewer.id} ({ctx.viewer.role}) · <span id="conn">Updates when you reload</span>
        </p>
        {ctx.signedIn && ctx.csrf ? (
          <form method="post" action="/logout" class="signout">
            <input type="hidden" name="csrf" value={ctx.csrf} />
            <button type="submit">Sign out</button>
          </form>
        ) : null}
      </header>
      <main id="main" data-version={String(version)}>
        <p id="flash" role="status" />
        {built.map(({ section, body, summary }) => (
          <section aria-labelledby={`h-${section.id}`}>
            <h2 id={`h-${section.id}`}>{section.title}</h2>
            <div id={section.id} data-summary={summary}>
              {body}
            </div>
          </section>
        ))}
        <div id="live" class="sr" aria-live="polite" />
        <footer>
          maas-mcp {VERSION} · machines read from MAAS at {clockTime(fleet.readAt)} · page made at{' '}
          {clockTime(ctx.deps.clock.now())}
        </footer>
      </main>
    </Doc>,
  );
}

/** A short page: why the status is not shown (no token, wrong host), or what came of a form posted without the script. */
export function renderNote(title: string, text: string, back = false): Promise<string> {
  return html(
    <Doc title={title}>
      <main id="main">
        <h1>{title}</h1>
        <p role="status">{text}</p>
        {back ? (
          <p>
            <a href="/">Back to the fleet status</a>
          </p>
        ) : null}
      </main>
    </Doc>,
  );
}

/** A section's body as HTML, for its live update. */
export async function renderBody(body: Child): Promise<string> {
  // biome-ignore lint/complexity/noUselessFragments: a Child may be a string or a list; the fragment renders either
  return String(await (<>{body}</>).toString());
}
