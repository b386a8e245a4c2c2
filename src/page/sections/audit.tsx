/** The newest audit entries: who did what through which door, and how it ended. Admins only, as audit_list is. */
import { roleAtLeast } from '../../core/access.ts';
import { clockTime, defineSection, type PageContext } from '../section.ts';

const SHOWN = 15;

export const audit = defineSection({
  id: 'audit',
  title: 'Latest audit entries',
  shows: (ctx: PageContext) => roleAtLeast(ctx.viewer.role, 'admin'),
  load: (ctx: PageContext) => ctx.deps.store.listAudit({ limit: SHOWN }),
  render: (entries) =>
    entries.length === 0 ? (
      <p>No entries yet.</p>
    ) : (
      <table>
        <caption class="sr">Newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Tool</th>
            <th scope="col">Result</th>
            <th scope="col">What</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr>
              <td>{clockTime(e.at)}</td>
              <td>
                {e.principal} ({e.via})
              </td>
              <td>{e.tool}</td>
              <td>{e.result.replace('_', ' ')}</td>
              <td>{e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    ),
  summary: (entries) => (entries[0] ? `latest: ${entries[0].tool} ${entries[0].result}` : ''),
});
