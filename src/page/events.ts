/**
 * The page's server-sent events (GET /events): a section's new HTML when it changed, and the grid cells of machines
 * whose status changed. Woken by the same notifier as MCP and Slack (the poller's news), and — where no poller
 * runs in this process (a Worker's request), or for what the poller does not announce (a new approval) — by a
 * look every few seconds. Each stream ends by itself after a while; the browser reconnects.
 */
import type { Deps } from '../core/deps.ts';
import { type FleetView, toneOf } from './fleet.ts';
import { renderBody } from './layout.tsx';
import type { PageContext, Section } from './section.ts';
import { cellText } from './sections/fleet.tsx';

export interface EventStreamOptions {
  /** How often it looks for changes nobody announced (ms). */
  everyMs?: number;
  /** How long one stream lasts before the browser is asked to reconnect (ms). */
  maxMs?: number;
  /** The fleet version the page was made at: cells changed since are sent first. */
  since: number;
  signal?: AbortSignal;
}

/** Most cells in one event (a page shows at most the grid's page size). */
const CELLS_MAX = 2000;

export function statusEvents(
  ctx: PageContext,
  sections: readonly Section[],
  fleet: FleetView,
  opts: EventStreamOptions,
): ReadableStream<Uint8Array> {
  const { deps } = ctx;
  const everyMs = opts.everyMs ?? 2000;
  const maxMs = opts.maxMs ?? 15 * 60_000;
  const enc = new TextEncoder();
  const sent = new Map<string, string>();
  let version = opts.since;
  let closed = false;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  const unsubscribe = deps.notify.subscribe({ progress: poke, finished: poke });
  const stop = () => {
    closed = true;
    unsubscribe();
    poke();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (event: string, data: unknown) =>
        controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      controller.enqueue(enc.encode(`retry: 3000\n\n`));
      const started = deps.clock.now();
      try {
        while (!closed && deps.clock.now() - started < maxMs) {
          await absorbOperations(deps, fleet);
          for (const s of sections) {
            if (!s.live || !s.shows(ctx)) continue;
            const { body, summary } = await s.build(ctx);
            const html = await renderBody(body);
            if (sent.get(s.id) === html) continue;
            sent.set(s.id, html);
            send('section', { id: s.id, html, summary });
          }
          const snapshot = await fleet.get();
          const cells = snapshot.machines
            .filter((m) => m.changed > version)
            .slice(0, CELLS_MAX)
            .map((m) => [m.id, toneOf(m.status), cellText(m)]);
          version = fleet.version;
          if (cells.length) send('cells', { version, cells });
          else controller.enqueue(enc.encode(': idle\n\n'));
          if (closed) break;
          await new Promise<void>((resolve) => {
            const timer = deps.clock.setTimeout(() => resolve(), everyMs);
            wake = () => {
              deps.clock.clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      } catch (err) {
        deps.log.warn('the status page’s event stream stopped', { error: err });
      }
      stop();
      try {
        controller.close();
      } catch {
        // The browser went away first.
      }
    },
    cancel() {
      stop();
    },
  });
}

/** Running operations' machines, as the poller last saw them, into the fleet view. */
async function absorbOperations(deps: Deps, fleet: FleetView): Promise<void> {
  await fleet.get();
  const ops = await deps.store.listOperations({ limit: 50 });
  for (const op of ops) if (op.state !== 'awaiting_approval') fleet.absorb(op.targets);
}
