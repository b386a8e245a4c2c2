/**
 * What the MAAS user behind the API key may do. MAAS keeps some operations to its admins (`is_superuser`: the admin
 * permission of MAAS `maasserver/auth/local.py`, and `@admin_method`); `users/?op=whoami` says who the key is. With
 * another user's key maas-mcp says so before it reads, previews or asks anyone to confirm — MAAS would otherwise
 * answer 403 only after the confirmation.
 */

import { recordAudit } from './audit.ts';
import { ToolError } from './errors.ts';
import type { ToolDef } from './tool.ts';

/** `def`, or for a {@link ToolDef.maasAdmin} tool the same tool whose every call first checks the key's rights. */
// biome-ignore lint/suspicious/noExplicitAny: it keeps whatever input/output types the tool has.
export function withMaasRights<T extends ToolDef<any, any>>(def: T): T {
  if (!def.maasAdmin) return def;
  return {
    ...def,
    async run(args, ctx) {
      const me = await ctx.deps.maas.me({ signal: ctx.signal });
      if (!me.is_superuser) {
        const why = `${def.name} needs a MAAS admin, and the MAAS API key maas-mcp uses is ${me.username}'s, who is not one — MAAS would refuse it. Nothing was changed. Give maas-mcp a MAAS admin's API key (MAAS_API_KEY), or ask a MAAS admin to do it.`;
        await recordAudit(ctx, { tool: def.name, args, result: 'refused', detail: why, targets: [] });
        throw new ToolError(why);
      }
      return def.run(args, ctx);
    },
  };
}
