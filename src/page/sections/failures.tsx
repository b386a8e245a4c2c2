/** What went wrong, with MAAS's reason: machines in a failed or broken status, and operations that ended badly. */
import { kindLabel } from '../../core/operations/kinds.ts';
import { type FleetMachine, toneOf } from '../fleet.ts';
import { clockTime, defineSection, type PageContext, plural } from '../section.ts';

const SHOWN = 50;
/** How far back failed operations are listed. */
const SINCE_MS = 24 * 3600_000;

export const failures = defineSection({
  id: 'failures',
  title: 'Failures',
  async load(ctx: PageContext) {
    const fleet = await ctx.fleet();
    const machines: FleetMachine[] = fleet.machines.filter((m) => {
      const t = toneOf(m.status);
      return t === 'failed' || t === 'broken';
    });
    const since = ctx.deps.clock.now() - SINCE_MS;
    const ops = (
      await ctx.deps.store.listOperations({ state: ['failed', 'partial', 'timed_out'], limit: 10 })
    ).filter((o) => (o.finished_at ?? 0) >= since);
    return { machines, ops };
  },
  render: (d) => (
    <>
      {d.machines.length === 0 && d.ops.length === 0 ? <p>Nothing has failed.</p> : null}
      {d.machines.length ? (
        <>
          <h3 class="sub">{plural(d.machines.length, 'machine')} failed or broken</h3>
          <ul class="fails">
            {d.machines.slice(0, SHOWN).map((m) => (
              <li data-id={m.id}>
                <strong>{m.hostname}</strong> · {m.label} · {m.zone}/{m.pool}
                {m.message ? <span class="msg"> — {m.message}</span> : null}
              </li>
            ))}
          </ul>
          {d.machines.length > SHOWN ? <p>and {d.machines.length - SHOWN} more.</p> : null}
        </>
      ) : null}
      {d.ops.length ? (
        <>
          <h3 class="sub">Operations that failed in the last day</h3>
          <ul class="fails">
            {d.ops.map((op) => (
              <li>
                <strong>
                  {kindLabel(op.kind)} {op.id}
                </strong>{' '}
                · {op.state.replace('_', ' ')} at {clockTime(op.finished_at ?? op.updated_at)}
                <ul>
                  {op.targets
                    .filter((t) => t.result === 'failed' || t.result === 'timed_out')
                    .slice(0, 20)
                    .map((t) => (
                      <li>
                        {t.hostname}: {t.error ?? `still ${t.status}`}
                      </li>
                    ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  ),
  summary: (d) => `${plural(d.machines.length, 'machine')} failed or broken`,
});
