/**
 * Agents' calls waiting for a person (README "Human approval"): what each would do to which machines, and — for
 * whoever may decide it, by the same rule as Slack's buttons — Approve and Deny.
 */
import { heldCalls, mayDecide } from '../../core/approvals.ts';
import { clockTime, defineSection, type PageContext, plural } from '../section.ts';

export const approvals = defineSection({
  id: 'approvals',
  title: 'Approvals waiting',
  async load(ctx: PageContext) {
    const held = await heldCalls(ctx.deps);
    return held.map((op) => ({
      op,
      decide: ctx.csrf !== undefined && mayDecide(ctx.tools, op, ctx.viewer.role),
    }));
  },
  render: (list, ctx) =>
    list.length === 0 ? (
      <p>Nothing is waiting for approval.</p>
    ) : (
      <ul class="ops">
        {list.map(({ op, decide }) => (
          <li class="op s-awaiting_approval" id={`ap-${op.id}`}>
            <h3>{op.summary}</h3>
            <p class="meta">
              {op.id} · asked by {op.requester.principal} ({op.requester.via}) at {clockTime(op.created_at)} ·
              expires {clockTime(op.deadline_at)}
            </p>
            <ul class="targets">
              {op.targets.map((t) => (
                <li data-id={t.system_id}>
                  <span class="host">{t.hostname}</span> <span class="st">now {t.start_status}</span>
                </li>
              ))}
            </ul>
            {decide ? (
              <form method="post" action={`/approvals/${encodeURIComponent(op.id)}`} class="decide">
                <input type="hidden" name="csrf" value={ctx.csrf} />
                <button type="submit" name="decision" value="approve" class="approve">
                  Approve {op.id}
                </button>{' '}
                <button type="submit" name="decision" value="deny" class="deny">
                  Deny {op.id}
                </button>
              </form>
            ) : (
              <p class="note">An operator or admin can approve or deny this.</p>
            )}
          </li>
        ))}
      </ul>
    ),
  summary: (list) =>
    list.length === 0
      ? 'No approval waiting'
      : `${plural(list.length, 'approval')} waiting: ${list.map((a) => a.op.summary).join('; ')}`,
});
